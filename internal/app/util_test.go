package app_test

import (
	"crypto/sha256"
	"encoding/json"
	"io"
	"strconv"
)

func sha256Sum(s string) [32]byte { return sha256.Sum256([]byte(s)) }

func itoa(i int) string { return strconv.Itoa(i) }

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

var errEOF = io.EOF

package app_test

import (
	"crypto/sha256"
	"encoding/json"
	"io"
	"strconv"

	"github.com/cdp-gateway/cdp-gateway/internal/config"
)

func sha256Sum(s string) [32]byte { return sha256.Sum256([]byte(s)) }

func itoa(i int) string { return strconv.Itoa(i) }

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

var errEOF = io.EOF

func decodeJSON(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

func cfgSecret(s string) config.Secret { return config.NewSecret(s) }

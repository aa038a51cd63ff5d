package nxcloud

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Signature hashes NXCloud takes (the algorithm header).
const (
	AlgorithmMD5    = "md5"
	AlgorithmSHA256 = "sha256"
)

// The fixed common headers of CDP calls: the business type and action
// NXCloud's CDP endpoints expect.
const (
	bizTypeCDP = "2"
	actionCDP  = "mt"
)

func checkAlgorithm(s string) error {
	if s != AlgorithmMD5 && s != AlgorithmSHA256 {
		return errors.New(`must be "md5" or "sha256"`)
	}
	return nil
}

// signedHeaders are the headers that authenticate one request, by name
// as the docs spell them: the access key, the time (epoch milliseconds of
// now), the CDP business type and action, and their signature over body,
// the request's exact bytes. The algorithm header goes only with sha256:
// md5 is NXCloud's default, and the query endpoint's own header table
// lists no algorithm.
func signedHeaders(accessKey, secret, algorithm string, now time.Time, body []byte) map[string]string {
	h := map[string]string{
		"accessKey": accessKey,
		"ts":        strconv.FormatInt(now.UnixMilli(), 10),
		"bizType":   bizTypeCDP,
		"action":    actionCDP,
	}
	h["sign"] = sign(algorithm, secret, body, h)
	if algorithm == AlgorithmSHA256 {
		h["algorithm"] = AlgorithmSHA256
	}
	return h
}

// sign is NXCloud's signature: the lowercase hex digest (MD5, or SHA-256
// for sha256) of the common headers as name=value pairs sorted by name and
// joined with "&", then "&body=" and the body bytes when there is a body,
// then "&accessSecret=" and the secret.
func sign(algorithm, secret string, body []byte, headers map[string]string) string {
	names := make([]string, 0, len(headers))
	for k := range headers {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	for i, k := range names {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(headers[k])
	}
	var h hash.Hash
	if algorithm == AlgorithmSHA256 {
		h = sha256.New()
	} else {
		h = md5.New() // NXCloud's default scheme, not a choice of ours
	}
	h.Write([]byte(b.String()))
	if len(body) > 0 {
		h.Write([]byte("&body="))
		h.Write(body)
	}
	h.Write([]byte("&accessSecret="))
	h.Write([]byte(secret))
	return hex.EncodeToString(h.Sum(nil))
}

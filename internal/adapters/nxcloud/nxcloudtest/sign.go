package nxcloudtest

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
)

// The common headers of every call.
const (
	HeaderAccessKey = "accessKey"
	HeaderTS        = "ts"
	HeaderBizType   = "bizType"
	HeaderAction    = "action"
	HeaderSign      = "sign"
	HeaderAlgorithm = "algorithm"
)

// The only bizType and action the CDP endpoints take.
const (
	BizType = "2"
	Action  = "mt"
)

// tsWindow is the largest accepted distance between ts and the server's
// clock, in milliseconds.
const tsWindow = 60_000

// stringToSign is what a request's sign is the digest of: the four signed
// headers sorted by name as key=value joined with &, then &body= and the
// body's bytes when body is not empty, then &accessSecret= and the secret.
func stringToSign(accessKey, action, bizType, ts string, body []byte, secret string) []byte {
	b := make([]byte, 0, 96+len(body)+len(secret))
	b = append(b, "accessKey="+accessKey+"&action="+action+"&bizType="+bizType+"&ts="+ts...)
	if len(body) > 0 {
		b = append(b, "&body="...)
		b = append(b, body...)
	}
	return append(b, "&accessSecret="+secret...)
}

// sign is the sign header for a request: the lowercase hex MD5 (algorithm
// "" or "md5") or SHA-256 (algorithm "sha256") of [stringToSign]. It
// returns "" for another algorithm.
func sign(algorithm, accessKey, action, bizType, ts string, body []byte, secret string) string {
	msg := stringToSign(accessKey, action, bizType, ts, body, secret)
	switch algorithm {
	case "", "md5":
		sum := md5.Sum(msg) // the vendor's default algorithm
		return hex.EncodeToString(sum[:])
	case "sha256":
		sum := sha256.Sum256(msg)
		return hex.EncodeToString(sum[:])
	}
	return ""
}

// authenticate is the kit's Auth, run before routing. The checks, in
// order: every common header present (1001); bizType, action, algorithm
// and the form of ts (1002); the access key known (1005); ts within 60 s
// of the clock (1004); sign the digest of the headers and the raw body
// bytes received (1003).
func (s *Server) authenticate(r *http.Request) error {
	h := r.Header
	for _, name := range []string{HeaderAccessKey, HeaderTS, HeaderBizType, HeaderAction, HeaderSign} {
		if h.Get(name) == "" {
			return refuse(CodeMissingHeader, "missing required header: %s", name)
		}
	}
	accessKey, ts, bizType, action := h.Get(HeaderAccessKey), h.Get(HeaderTS), h.Get(HeaderBizType), h.Get(HeaderAction)
	if bizType != BizType {
		return invalid("bizType must be %q, got %q", BizType, bizType)
	}
	if action != Action {
		return invalid("action must be %q, got %q", Action, action)
	}
	algorithm := h.Get(HeaderAlgorithm)
	if algorithm != "" && algorithm != "md5" && algorithm != "sha256" {
		return invalid("algorithm must be md5 or sha256, got %q", algorithm)
	}
	millis, ok := parseDigits(ts)
	if !ok {
		return invalid("ts must be epoch milliseconds, got %q", ts)
	}
	if accessKey != s.cfg.AccessKey {
		return refuse(CodeNoPermission, "invalid accessKey")
	}
	if d := s.now().UnixMilli() - millis; d > tsWindow || d < -tsWindow {
		return refuse(CodeTimestamp, "timestamp expired: ts is %d ms away from the server time", abs(d))
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return invalid("unreadable request body")
	}
	want := sign(algorithm, accessKey, action, bizType, ts, body, s.cfg.AccessSecret)
	if subtle.ConstantTimeCompare([]byte(h.Get(HeaderSign)), []byte(want)) != 1 {
		return refuse(CodeBadSignature, "sign verification failed")
	}
	return nil
}

// parseDigits reads a non-negative decimal integer of ASCII digits only
// (no sign, no spaces).
func parseDigits(v string) (int64, bool) {
	if v == "" || len(v) > 18 {
		return 0, false
	}
	for i := range len(v) {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

package nxcloud

import (
	"maps"
	"testing"
	"time"
)

// The expected signatures were computed apart from this code, with the
// coreutils digests of the documented string, e.g.
//
//	printf '%s' 'accessKey=fme2na3kdi3ki&action=mt&bizType=2&ts=1655710885431&accessSecret=nx-SECRET-5c1e9a' | md5sum
func TestSignVectors(t *testing.T) {
	t.Parallel()
	const (
		key    = "fme2na3kdi3ki"
		secret = "nx-SECRET-5c1e9a"
		ts     = int64(1655710885431)
	)
	ascii := []byte(`{"tenant_id":123,"limit":5}`)
	chinese := []byte(`{"name":"王伟","remark":"客户","tenant_id":123}`)
	for _, tc := range []struct {
		name, algorithm string
		body            []byte
		want            string
	}{
		{"md5 body", AlgorithmMD5, ascii, "f04ecd7497fa1bb0955f7561bbf3c70d"},
		{"sha256 body", AlgorithmSHA256, ascii, "f643a086862df667a1a44e85ccf71785f7e51b8a20bc8d21c8b4cc8ec71abce9"},
		{"md5 chinese body", AlgorithmMD5, chinese, "9786087f0e9ac0dc61b053bfa62a4ea8"},
		{"sha256 chinese body", AlgorithmSHA256, chinese, "61be70c404d1bc9d24a225ae6230866ebb4e5f4c4238d7ce7e530a9298d9185e"},
		{"md5 no body (GET)", AlgorithmMD5, nil, "b2a03d5706adb4ef388a34e6db0613d9"},
		{"sha256 no body (GET)", AlgorithmSHA256, nil, "0715c3fe11f6abe9a4f2e3efab415062a8b0bfec638818dabc609557deea7d6d"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := signedHeaders(key, secret, tc.algorithm, time.UnixMilli(ts), tc.body)
			want := map[string]string{"accessKey": key, "ts": "1655710885431", "bizType": "2", "action": "mt", "sign": tc.want}
			if tc.algorithm == AlgorithmSHA256 {
				want["algorithm"] = "sha256"
			}
			if !maps.Equal(h, want) {
				t.Errorf("headers %v, want %v", h, want)
			}
		})
	}
}

// An empty body is no body (no &body= part); a body of one space is a
// body, signed as sent.
func TestSignEmptyBodyIsNoBody(t *testing.T) {
	t.Parallel()
	now := time.UnixMilli(1655710885431)
	if a, b := signedHeaders("k", "s", AlgorithmMD5, now, nil)["sign"], signedHeaders("k", "s", AlgorithmMD5, now, []byte{})["sign"]; a != b {
		t.Fatalf("nil and empty bodies sign differently: %s, %s", a, b)
	}
	if a, b := signedHeaders("k", "s", AlgorithmMD5, now, nil)["sign"], signedHeaders("k", "s", AlgorithmMD5, now, []byte(" "))["sign"]; a == b {
		t.Fatal("a one-space body signs like no body")
	}
}

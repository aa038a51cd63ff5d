package redis

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// MinTokenKeySecret is the shortest token key secret accepted, in bytes.
const MinTokenKeySecret = 32

// sealVersion starts every sealed value; a new format gets a new version.
const sealVersion = "v1"

// keyLabel is the HKDF info that derives a sealing key from a secret.
const keyLabel = "cdp-gateway token seal v1 (AES-256-GCM)"

var keyID = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)

// TokenKey is one key of a Keyring.
type TokenKey struct {
	// ID names the key in every value it seals: 1-32 of a-z, 0-9 and '-'.
	// It is not secret.
	ID string
	// Secret is at least MinTokenKeySecret bytes of high-entropy secret.
	Secret []byte
}

// Keyring seals token values with its first key and opens them with any
// of its keys. Make one with NewKeyring; it is safe for concurrent use.
type Keyring struct {
	current string
	ids     []string
	aeads   map[string]cipher.AEAD
}

// NewKeyring returns the keyring of keys, the first of which seals. It
// refuses an empty list, a bad or repeated id and a short secret.
func NewKeyring(keys ...TokenKey) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("at least one token key is required: tokens are never stored in Redis in the clear")
	}
	k := &Keyring{current: keys[0].ID, aeads: make(map[string]cipher.AEAD, len(keys))}
	for i, tk := range keys {
		switch {
		case !keyID.MatchString(tk.ID):
			return nil, fmt.Errorf("token key %d: id %q must be 1-32 lower-case letters, digits or '-'", i, tk.ID)
		case k.aeads[tk.ID] != nil:
			return nil, fmt.Errorf("token key %d: id %s is listed twice", i, tk.ID)
		case len(tk.Secret) < MinTokenKeySecret:
			return nil, fmt.Errorf("token key %s: the secret must be at least %d bytes", tk.ID, MinTokenKeySecret)
		}
		aead, err := newAEAD(tk.Secret)
		if err != nil {
			return nil, fmt.Errorf("token key %s: %w", tk.ID, err)
		}
		k.aeads[tk.ID] = aead
		k.ids = append(k.ids, tk.ID)
	}
	return k, nil
}

func newAEAD(secret []byte) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, secret, nil, keyLabel, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Current is the id of the key that seals.
func (k *Keyring) Current() string { return k.current }

// IDs are the ids of every key, the current one first.
func (k *Keyring) IDs() []string { return append([]string(nil), k.ids...) }

// seal seals plain for the Redis key key with the current key.
func (k *Keyring) seal(key, plain string) string {
	aead := k.aeads[k.current]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails
	sealed := aead.Seal(nonce, nonce, []byte(plain), []byte(key))
	return sealVersion + "." + k.current + "." + base64.RawURLEncoding.EncodeToString(sealed)
}

// open returns the plaintext of sealed, stored under the Redis key key,
// and whether a key other than the current one sealed it (so that it is
// sealed again). The error is an *OpenError; it never holds the value.
func (k *Keyring) open(key, sealed string) (plain string, stale bool, err error) {
	version, rest, ok1 := strings.Cut(sealed, ".")
	id, body, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || version != sealVersion || !keyID.MatchString(id) {
		return "", false, &OpenError{Key: key, Err: ErrNotSealed}
	}
	aead, ok := k.aeads[id]
	if !ok {
		return "", false, &OpenError{Key: key, KeyID: id, Err: ErrUnknownTokenKey}
	}
	b, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(b) < aead.NonceSize()+aead.Overhead() {
		return "", false, &OpenError{Key: key, KeyID: id, Err: ErrNotOpened}
	}
	p, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], []byte(key))
	if err != nil {
		return "", false, &OpenError{Key: key, KeyID: id, Err: ErrNotOpened}
	}
	return string(p), id != k.current, nil
}

// Why a stored token value does not open (the Err of an *OpenError).
var (
	// ErrUnknownTokenKey: the value names a key the keyring does not hold.
	ErrUnknownTokenKey = errors.New("sealed with a token key that token_keys does not list")
	// ErrNotOpened: the key is known but the value does not open with it.
	ErrNotOpened = errors.New("does not open with its token key")
	// ErrNotSealed: the value is not in the sealed format at all.
	ErrNotSealed = errors.New("is not sealed")
)

// OpenError is a token value in Redis that the keyring cannot open. It
// names the Redis key and the key id the value claims, never the value.
type OpenError struct {
	Key   string // the Redis key
	KeyID string // the key id the value names; "" when it is not sealed
	Err   error  // ErrUnknownTokenKey, ErrNotOpened or ErrNotSealed
}

func (e *OpenError) Error() string {
	switch e.Err {
	case ErrUnknownTokenKey:
		return fmt.Sprintf("redis key %s: sealed with token key %q, which token_keys does not list: "+
			"add that key back to token_keys (after the current one)", e.Key, e.KeyID)
	case ErrNotOpened:
		return fmt.Sprintf("redis key %s: does not open with token key %q: the value was changed or copied from another key "+
			"in Redis, or token key %s now has another secret than the one that sealed it", e.Key, e.KeyID, e.KeyID)
	default:
		return fmt.Sprintf("redis key %s: the value is not sealed (written before token_keys was set, or not by the gateway)", e.Key)
	}
}

func (e *OpenError) Unwrap() error { return e.Err }

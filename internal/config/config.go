// Package config reads and checks the gateway's tenants file.
//
// Secrets (vendor credentials, the cursor secret) are never written in the
// file itself: each is a reference, {env: NAME} or {file: PATH}, resolved at
// start. Every problem in the file is reported at once, each with the path
// of the setting at fault.
package config

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Config is a loaded, checked gateway configuration.
type Config struct {
	Listen       string
	CursorSecret Secret
	MaxBodyBytes int64
	APIKeys      []APIKey
	Tenants      []Tenant
	// Vendors holds the resilience settings of every vendor, defaults
	// filled in.
	Vendors map[domain.Vendor]VendorSettings
}

// VendorSettings tune the calls to one vendor, for every tenant connection.
type VendorSettings struct {
	Timeout time.Duration // per attempt
	Retry   RetrySettings
	Breaker BreakerSettings
	Quota   Quota // per tenant connection; a connection may set its own
}

// RetrySettings bound retries of idempotent vendor calls.
type RetrySettings struct {
	MaxAttempts int // in all, including the first; 1 turns retries off
	BaseDelay   time.Duration
	MaxDelay    time.Duration
}

// BreakerSettings tune the circuit breaker of each tenant connection.
type BreakerSettings struct {
	Failures       uint32 // consecutive failures that open it
	OpenFor        time.Duration
	HalfOpenProbes uint32 // calls let through while half-open
}

// Quota is a call budget; Calls 0 means none.
type Quota struct {
	Calls int64
	Per   time.Duration
}

// DefaultVendorSettings are the settings a vendor gets when the file says
// nothing: 15 s per attempt, 3 attempts with backoff from 100 ms to 2 s, a
// breaker opening after 5 consecutive failures for 30 s with 1 probe, and
// no quota except Meihua's base plan of 2000 calls per hour.
func DefaultVendorSettings(v domain.Vendor) VendorSettings {
	s := VendorSettings{
		Timeout: 15 * time.Second,
		Retry:   RetrySettings{MaxAttempts: 3, BaseDelay: 100 * time.Millisecond, MaxDelay: 2 * time.Second},
		Breaker: BreakerSettings{Failures: 5, OpenFor: 30 * time.Second, HalfOpenProbes: 1},
	}
	if v == domain.Meihua {
		s.Quota = Quota{Calls: 2000, Per: time.Hour}
	}
	return s
}

// APIKey is a caller's key: its SHA-256 hash, scopes and granted tenants
// ("*" for all).
type APIKey struct {
	Name    string
	SHA256  [32]byte
	Scopes  []string
	Tenants []string
}

// Tenant is one tenant and its vendor connections.
type Tenant struct {
	ID          string
	Vendor      domain.Vendor // active vendor at start
	Connections []Connection
}

// Connection is a tenant's account at one vendor.
type Connection struct {
	Vendor      domain.Vendor
	BaseURL     string
	CDPBaseURL  string        // Linkflow only
	Timeout     time.Duration // 0: the vendor's setting
	Quota       *Quota        // nil: the vendor's setting
	Credentials map[string]Secret
}

// Secret is a resolved secret value. It prints as [redacted] so a config
// logged by mistake leaks nothing.
type Secret struct{ v string }

// NewSecret wraps a value.
func NewSecret(v string) Secret { return Secret{v: v} }

// Value returns the secret.
func (s Secret) Value() string { return s.v }

// String implements fmt.Stringer.
func (s Secret) String() string { return "[redacted]" }

// GoString implements fmt.GoStringer.
func (s Secret) GoString() string { return "[redacted]" }

// MarshalJSON never writes the value.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"[redacted]"`), nil }

// Credential names each vendor needs, and the URL settings it takes.
var vendorSpecs = map[domain.Vendor]struct {
	credentials []string
	cdpBaseURL  bool
}{
	domain.Linkflow: {credentials: []string{"app_key", "app_secret"}, cdpBaseURL: true},
}

// SupportedVendors are the vendors this build has adapters for.
func SupportedVendors() []domain.Vendor {
	var vs []domain.Vendor
	for _, v := range domain.Vendors {
		if _, ok := vendorSpecs[v]; ok {
			vs = append(vs, v)
		}
	}
	return vs
}

// The file format.
type fileConfig struct {
	Listen       string                `yaml:"listen"`
	CursorSecret *secretRef            `yaml:"cursor_secret"`
	MaxBodyBytes int64                 `yaml:"max_body_bytes"`
	APIKeys      []fileKey             `yaml:"api_keys"`
	Tenants      []fileTenant          `yaml:"tenants"`
	Vendors      map[string]fileVendor `yaml:"vendors"`
}

type fileVendor struct {
	Timeout string `yaml:"timeout"`
	Retry   struct {
		MaxAttempts *int   `yaml:"max_attempts"`
		BaseDelay   string `yaml:"base_delay"`
		MaxDelay    string `yaml:"max_delay"`
	} `yaml:"retry"`
	Breaker struct {
		Failures       *int   `yaml:"failures"`
		OpenFor        string `yaml:"open_for"`
		HalfOpenProbes *int   `yaml:"half_open_probes"`
	} `yaml:"breaker"`
	Quota *fileQuota `yaml:"quota"`
}

type fileQuota struct {
	Calls *int64 `yaml:"calls"`
	Per   string `yaml:"per"`
}

type fileKey struct {
	Name    string   `yaml:"name"`
	SHA256  string   `yaml:"sha256"`
	Scopes  []string `yaml:"scopes"`
	Tenants []string `yaml:"tenants"`
}

type fileTenant struct {
	ID          string                    `yaml:"id"`
	Vendor      string                    `yaml:"vendor"`
	Connections map[string]fileConnection `yaml:"connections"`
}

type fileConnection struct {
	BaseURL     string                `yaml:"base_url"`
	CDPBaseURL  string                `yaml:"cdp_base_url"`
	Timeout     string                `yaml:"timeout"`
	Quota       *fileQuota            `yaml:"quota"`
	Credentials map[string]*secretRef `yaml:"credentials"`
}

// secretRef is {env: NAME} or {file: PATH}. A plain string is refused so
// that secrets never sit in the file.
type secretRef struct {
	Env    string
	File   string
	inline bool
}

func (r *secretRef) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		r.inline = true
		return nil
	}
	var m struct {
		Env  string `yaml:"env"`
		File string `yaml:"file"`
	}
	dec := n.Decode
	if err := dec(&m); err != nil {
		return err
	}
	r.Env, r.File = m.Env, m.File
	return nil
}

// Env looks up environment variables; tests replace it.
type Env func(string) (string, bool)

// Load reads and checks the tenants file at path, resolving secret
// references with os.LookupEnv and the file system.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(data, os.LookupEnv)
}

var (
	tenantID   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	credName   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	validScope = []string{"read", "write", "admin"}
)

// minCursorSecret is the shortest cursor secret accepted (bytes).
const minCursorSecret = 32

// Parse checks a tenants file. The error lists every problem found, one
// per line, each prefixed with the setting's path.
func Parse(data []byte, env Env) (*Config, error) {
	var f fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	p := &problems{}
	cfg := &Config{Listen: f.Listen, MaxBodyBytes: f.MaxBodyBytes}

	if f.MaxBodyBytes < 0 {
		p.add("max_body_bytes", "must not be negative")
	}
	if f.CursorSecret == nil {
		p.add("cursor_secret", "is required (a reference to at least 32 random bytes shared by every replica)")
	} else if s, ok := resolve(p, "cursor_secret", f.CursorSecret, env); ok {
		if len(s) < minCursorSecret {
			p.add("cursor_secret", fmt.Sprintf("must be at least %d bytes", minCursorSecret))
		}
		cfg.CursorSecret = NewSecret(s)
	}

	cfg.Vendors = map[domain.Vendor]VendorSettings{}
	for _, v := range domain.Vendors {
		cfg.Vendors[v] = DefaultVendorSettings(v)
	}
	for _, name := range sortedKeys(f.Vendors) {
		path := "vendors." + name
		v, ok := domain.ParseVendor(name)
		if !ok {
			p.add(path, fmt.Sprintf("unknown vendor %q (known: %s)", name, vendorList(domain.Vendors)))
			continue
		}
		cfg.Vendors[v] = checkVendor(p, path, f.Vendors[name], cfg.Vendors[v])
	}

	tenants := map[string]bool{}
	if len(f.Tenants) == 0 {
		p.add("tenants", "must list at least one tenant")
	}
	for i, ft := range f.Tenants {
		path := fmt.Sprintf("tenants[%d]", i)
		t := Tenant{ID: ft.ID}
		switch {
		case !tenantID.MatchString(ft.ID):
			p.add(path+".id", "must be 1-63 lower-case letters, digits or '-', starting with a letter or digit")
		case tenants[ft.ID]:
			p.add(path+".id", fmt.Sprintf("tenant %s is listed twice", ft.ID))
		}
		tenants[ft.ID] = true
		if len(ft.Connections) == 0 {
			p.add(path+".connections", "must configure at least one vendor connection")
		}
		for _, name := range sortedKeys(ft.Connections) {
			if c, ok := checkConnection(p, path+".connections."+name, name, ft.Connections[name], env); ok {
				t.Connections = append(t.Connections, c)
			}
		}
		v, ok := domain.ParseVendor(ft.Vendor)
		switch {
		case ft.Vendor == "":
			p.add(path+".vendor", "is required: the vendor the tenant starts on")
		case !ok:
			p.add(path+".vendor", fmt.Sprintf("unknown vendor %q (known: %s)", ft.Vendor, vendorList(domain.Vendors)))
		case !hasKey(ft.Connections, ft.Vendor):
			p.add(path+".vendor", fmt.Sprintf("tenant starts on %s but has no %s connection", v, v))
		}
		t.Vendor = v
		cfg.Tenants = append(cfg.Tenants, t)
	}

	keyNames := map[string]bool{}
	keyHashes := map[[32]byte]bool{}
	if len(f.APIKeys) == 0 {
		p.add("api_keys", "must list at least one API key")
	}
	for i, fk := range f.APIKeys {
		path := fmt.Sprintf("api_keys[%d]", i)
		k := APIKey{Name: fk.Name, Scopes: fk.Scopes, Tenants: fk.Tenants}
		switch {
		case fk.Name == "":
			p.add(path+".name", "is required (it names the caller in audit logs)")
		case keyNames[fk.Name]:
			p.add(path+".name", fmt.Sprintf("key name %s is used twice", fk.Name))
		}
		keyNames[fk.Name] = true
		if h, err := parseHash(fk.SHA256); err != nil {
			p.add(path+".sha256", err.Error())
		} else if keyHashes[h] {
			p.add(path+".sha256", "the same key hash is configured twice")
		} else {
			keyHashes[h] = true
			k.SHA256 = h
		}
		if len(fk.Scopes) == 0 {
			p.add(path+".scopes", "must list at least one of read, write, admin")
		}
		for j, s := range fk.Scopes {
			if !slices.Contains(validScope, s) {
				p.add(fmt.Sprintf("%s.scopes[%d]", path, j), fmt.Sprintf("unknown scope %q (read, write or admin)", s))
			}
		}
		if len(fk.Tenants) == 0 {
			p.add(path+".tenants", `must list the tenants the key may use, or "*" for all`)
		}
		for j, t := range fk.Tenants {
			if t != "*" && !tenants[t] {
				p.add(fmt.Sprintf("%s.tenants[%d]", path, j), fmt.Sprintf("unknown tenant %q", t))
			}
		}
		cfg.APIKeys = append(cfg.APIKeys, k)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func hasKey[V any](m map[string]V, k string) bool { _, ok := m[k]; return ok }

func checkConnection(p *problems, path, name string, fc fileConnection, env Env) (Connection, bool) {
	v, ok := domain.ParseVendor(name)
	if !ok {
		p.add(path, fmt.Sprintf("unknown vendor %q (known: %s)", name, vendorList(domain.Vendors)))
		return Connection{}, false
	}
	spec, supported := vendorSpecs[v]
	if !supported {
		p.add(path, fmt.Sprintf("this build has no %s adapter yet (supported: %s)", v, vendorList(SupportedVendors())))
		return Connection{}, false
	}
	c := Connection{Vendor: v, BaseURL: fc.BaseURL, CDPBaseURL: fc.CDPBaseURL, Credentials: map[string]Secret{}}
	before := len(p.list)
	if fc.BaseURL != "" {
		checkURL(p, path+".base_url", fc.BaseURL)
	}
	if fc.CDPBaseURL != "" {
		if spec.cdpBaseURL {
			checkURL(p, path+".cdp_base_url", fc.CDPBaseURL)
		} else {
			p.add(path+".cdp_base_url", fmt.Sprintf("is not a %s setting", v))
		}
	}
	duration(p, path+".timeout", fc.Timeout, time.Millisecond, 5*time.Minute, &c.Timeout)
	if fc.Quota != nil {
		q := checkQuota(p, path+".quota", fc.Quota, Quota{Per: time.Hour})
		c.Quota = &q
	}
	for _, want := range spec.credentials {
		if _, ok := fc.Credentials[want]; !ok {
			p.add(path+".credentials."+want, "is required")
		}
	}
	for _, cname := range sortedKeys(fc.Credentials) {
		cpath := path + ".credentials." + cname
		if !slices.Contains(spec.credentials, cname) {
			p.add(cpath, fmt.Sprintf("is not a %s credential (%s)", v, strings.Join(spec.credentials, ", ")))
			continue
		}
		if !credName.MatchString(cname) {
			p.add(cpath, "has an invalid name")
			continue
		}
		if s, ok := resolve(p, cpath, fc.Credentials[cname], env); ok {
			c.Credentials[cname] = NewSecret(s)
		}
	}
	return c, len(p.list) == before
}

func checkVendor(p *problems, path string, fv fileVendor, s VendorSettings) VendorSettings {
	duration(p, path+".timeout", fv.Timeout, time.Millisecond, 5*time.Minute, &s.Timeout)
	count(p, path+".retry.max_attempts", fv.Retry.MaxAttempts, 1, 10, &s.Retry.MaxAttempts)
	duration(p, path+".retry.base_delay", fv.Retry.BaseDelay, time.Millisecond, time.Minute, &s.Retry.BaseDelay)
	duration(p, path+".retry.max_delay", fv.Retry.MaxDelay, time.Millisecond, 5*time.Minute, &s.Retry.MaxDelay)
	if s.Retry.MaxDelay < s.Retry.BaseDelay {
		p.add(path+".retry.max_delay", "must not be shorter than base_delay")
	}
	var failures, probes int
	if count(p, path+".breaker.failures", fv.Breaker.Failures, 1, 1000, &failures) {
		s.Breaker.Failures = uint32(failures)
	}
	duration(p, path+".breaker.open_for", fv.Breaker.OpenFor, time.Second, time.Hour, &s.Breaker.OpenFor)
	if count(p, path+".breaker.half_open_probes", fv.Breaker.HalfOpenProbes, 1, 100, &probes) {
		s.Breaker.HalfOpenProbes = uint32(probes)
	}
	if fv.Quota != nil {
		s.Quota = checkQuota(p, path+".quota", fv.Quota, s.Quota)
	}
	return s
}

func checkQuota(p *problems, path string, fq *fileQuota, q Quota) Quota {
	if q.Per == 0 {
		q.Per = time.Hour
	}
	if fq.Calls != nil {
		if *fq.Calls < 0 {
			p.add(path+".calls", "must not be negative (0 turns the quota off)")
		}
		q.Calls = *fq.Calls
	}
	duration(p, path+".per", fq.Per, time.Second, 24*time.Hour, &q.Per)
	return q
}

// duration parses s into *d when s is set, within [lo, hi].
func duration(p *problems, path, s string, lo, hi time.Duration, d *time.Duration) {
	if s == "" {
		return
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < lo || v > hi {
		p.add(path, fmt.Sprintf("must be a duration between %s and %s, like 10s", lo, hi))
		return
	}
	*d = v
}

// count copies *n into *out when set, within [lo, hi].
func count(p *problems, path string, n *int, lo, hi int, out *int) bool {
	if n == nil {
		return false
	}
	if *n < lo || *n > hi {
		p.add(path, fmt.Sprintf("must be between %d and %d", lo, hi))
		return false
	}
	*out = *n
	return true
}

func checkURL(p *problems, path, s string) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		p.add(path, "must be an http(s) URL without query, fragment or user info")
	}
}

// resolve reads a secret reference.
func resolve(p *problems, path string, r *secretRef, env Env) (string, bool) {
	switch {
	case r == nil:
		p.add(path, "is required")
	case r.inline:
		p.add(path, "must be a reference, {env: NAME} or {file: PATH}; secrets are not written in the config file")
	case (r.Env == "") == (r.File == ""):
		p.add(path, "must give exactly one of env or file")
	case r.Env != "":
		v, ok := env(r.Env)
		if !ok || v == "" {
			p.add(path, fmt.Sprintf("environment variable %s is not set", r.Env))
			return "", false
		}
		return v, true
	default:
		b, err := os.ReadFile(r.File)
		if err != nil {
			p.add(path, fmt.Sprintf("cannot read secret file %s: %v", r.File, errors.Unwrap(err)))
			return "", false
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			p.add(path, fmt.Sprintf("secret file %s is empty", r.File))
			return "", false
		}
		return v, true
	}
	return "", false
}

func parseHash(s string) ([32]byte, error) {
	var h [32]byte
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != len(h) {
		return h, errors.New(`must be the 64 hex characters of the key's SHA-256 (printf %s "$KEY" | sha256sum)`)
	}
	copy(h[:], b)
	return h, nil
}

func vendorList(vs []domain.Vendor) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// problems collects configuration problems.
type problems struct{ list []string }

func (p *problems) add(path, msg string) { p.list = append(p.list, path+": "+msg) }

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &Error{Problems: p.list}
}

// Error lists every problem found in a configuration.
type Error struct{ Problems []string }

func (e *Error) Error() string {
	return fmt.Sprintf("config: %d problem(s):\n  %s", len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// Package config reads and checks the gateway's tenants file.
//
// It names no vendor: which vendors exist, which have an adapter in the
// build, the credentials and URL settings each connection takes and each
// vendor's default call settings come from the vendor drivers it is given
// (vendorhttp.Drivers).
//
// Secrets (vendor credentials, the cursor secret, the token keys) are never
// written in the file itself: each is a reference, {env: NAME} or {file: PATH}, resolved at
// start. Every problem in the file is reported at once, each with the path
// of the setting at fault.
package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Config is a loaded, checked gateway configuration.
type Config struct {
	Listen       string
	CursorSecret Secret
	// TokenKeys seal the vendor tokens kept in Redis; the first seals,
	// every one opens. Required with Redis (WithRedis), unused without.
	TokenKeys    []TokenKey
	MaxBodyBytes int64
	// MaxImportBytes bounds an NDJSON import's body (max_import_bytes);
	// 0: the gateway's default. An import is streamed, not held, so it
	// has its own limit instead of MaxBodyBytes.
	MaxImportBytes int64
	// MaxInFlight bounds the API requests a replica serves at once
	// (max_in_flight_requests); 0: the gateway's default.
	MaxInFlight int
	APIKeys     []APIKey
	Tenants     []Tenant
	// Vendors holds the call settings of every vendor the drivers know:
	// the driver's defaults with the file's settings over them.
	Vendors map[domain.Vendor]vendorhttp.Settings
	// CORS lets browser pages of other origins call the API; nil (no
	// cors in the file) answers no browser cross-origin request.
	CORS *CORS
	// Files are the files the configuration was read from: the tenants
	// file (Load) and every secret file it names. A change to any of them
	// is a change of the configuration (hot reload watches them).
	Files []string
	// Digest is DigestFiles(Files) when Load read them.
	Digest [sha256.Size]byte
}

// CORS is the browser policy of the cors setting.
type CORS struct {
	// AllowedOrigins are exact origins (scheme://host[:port]), or the one
	// entry "*" for every origin.
	AllowedOrigins   []string
	AllowCredentials bool
	// MaxAge is how long a browser may cache a preflight answer.
	MaxAge time.Duration
}

// DefaultCORSMaxAge is how long browsers may cache a preflight answer when
// the file does not say.
const DefaultCORSMaxAge = 10 * time.Minute

// TokenKey is one of token_keys: an id written with every value it seals,
// and its secret.
type TokenKey struct {
	ID     string
	Secret Secret
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
	// CustomFields are the tenant's names of its custom fields and each
	// one's key at its vendors (custom_fields), by name.
	CustomFields []domain.CustomFieldName
}

// Connection is a tenant's account at one vendor.
type Connection struct {
	Vendor domain.Vendor
	// URLs holds every URL setting the vendor's driver names, its
	// defaults filled in.
	URLs map[string]string
	// Options holds every option the vendor's driver names, its defaults
	// filled in.
	Options     map[string]string
	Timeout     time.Duration     // 0: the vendor's setting
	Quota       *vendorhttp.Quota // nil: the vendor's setting
	Concurrency int               // 0: the vendor's setting
	Credentials map[string]Secret // every credential the driver names, and the optional ones given
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

// The file format.
type fileConfig struct {
	Listen         string                `yaml:"listen"`
	CursorSecret   *secretRef            `yaml:"cursor_secret"`
	TokenKeys      []fileTokenKey        `yaml:"token_keys"`
	MaxBodyBytes   int64                 `yaml:"max_body_bytes"`
	MaxImportBytes int64                 `yaml:"max_import_bytes"`
	MaxInFlight    *int                  `yaml:"max_in_flight_requests"`
	APIKeys        []fileKey             `yaml:"api_keys"`
	Tenants        []fileTenant          `yaml:"tenants"`
	Vendors        map[string]fileVendor `yaml:"vendors"`
	CORS           *fileCORS             `yaml:"cors"`
}

type fileCORS struct {
	AllowedOrigins   []string `yaml:"allowed_origins"`
	AllowCredentials bool     `yaml:"allow_credentials"`
	MaxAge           string   `yaml:"max_age"`
}

type fileTokenKey struct {
	ID     string     `yaml:"id"`
	Secret *secretRef `yaml:"secret"`
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
	Quota       *fileQuota `yaml:"quota"`
	Concurrency *int       `yaml:"concurrency"`
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
	// CustomFields maps a tenant's field name to the field's key at each
	// vendor: {membership_level: {linkflow: attr3, meihua: "4338372"}}.
	CustomFields map[string]map[string]string `yaml:"custom_fields"`
}

type fileConnection struct {
	Timeout     string                `yaml:"timeout"`
	Concurrency *int                  `yaml:"concurrency"`
	Quota       *fileQuota            `yaml:"quota"`
	Credentials map[string]*secretRef `yaml:"credentials"`
	// URLs holds every other key: the URL settings and options the
	// vendor's driver names (base_url …), checked against the driver.
	URLs map[string]string `yaml:",inline"`
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

// Option changes what Parse and Load require of a file.
type Option func(*options)

type options struct{ redis bool }

// WithRedis says that the gateway keeps its state in Redis (REDIS_URL),
// where vendor tokens are stored sealed: token_keys is then required.
func WithRedis() Option { return func(o *options) { o.redis = true } }

// Load reads and checks the tenants file at path against the vendor
// drivers, resolving secret references with os.LookupEnv and the file
// system.
func Load(path string, drivers *vendorhttp.Drivers, opts ...Option) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Problems: []string{err.Error()}, Files: []string{path}}
	}
	cfg, err := Parse(data, os.LookupEnv, drivers, opts...)
	var ce *Error
	switch {
	case err == nil:
		cfg.Files = append([]string{path}, cfg.Files...)
		cfg.Digest = DigestFiles(cfg.Files)
	case errors.As(err, &ce):
		ce.Files = append([]string{path}, ce.Files...)
	default:
		err = &Error{Problems: []string{err.Error()}, Files: []string{path}}
	}
	return cfg, err
}

// DigestFiles digests the content of files, following links (Kubernetes
// mounts files through them); an unreadable file counts as its error.
func DigestFiles(files []string) [sha256.Size]byte {
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			b = []byte("error: " + err.Error())
		}
		_, _ = fmt.Fprintf(h, "%q %d\n", f, len(b)) // a hash never fails a write
		h.Write(b)
	}
	return [sha256.Size]byte(h.Sum(nil))
}

var (
	fieldName  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	tenantID   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	tokenKeyID = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)
	validScope = []string{"read", "write", "admin"}
)

// minSecret is the shortest cursor secret or token key accepted (bytes).
const minSecret = 32

// Parse checks a tenants file against the vendor drivers: which vendors
// exist, which have an adapter, the credentials and URL settings each
// connection takes and each vendor's default call settings all come from
// them. The error lists every problem found, one per line, each prefixed
// with the setting's path.
func Parse(data []byte, env Env, drivers *vendorhttp.Drivers, opts ...Option) (*Config, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	var f fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	p := &problems{}
	cfg := &Config{Listen: f.Listen, MaxBodyBytes: f.MaxBodyBytes, MaxImportBytes: f.MaxImportBytes}
	known := drivers.Vendors()

	if f.MaxBodyBytes < 0 {
		p.add("max_body_bytes", "must not be negative")
	}
	if f.MaxImportBytes < 0 {
		p.add("max_import_bytes", "must not be negative")
	}
	if n := f.MaxInFlight; n != nil {
		if *n < 1 {
			p.add("max_in_flight_requests", "must be at least 1 (leave it out for the gateway's default)")
		} else {
			cfg.MaxInFlight = *n
		}
	}
	if f.CursorSecret == nil {
		p.add("cursor_secret", "is required (a reference to at least 32 random bytes shared by every replica)")
	} else if s, ok := resolve(p, "cursor_secret", f.CursorSecret, env); ok {
		if len(s) < minSecret {
			p.add("cursor_secret", fmt.Sprintf("must be at least %d bytes", minSecret))
		}
		cfg.CursorSecret = NewSecret(s)
	}
	cfg.TokenKeys = checkTokenKeys(p, f.TokenKeys, env, o.redis)
	cfg.CORS = checkCORS(p, f.CORS)

	cfg.Vendors = map[domain.Vendor]vendorhttp.Settings{}
	for _, d := range drivers.All() {
		cfg.Vendors[d.Vendor] = d.Defaults
	}
	for _, name := range sortedKeys(f.Vendors) {
		path := "vendors." + name
		v := domain.Vendor(name)
		if !known.Known(v) {
			p.add(path, fmt.Sprintf("unknown vendor %q (known: %s)", name, known))
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
			if c, ok := checkConnection(p, path+".connections."+name, name, ft.Connections[name], env, drivers); ok {
				t.Connections = append(t.Connections, c)
			}
		}
		v := domain.Vendor(ft.Vendor)
		switch {
		case ft.Vendor == "":
			p.add(path+".vendor", "is required: the vendor the tenant starts on")
		case !known.Known(v):
			p.add(path+".vendor", fmt.Sprintf("unknown vendor %q (known: %s)", ft.Vendor, known))
		case !hasKey(ft.Connections, ft.Vendor):
			p.add(path+".vendor", fmt.Sprintf("tenant starts on %s but has no %s connection", v, v))
		}
		t.Vendor = v
		t.CustomFields = checkCustomFields(p, path+".custom_fields", ft)
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
	cfg.Files = p.files
	return cfg, nil
}

func hasKey[V any](m map[string]V, k string) bool { _, ok := m[k]; return ok }

// checkCustomFields checks a tenant's custom field names: each a name
// the API can carry, mapped to a key at one or more of the tenant's
// connections, no vendor key mapped twice, and no name that is also a
// key mapped at one of its vendors (one spelling per field). Whether the
// vendors have the keys is checked against them at start (the app).
func checkCustomFields(p *problems, path string, ft fileTenant) []domain.CustomFieldName {
	// mapped[vendor][key] is the name that maps key at vendor.
	mapped := map[string]map[string]string{}
	var out []domain.CustomFieldName
	names := sortedKeys(ft.CustomFields)
	for _, name := range names {
		npath := path + "." + name
		keys := ft.CustomFields[name]
		ok := true
		if !fieldName.MatchString(name) {
			p.add(npath, "must be 1-63 lower-case letters, digits or '_', starting with a letter")
			ok = false
		}
		if len(keys) == 0 {
			p.add(npath, "must map the field to its key at one of the tenant's vendors at least, like {linkflow: attr3}")
			ok = false
		}
		n := domain.CustomFieldName{Name: name, Keys: map[domain.Vendor]string{}}
		for _, vendor := range sortedKeys(keys) {
			key, vpath := keys[vendor], npath+"."+vendor
			switch {
			case !hasKey(ft.Connections, vendor):
				p.add(vpath, fmt.Sprintf("the tenant has no %s connection (connections: %s)", vendor, strings.Join(sortedKeys(ft.Connections), ", ")))
				ok = false
			case strings.TrimSpace(key) == "":
				p.add(vpath, fmt.Sprintf("must be the field's key at %s", vendor))
				ok = false
			case mapped[vendor][key] != "":
				p.add(vpath, fmt.Sprintf("%s key %q is mapped by %s already: a vendor key is mapped once", vendor, key, mapped[vendor][key]))
				ok = false
			default:
				if mapped[vendor] == nil {
					mapped[vendor] = map[string]string{}
				}
				mapped[vendor][key] = name
				n.Keys[domain.Vendor(vendor)] = key
			}
		}
		if ok {
			out = append(out, n)
		}
	}
	for _, name := range names {
		for _, vendor := range sortedKeys(mapped) {
			if other := mapped[vendor][name]; other != "" && other != name {
				p.add(path+"."+name, fmt.Sprintf("is the %s key mapped by %s: a field has one spelling, so a name cannot be a mapped vendor key", vendor, other))
			}
		}
	}
	return out
}

// checkTokenKeys checks token_keys, which are required with Redis.
func checkTokenKeys(p *problems, fks []fileTokenKey, env Env, redis bool) []TokenKey {
	if len(fks) == 0 {
		if redis {
			p.add("token_keys", "is required when the gateway keeps its state in Redis (REDIS_URL is set): "+
				"list at least one key, {id: k1, secret: {env: NAME}}, whose secret is a reference to at least 32 random bytes "+
				"shared by every replica; the first key seals the vendor tokens stored in Redis")
		}
		return nil
	}
	var keys []TokenKey
	ids := map[string]bool{}
	secrets := map[string]string{} // secret -> the path of the key that has it
	for i, fk := range fks {
		path := fmt.Sprintf("token_keys[%d]", i)
		switch {
		case !tokenKeyID.MatchString(fk.ID):
			p.add(path+".id", "must be 1-32 lower-case letters, digits or '-'")
		case ids[fk.ID]:
			p.add(path+".id", fmt.Sprintf("key id %s is listed twice", fk.ID))
		}
		ids[fk.ID] = true
		s, ok := resolve(p, path+".secret", fk.Secret, env)
		if !ok {
			continue
		}
		switch {
		case len(s) < minSecret:
			p.add(path+".secret", fmt.Sprintf("must be at least %d bytes", minSecret))
		case secrets[s] != "":
			p.add(path+".secret", fmt.Sprintf("is the secret of %s too: each key needs its own", secrets[s]))
		default:
			secrets[s] = path
		}
		keys = append(keys, TokenKey{ID: fk.ID, Secret: NewSecret(s)})
	}
	return keys
}

// checkCORS checks the cors setting: exact http(s) origins, "*" alone
// and never with credentials (browsers refuse that pair, and it would let
// every site act as the signed-in user).
func checkCORS(p *problems, fc *fileCORS) *CORS {
	if fc == nil {
		return nil
	}
	c := &CORS{AllowCredentials: fc.AllowCredentials, MaxAge: DefaultCORSMaxAge}
	if len(fc.AllowedOrigins) == 0 {
		p.add("cors.allowed_origins", `must list at least one origin, like https://admin.example.com, or "*" (leave cors out to turn CORS off)`)
	}
	seen := map[string]string{}
	for i, o := range fc.AllowedOrigins {
		path := fmt.Sprintf("cors.allowed_origins[%d]", i)
		if o == "*" {
			switch {
			case fc.AllowCredentials:
				p.add(path, `"*" cannot be used with allow_credentials: true: list the exact origins that may send credentials`)
			case len(fc.AllowedOrigins) > 1:
				p.add(path, `"*" already allows every origin: list it alone`)
			}
			c.AllowedOrigins = append(c.AllowedOrigins, o)
			continue
		}
		if err := checkOrigin(o); err != nil {
			p.add(path, fmt.Sprintf("%q %s: an origin is scheme://host[:port], like https://admin.example.com", o, err))
			continue
		}
		o = strings.ToLower(o)
		if first, dup := seen[o]; dup {
			p.add(path, fmt.Sprintf("%s is listed twice (also %s)", o, first))
			continue
		}
		seen[o] = path
		c.AllowedOrigins = append(c.AllowedOrigins, o)
	}
	duration(p, "cors.max_age", fc.MaxAge, time.Second, 24*time.Hour, &c.MaxAge)
	return c
}

// checkOrigin tells why o is not an absolute http(s) origin.
func checkOrigin(o string) error {
	u, err := url.Parse(o)
	switch {
	case err != nil:
		return errors.New("is not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("must start with http:// or https://")
	case strings.Contains(u.Host, "*"):
		return errors.New("has a wildcard: list each origin exactly")
	case u.User != nil:
		return errors.New("must not carry a user name")
	case u.Hostname() == "":
		return errors.New("has no host")
	case u.Path != "" || u.Opaque != "" || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery || strings.Contains(o, "#"):
		return errors.New("must have no path, query or fragment (not even a trailing /)")
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return errors.New("has a bad port")
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return errors.New("has an empty port")
	}
	return nil
}

func checkConnection(p *problems, path, name string, fc fileConnection, env Env, drivers *vendorhttp.Drivers) (Connection, bool) {
	d, ok := drivers.Get(domain.Vendor(name))
	if !ok {
		p.add(path, fmt.Sprintf("unknown vendor %q (known: %s)", name, drivers.Vendors()))
		return Connection{}, false
	}
	if d.Connect == nil {
		p.add(path, fmt.Sprintf("this build has no %s adapter yet (supported: %s)", d.Vendor, supported(drivers)))
		return Connection{}, false
	}
	c := Connection{Vendor: d.Vendor, URLs: map[string]string{}, Options: map[string]string{}, Credentials: map[string]Secret{}}
	before := len(p.list)
	var names []string
	for _, u := range d.URLs {
		names = append(names, u.Name)
		c.URLs[u.Name] = u.Default
	}
	options := map[string]vendorhttp.OptionSetting{}
	for _, o := range d.Options {
		names = append(names, o.Name)
		options[o.Name] = o
		c.Options[o.Name] = o.Default
	}
	for _, key := range sortedKeys(fc.URLs) {
		value := fc.URLs[key]
		if o, ok := options[key]; ok {
			if o.Check != nil {
				if err := o.Check(value); err != nil {
					p.add(path+"."+key, err.Error())
					continue
				}
			}
			c.Options[key] = value
			continue
		}
		if !slices.Contains(names, key) {
			p.add(path+"."+key, fmt.Sprintf("is not a %s setting (%s)", d.Vendor, strings.Join(append(names, "timeout", "quota", "credentials"), ", ")))
			continue
		}
		if err := vendorhttp.CheckBaseURL(value); err != nil {
			p.add(path+"."+key, err.Error())
			continue
		}
		c.URLs[key] = value
	}
	for _, u := range d.URLs {
		if c.URLs[u.Name] == "" {
			p.add(path+"."+u.Name, "is required")
		}
	}
	for _, o := range d.Options {
		if c.Options[o.Name] == "" {
			p.add(path+"."+o.Name, "is required")
		}
	}
	duration(p, path+".timeout", fc.Timeout, time.Millisecond, 5*time.Minute, &c.Timeout)
	count(p, path+".concurrency", fc.Concurrency, 1, maxConcurrency, &c.Concurrency)
	if fc.Quota != nil {
		q := checkQuota(p, path+".quota", fc.Quota, vendorhttp.Quota{Per: time.Hour})
		c.Quota = &q
	}
	for _, want := range d.Credentials {
		if _, ok := fc.Credentials[want]; !ok {
			p.add(path+".credentials."+want, "is required")
		}
	}
	known := slices.Concat(d.Credentials, d.OptionalCredentials)
	for _, cname := range sortedKeys(fc.Credentials) {
		cpath := path + ".credentials." + cname
		if !slices.Contains(known, cname) {
			p.add(cpath, fmt.Sprintf("is not a %s credential (%s)", d.Vendor, strings.Join(known, ", ")))
			continue
		}
		if s, ok := resolve(p, cpath, fc.Credentials[cname], env); ok {
			c.Credentials[cname] = NewSecret(s)
		}
	}
	return c, len(p.list) == before
}

// supported lists the vendors this build has adapters for.
func supported(drivers *vendorhttp.Drivers) string {
	var names []string
	for _, d := range drivers.All() {
		if d.Connect != nil {
			names = append(names, string(d.Vendor))
		}
	}
	return strings.Join(names, ", ")
}

func checkVendor(p *problems, path string, fv fileVendor, s vendorhttp.Settings) vendorhttp.Settings {
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
	count(p, path+".concurrency", fv.Concurrency, 1, maxConcurrency, &s.Concurrency)
	return s
}

// maxConcurrency bounds a vendor's concurrency setting: more calls in
// flight per request than this is a load test on the vendor, not a
// setting.
const maxConcurrency = 64

func checkQuota(p *problems, path string, fq *fileQuota, q vendorhttp.Quota) vendorhttp.Quota {
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
		p.files = append(p.files, r.File)
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

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// problems collects configuration problems, and the secret files named
// (read or not), which a problem in one of them may concern.
type problems struct{ list, files []string }

func (p *problems) add(path, msg string) { p.list = append(p.list, path+": "+msg) }

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &Error{Problems: p.list, Files: p.files}
}

// Error lists every problem found in a configuration.
type Error struct {
	Problems []string
	// Files are the files the configuration named, as Config.Files: a
	// watcher waits for one of them to change before trying again.
	Files []string
}

func (e *Error) Error() string {
	return fmt.Sprintf("config: %d problem(s):\n  %s", len(e.Problems), strings.Join(e.Problems, "\n  "))
}

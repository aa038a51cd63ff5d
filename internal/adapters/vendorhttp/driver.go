package vendorhttp

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Driver is one vendor as the rest of the gateway sees it: data (its name,
// id prefix, the credentials and URL settings a connection takes, default
// call settings) and two constructors (a tenant connection, and a seeded
// demo for the sandbox). Each adapter package declares its Driver; the
// gateway's one list of built-in drivers names them (internal/app), and
// configuration, wiring and the sandbox work from that list without naming
// any vendor.
type Driver struct {
	// Vendor is the vendor's name in the tenants file, the API and the
	// logs ("linkflow").
	Vendor domain.Vendor
	// IDPrefix is the two-letter prefix of the vendor's canonical ids
	// ("lf" in "lf_2865"). It is part of the public id format.
	IDPrefix string
	// IDKind is how the vendor writes its record ids (domain.IDInteger for
	// numeric ids): ids in any other spelling are refused, never sent.
	IDKind domain.IDKind
	// Credentials names the secrets a connection needs (app_key,
	// app_secret …); each is required in the tenants file.
	Credentials []string
	// OptionalCredentials names secrets a connection may give (e.g. a
	// refresh_token from an authorization made outside the gateway).
	OptionalCredentials []string
	// URLs are the connection's URL settings with their defaults, e.g.
	// base_url. The tenants file may override each.
	URLs []URLSetting
	// Options are the connection's plain settings that are neither URLs
	// nor secrets (an account id, a signing algorithm).
	Options []OptionSetting
	// Defaults tune calls to the vendor where the tenants file is silent
	// (DefaultSettings plus the vendor's own, e.g. a plan quota).
	Defaults Settings
	// Connect builds the adapter of one tenant connection. A nil Connect
	// means this build has no adapter for the vendor: its ids are still
	// recognised and its connections answer UNSUPPORTED_OPERATION, but a
	// tenants file cannot name it.
	Connect func(Connection) (domain.Connection, error)
	// Demo starts a simulator of the vendor seeded with demo data, for the
	// sandbox (nil when there is none).
	Demo func(DemoOptions) (*Demo, error)
}

// URLSetting is a URL a connection takes, named as in the tenants file.
type URLSetting struct {
	Name    string // "base_url"
	Default string // used when the tenants file does not set it
}

// OptionSetting is a plain setting a connection takes, named as in the
// tenants file.
type OptionSetting struct {
	Name    string
	Default string // used when the tenants file does not set it; "" makes it required
	// Example is a value Check takes, for documentation and tests.
	Example string
	// Check refuses a value, saying why (nil: any value).
	Check func(string) error
}

// Settings tune the calls to one vendor: per vendor in the tenants file,
// with a connection's own timeout and quota winning.
type Settings struct {
	Timeout time.Duration // per attempt
	Retry   RetryPolicy
	Breaker BreakerSettings
	Quota   Quota // per tenant connection; Calls 0: none
	// Concurrency is how many vendor calls one request may have in
	// flight on the connection when it fans out (a batch's items, a
	// page's per-contact reads). Each call still passes the quota and the
	// breaker: a spent quota or an open breaker fails the rest fast.
	Concurrency int
}

// DefaultSettings are the call settings of a vendor whose driver and
// tenants file say nothing: 15 s per attempt, 3 attempts with backoff from
// 100 ms to 2 s, a breaker opening after 5 consecutive failures for 30 s
// with 1 probe, no quota, 16 calls at once per request.
func DefaultSettings() Settings {
	return Settings{
		Concurrency: DefaultConcurrency,
		Timeout:     DefaultTimeout,
		Retry:       RetryPolicy{MaxAttempts: DefaultMaxAttempts, BaseDelay: DefaultBaseDelay, MaxDelay: DefaultMaxDelay},
		Breaker:     BreakerSettings{Failures: DefaultFailures, OpenFor: DefaultOpenFor, HalfOpenProbes: DefaultHalfOpenProbes},
	}
}

// Connection is what a driver's Connect gets: one tenant's account at the
// vendor, checked against the driver's data.
type Connection struct {
	// Credentials holds every credential the driver names, resolved
	// (optional ones only when given).
	Credentials map[string]string
	// URLs holds every URL setting the driver names, defaults filled in.
	URLs map[string]string
	// Options holds every option the driver names, defaults filled in.
	Options map[string]string
	// Client configures the connection's vendor client: tenant, HTTP
	// client, settings, shared stores, telemetry.
	Client Options
}

// DemoOptions shape a sandbox demo.
type DemoOptions struct {
	Contacts int    // demo contacts to seed
	Seed     uint64 // the same seed gives the same data
	Now      func() time.Time
	// CallbackURL is where the sandbox gateway receives OAuth2
	// authorization codes (its /admin/v1/oauth/callback), for vendors
	// whose connections are authorized by the account owner.
	CallbackURL string
}

// Demo is a vendor simulator seeded with demo data and the connection
// settings that open it.
type Demo struct {
	// Simulator answers the vendor's API; the sandbox serves it on a
	// loopback port under a base path of its own.
	Simulator http.Handler
	// Credentials open the simulator.
	Credentials map[string]string
	// URLs returns the connection's URL settings for the simulator served
	// at baseURL (base path included).
	URLs func(baseURL string) map[string]string
	// Options are the connection's options for the simulator.
	Options map[string]string
}

// Drivers is a checked list of drivers: unique vendors and id prefixes,
// well-formed setting names.
type Drivers struct {
	list    []*Driver
	by      map[domain.Vendor]*Driver
	vendors *domain.Vendors
}

var settingName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// NewDrivers checks ds and returns them as a set, in the order given.
func NewDrivers(ds ...Driver) (*Drivers, error) {
	ds = slices.Clone(ds)
	out := &Drivers{by: make(map[domain.Vendor]*Driver, len(ds))}
	infos := make([]domain.VendorInfo, len(ds))
	var errs []error
	for i := range ds {
		d := &ds[i]
		infos[i] = domain.VendorInfo{Name: d.Vendor, Prefix: d.IDPrefix, IDKind: d.IDKind}
		seen := map[string]bool{}
		for _, c := range slices.Concat(d.Credentials, d.OptionalCredentials) {
			if !settingName.MatchString(c) || seen[c] {
				errs = append(errs, fmt.Errorf("driver %s: credential name %q is malformed or listed twice", d.Vendor, c))
			}
			seen[c] = true
		}
		for _, o := range d.Options {
			if !settingName.MatchString(o.Name) || seen[o.Name] || reservedSetting[o.Name] {
				errs = append(errs, fmt.Errorf("driver %s: option %q is malformed, reserved or listed twice", d.Vendor, o.Name))
			}
			seen[o.Name] = true
			for _, v := range []string{o.Default, o.Example} {
				if v == "" || o.Check == nil {
					continue
				}
				if err := o.Check(v); err != nil {
					errs = append(errs, fmt.Errorf("driver %s: option %s: %q: %w", d.Vendor, o.Name, v, err))
				}
			}
		}
		for _, u := range d.URLs {
			if !settingName.MatchString(u.Name) || seen[u.Name] || reservedSetting[u.Name] {
				errs = append(errs, fmt.Errorf("driver %s: URL setting %q is malformed, reserved or listed twice", d.Vendor, u.Name))
			}
			seen[u.Name] = true
			if u.Default != "" {
				if err := CheckBaseURL(u.Default); err != nil {
					errs = append(errs, fmt.Errorf("driver %s: default %s: %w", d.Vendor, u.Name, err))
				}
			}
		}
		if d.Demo != nil && d.Connect == nil {
			errs = append(errs, fmt.Errorf("driver %s: a demo needs an adapter (Connect)", d.Vendor))
		}
		out.list = append(out.list, d)
		out.by[d.Vendor] = d
	}
	vs, err := domain.NewVendors(infos...)
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out.vendors = vs
	return out, nil
}

// reservedSetting are connection settings every vendor has; a driver's
// URL setting cannot take their names.
var reservedSetting = map[string]bool{"timeout": true, "quota": true, "credentials": true}

// Get returns v's driver.
func (ds *Drivers) Get(v domain.Vendor) (*Driver, bool) {
	d, ok := ds.by[v]
	return d, ok
}

// All returns the drivers in their list order.
func (ds *Drivers) All() []*Driver { return append([]*Driver(nil), ds.list...) }

// Vendors is the set of the drivers' vendors.
func (ds *Drivers) Vendors() *domain.Vendors { return ds.vendors }

// CheckBaseURL checks that s is a base URL ParseBaseURL accepts.
func CheckBaseURL(s string) error {
	_, err := ParseBaseURL(s)
	return err
}

// ParseBaseURL reads a vendor base URL: http(s), a host, no query,
// fragment or user info (credentials never sit in a URL). A trailing
// slash is dropped so that API paths can be appended.
func ParseBaseURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(s, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, errors.New("must be an http(s) URL without query, fragment or user info")
	}
	return u, nil
}

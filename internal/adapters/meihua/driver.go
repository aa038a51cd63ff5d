package meihua

import (
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/meihua/meihuatest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Driver is Meihua to the gateway: a connection is one tenant's account,
// authorized for the gateway's Meihua app (app key and secret) by OAuth2;
// its refresh token comes from the admin API's connect flow, or from the
// tenants file (refresh_token) for an account authorized elsewhere.
var Driver = vendorhttp.Driver{
	Vendor:              vendor,
	IDPrefix:            "mh",
	IDKind:              domain.IDInteger, // contacts, groups, tags, properties: integer ids
	Credentials:         []string{"app_key", "app_secret"},
	OptionalCredentials: []string{"refresh_token"},
	URLs: []vendorhttp.URLSetting{
		{Name: "base_url", Default: DefaultBaseURL},
		{Name: "auth_url", Default: DefaultAuthURL},
		{Name: "redirect_uri"}, // the gateway's OAuth2 callback registered with the app: no default
	},
	Defaults: defaults(),
	Connect:  connect,
	Demo:     demo,
}

// defaults count calls against Meihua's base plan: 2000 calls per hour.
func defaults() vendorhttp.Settings {
	s := vendorhttp.DefaultSettings()
	s.Quota = vendorhttp.Quota{Calls: 2000, Per: time.Hour}
	return s
}

func connect(c vendorhttp.Connection) (domain.Connection, error) {
	return New(Config{
		BaseURL: c.URLs["base_url"], AuthURL: c.URLs["auth_url"], RedirectURI: c.URLs["redirect_uri"],
		AppKey: c.Credentials["app_key"], AppSecret: c.Credentials["app_secret"], RefreshToken: c.Credentials["refresh_token"],
		Client: c.Client,
	})
}

// The sandbox's simulator credentials: they open only the in-process
// simulator.
const (
	demoAppKey    = "sandbox-meihua-key"
	demoAppSecret = "sandbox-meihua-secret"
)

// demo is a simulator seeded with the sandbox's demo data, serving the
// OAuth2 endpoints and the API from one base URL. The demo tenant is
// already connected: its refresh token, granted by the simulator, is the
// connection's bootstrap refresh_token. The simulator's registered
// callback is the sandbox gateway's, so that the admin API's connect flow
// works against it too.
func demo(o vendorhttp.DemoOptions) (*vendorhttp.Demo, error) {
	callback := o.CallbackURL
	if callback == "" {
		callback = meihuatest.DefaultRedirectURI // a sandbox without the connect flow
	}
	sim := meihuatest.New(meihuatest.Config{ClientID: demoAppKey, ClientSecret: demoAppSecret, RedirectURI: callback, Now: o.Now})
	meihuatest.SeedDemo(sim, meihuatest.DemoOptions{Contacts: o.Contacts, Seed: o.Seed, Now: o.Now()})
	_, refresh := sim.Grant()
	return &vendorhttp.Demo{
		Simulator:   sim,
		Credentials: map[string]string{"app_key": demoAppKey, "app_secret": demoAppSecret, "refresh_token": refresh},
		URLs: func(base string) map[string]string {
			return map[string]string{"base_url": base, "auth_url": base, "redirect_uri": callback}
		},
	}, nil
}

package linkflow

import (
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Driver is Linkflow to the gateway: a connection is a tenant's private
// app (app key and secret) on two hosts, the open API guide's and the
// CDP's.
var Driver = vendorhttp.Driver{
	Vendor:      vendor,
	IDPrefix:    "lf",
	IDKind:      domain.IDInteger, // every Linkflow record id is a 64-bit integer
	Credentials: []string{"app_key", "app_secret"},
	URLs: []vendorhttp.URLSetting{
		{Name: "base_url", Default: DefaultBaseURL},
		{Name: "cdp_base_url", Default: DefaultCDPBaseURL},
	},
	Defaults: vendorhttp.DefaultSettings(),
	Connect:  connect,
	Demo:     demo,
}

func connect(c vendorhttp.Connection) (domain.Connection, error) {
	return New(Config{
		BaseURL: c.URLs["base_url"], CDPBaseURL: c.URLs["cdp_base_url"],
		AppKey: c.Credentials["app_key"], AppSecret: c.Credentials["app_secret"],
		Client: c.Client,
	})
}

// The sandbox's simulator credentials: they open only the in-process
// simulator.
const (
	demoAppKey    = "sandbox-linkflow-key"
	demoAppSecret = "sandbox-linkflow-secret"
)

// demo is a simulator seeded with the sandbox's demo data; both API
// families are served from the one simulator.
func demo(o vendorhttp.DemoOptions) (*vendorhttp.Demo, error) {
	sim := linkflowtest.New(linkflowtest.Config{AppKey: demoAppKey, AppSecret: demoAppSecret, Now: o.Now})
	linkflowtest.SeedDemo(sim, linkflowtest.DemoOptions{Contacts: o.Contacts, Seed: o.Seed, Now: o.Now()})
	return &vendorhttp.Demo{
		Simulator:   sim,
		Credentials: map[string]string{"app_key": demoAppKey, "app_secret": demoAppSecret},
		URLs: func(base string) map[string]string {
			return map[string]string{"base_url": base, "cdp_base_url": base}
		},
	}, nil
}

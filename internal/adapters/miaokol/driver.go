package miaokol

import (
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/miaokol/miaokoltest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Driver is Miaokol to the gateway: a connection is one tenant's app (app
// id and secret) on the API host.
var Driver = vendorhttp.Driver{
	Vendor:   vendor,
	IDPrefix: "mk",
	// Contacts are "<rel_wxid>~<contact_wxid>", escaped (ContactID); tags
	// and tag groups positive integers, which the adapter checks. Ids are
	// taken as written.
	IDKind:      domain.IDText,
	Credentials: []string{"app_id", "app_secret"},
	URLs:        []vendorhttp.URLSetting{{Name: "base_url", Default: DefaultBaseURL}},
	Defaults:    vendorhttp.DefaultSettings(),
	Connect:     connect,
	Demo:        demo,
}

func connect(c vendorhttp.Connection) (domain.Connection, error) {
	return New(Config{
		BaseURL: c.URLs["base_url"], AppID: c.Credentials["app_id"], AppSecret: c.Credentials["app_secret"],
		Client: c.Client,
	})
}

// The sandbox's simulator credentials: they open only the in-process
// simulator.
const (
	demoAppID     = "sandbox-miaokol-app-id"
	demoAppSecret = "sandbox-miaokol-app-secret"
)

// demo is a simulator seeded with the sandbox's demo data: smart tag
// groups and tags, and WeCom contacts carrying some of them.
func demo(o vendorhttp.DemoOptions) (*vendorhttp.Demo, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	sim := miaokoltest.New(miaokoltest.Config{AppID: demoAppID, AppSecret: demoAppSecret, Now: now})
	miaokoltest.SeedDemo(sim, miaokoltest.DemoOptions{Contacts: o.Contacts, Seed: o.Seed, Now: now()})
	return &vendorhttp.Demo{
		Simulator:   sim,
		Credentials: map[string]string{"app_id": demoAppID, "app_secret": demoAppSecret},
		URLs:        func(base string) map[string]string { return map[string]string{"base_url": base} },
	}, nil
}

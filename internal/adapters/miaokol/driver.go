package miaokol

import (
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
}

func connect(c vendorhttp.Connection) (domain.Connection, error) {
	return New(Config{
		BaseURL: c.URLs["base_url"], AppID: c.Credentials["app_id"], AppSecret: c.Credentials["app_secret"],
		Client: c.Client,
	})
}

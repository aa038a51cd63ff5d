package nxcloud

import (
	"errors"
	"strconv"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/nxcloud/nxcloudtest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Driver is NXCloud to the gateway: a connection is one tenant's CDP
// account (tenant_id, app_key) reached with an access key and secret that
// sign every request.
var Driver = vendorhttp.Driver{
	Vendor:      vendor,
	IDPrefix:    "nx",
	IDKind:      domain.IDInteger, // customer and tag ids are 64-bit integers (Long)
	Credentials: []string{"access_key", "access_secret", "app_key"},
	URLs:        []vendorhttp.URLSetting{{Name: "base_url", Default: DefaultBaseURL}},
	Options: []vendorhttp.OptionSetting{
		{Name: "tenant_id", Example: "123", Check: checkTenantID},
		{Name: "algorithm", Default: AlgorithmMD5, Example: AlgorithmSHA256, Check: checkAlgorithm},
	},
	Defaults: vendorhttp.DefaultSettings(),
	Connect:  connect,
	Demo:     demo,
}

// checkTenantID accepts a positive 64-bit integer in its one decimal
// spelling (no sign, no leading zeros).
func checkTenantID(s string) error {
	if _, err := parseTenantID(s); err != nil {
		return err
	}
	return nil
}

func parseTenantID(s string) (int64, error) {
	n, ok := vendorhttp.PositiveID(s)
	if !ok || strconv.FormatInt(n, 10) != s {
		return 0, errors.New("must be a positive integer (the NXCloud tenant id)")
	}
	return n, nil
}

func connect(c vendorhttp.Connection) (domain.Connection, error) {
	tenant, err := parseTenantID(c.Options["tenant_id"])
	if err != nil {
		return nil, errors.New("nxcloud tenant_id: " + err.Error())
	}
	return New(Config{
		BaseURL:   c.URLs["base_url"],
		AccessKey: c.Credentials["access_key"], AccessSecret: c.Credentials["access_secret"], AppKey: c.Credentials["app_key"],
		TenantID: tenant, Algorithm: c.Options["algorithm"],
		Client: c.Client,
	})
}

// The sandbox's simulator account: it opens only the in-process
// simulator.
const (
	demoAccessKey    = "sandbox-nxcloud-key"
	demoAccessSecret = "sandbox-nxcloud-secret"
	demoAppKey       = "sandbox-nxcloud-app"
	demoTenantID     = 123
)

// demo is a simulator seeded with the sandbox's demo data; the connection
// signs with md5, NXCloud's default.
func demo(o vendorhttp.DemoOptions) (*vendorhttp.Demo, error) {
	sim := nxcloudtest.New(nxcloudtest.Config{AccessKey: demoAccessKey, AccessSecret: demoAccessSecret, TenantID: demoTenantID, AppKey: demoAppKey, Now: o.Now})
	opts := nxcloudtest.DemoOptions{Customers: o.Contacts, Seed: o.Seed}
	if o.Now != nil {
		opts.Now = o.Now()
	}
	nxcloudtest.SeedDemo(sim, opts)
	return &vendorhttp.Demo{
		Simulator:   sim,
		Credentials: map[string]string{"access_key": demoAccessKey, "access_secret": demoAccessSecret, "app_key": demoAppKey},
		Options:     map[string]string{"tenant_id": strconv.Itoa(demoTenantID), "algorithm": AlgorithmMD5},
		URLs:        func(base string) map[string]string { return map[string]string{"base_url": base} },
	}, nil
}

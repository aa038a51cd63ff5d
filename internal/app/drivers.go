package app

import (
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/meihua"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/miaokol"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/nxcloud"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
)

// builtin is every vendor driver built into the gateway, one line each.
// Adding a vendor is its adapter package and a line here; configuration,
// wiring, the sandbox and the capability matrix follow from the driver.
var builtin = []vendorhttp.Driver{
	linkflow.Driver,
	meihua.Driver,
	nxcloud.Driver,
	miaokol.Driver,
}

// Drivers returns the built-in vendor drivers, checked.
func Drivers() (*vendorhttp.Drivers, error) { return vendorhttp.NewDrivers(builtin...) }

package vendorhttp_test

import (
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

func connectNothing(vendorhttp.Connection) (domain.Connection, error) { return nil, nil }

func TestNewDrivers(t *testing.T) {
	t.Parallel()
	a := vendorhttp.Driver{Vendor: "alpha", IDPrefix: "al", Credentials: []string{"key"},
		URLs: []vendorhttp.URLSetting{{Name: "base_url", Default: "https://alpha.example/api"}}, Connect: connectNothing}
	b := vendorhttp.Driver{Vendor: "beta", IDPrefix: "bt"}
	ds, err := vendorhttp.NewDrivers(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := ds.Get("beta"); !ok || got.IDPrefix != "bt" {
		t.Fatalf("Get(beta) = %+v, %v", got, ok)
	}
	if _, ok := ds.Get("gamma"); ok {
		t.Fatal("Get found a vendor that is not listed")
	}
	if all := ds.All(); len(all) != 2 || all[0].Vendor != "alpha" || all[1].Vendor != "beta" {
		t.Fatalf("All = %v, want the list order", all)
	}
	if vs := ds.Vendors(); vs.Prefix("alpha") != "al" || !vs.Known("beta") {
		t.Fatalf("Vendors = %v", vs)
	}

	tests := []struct {
		name string
		ds   []vendorhttp.Driver
		want string
	}{
		{"vendor twice", []vendorhttp.Driver{a, a}, "listed twice"},
		{"prefix twice", []vendorhttp.Driver{a, {Vendor: "gamma", IDPrefix: "al"}}, "share the id prefix"},
		{"bad prefix", []vendorhttp.Driver{{Vendor: "gamma", IDPrefix: "g"}}, "two lower-case letters"},
		{"bad credential name", []vendorhttp.Driver{{Vendor: "gamma", IDPrefix: "gm", Credentials: []string{"App-Key"}}}, `credential name "App-Key"`},
		{"credential twice", []vendorhttp.Driver{{Vendor: "gamma", IDPrefix: "gm", Credentials: []string{"key", "key"}}}, `credential name "key"`},
		{"reserved URL name", []vendorhttp.Driver{{Vendor: "gamma", IDPrefix: "gm", URLs: []vendorhttp.URLSetting{{Name: "timeout"}}}}, `URL setting "timeout"`},
		{"URL named like a credential", []vendorhttp.Driver{{Vendor: "gamma", IDPrefix: "gm", Credentials: []string{"key"}, URLs: []vendorhttp.URLSetting{{Name: "key"}}}}, `URL setting "key"`},
		{"bad default URL", []vendorhttp.Driver{{Vendor: "gamma", IDPrefix: "gm", URLs: []vendorhttp.URLSetting{{Name: "base_url", Default: "ftp://x"}}}}, "default base_url"},
		{"demo without adapter", []vendorhttp.Driver{{Vendor: "gamma", IDPrefix: "gm", Demo: func(vendorhttp.DemoOptions) (*vendorhttp.Demo, error) { return nil, nil }}}, "needs an adapter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := vendorhttp.NewDrivers(tt.ds...); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewDrivers = %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

func TestParseBaseURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://open.example.com":        "https://open.example.com",
		"https://open.example.com/":       "https://open.example.com",
		"http://127.0.0.1:8080/linkflow/": "http://127.0.0.1:8080/linkflow",
	} {
		u, err := vendorhttp.ParseBaseURL(in)
		if err != nil || u.String() != want {
			t.Errorf("ParseBaseURL(%q) = %v, %v; want %s", in, u, err, want)
		}
	}
	for _, in := range []string{"", "ftp://x", "https://", "https://x?a=1", "https://x#f", "https://user:pw@x", "open.example.com", "://x"} {
		if _, err := vendorhttp.ParseBaseURL(in); err == nil {
			t.Errorf("ParseBaseURL(%q) accepted", in)
		}
	}
}

func TestDefaultSettings(t *testing.T) {
	t.Parallel()
	s := vendorhttp.DefaultSettings()
	if s.Timeout != vendorhttp.DefaultTimeout || s.Retry.MaxAttempts != 3 || s.Breaker.Failures != 5 || s.Quota.Calls != 0 {
		t.Fatalf("DefaultSettings = %+v", s)
	}
}

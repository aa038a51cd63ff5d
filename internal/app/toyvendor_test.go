package app_test

// A toy vendor added the way docs/adding-a-vendor.md says, without editing
// a shared file: a simulator on the vendortest kit, an adapter on the
// vendorhttp kit, a driver, and the driver list handed to the gateway.
// The tests below show it served end to end, in the sandbox, validated by
// the config and reported in the capabilities.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/app"
	"github.com/cdp-gateway/cdp-gateway/internal/config"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/sandbox"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// ---- the toy vendor's API, as its simulator serves it ----
//
// GET /people?page=N&size=M (pages from 1, at most 3 people a page) and
// GET /people/{id}, each with the X-Toy-Key header; errors are
// {"error": "..."} with an HTTP status.

type toyPerson struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

type toySim struct {
	*vendortest.Sim
	people []toyPerson
}

func newToySim(key string, people int) *toySim {
	s := &toySim{}
	for i := 1; i <= people; i++ {
		s.people = append(s.people, toyPerson{ID: int64(10 * i), Name: fmt.Sprintf("Toy %02d", i), Email: fmt.Sprintf("toy%d@example.com", i)})
	}
	s.Sim = vendortest.New(vendortest.Options{
		Auth: func(r *http.Request) error {
			if r.Header.Get("X-Toy-Key") != key {
				return errors.New("bad key")
			}
			return nil
		},
		WriteError: func(w http.ResponseWriter, _ *http.Request, err error) {
			status := http.StatusBadRequest
			switch {
			case errors.Is(err, vendortest.ErrUnauthorized):
				status = http.StatusUnauthorized
			case errors.Is(err, vendortest.ErrNoRoute), errors.Is(err, errToyNotFound):
				status = http.StatusNotFound
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
		},
	})
	s.Handle("/people", vendortest.Methods{http.MethodGet: s.list})
	s.Handle("/people/{id}", vendortest.Methods{http.MethodGet: s.get})
	return s
}

var errToyNotFound = errors.New("no such person")

func (s *toySim) list(w http.ResponseWriter, r *http.Request) error {
	page, err1 := strconv.Atoi(r.URL.Query().Get("page"))
	size, err2 := strconv.Atoi(r.URL.Query().Get("size"))
	if err1 != nil || err2 != nil || page < 1 || size < 1 || size > 3 {
		return errors.New("page from 1 and size 1 to 3 are required")
	}
	lo := min((page-1)*size, len(s.people))
	return toyJSON(w, s.people[lo:min(lo+size, len(s.people))])
}

func (s *toySim) get(w http.ResponseWriter, r *http.Request) error {
	for _, p := range s.people {
		if strconv.FormatInt(p.ID, 10) == r.PathValue("id") {
			return toyJSON(w, p)
		}
	}
	return errToyNotFound
}

func toyJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(v)
}

// ---- the toy adapter and its driver ----

const toyVendor domain.Vendor = "toy"

type toyAdapter struct {
	base   string
	key    string
	client *vendorhttp.Client
}

var toyDriver = vendorhttp.Driver{
	Vendor: toyVendor, IDPrefix: "ty",
	Credentials: []string{"api_key"},
	URLs:        []vendorhttp.URLSetting{{Name: "base_url", Default: "https://api.toy.example"}},
	Defaults:    vendorhttp.DefaultSettings(),
	Connect: func(c vendorhttp.Connection) (domain.Connection, error) {
		return &toyAdapter{base: c.URLs["base_url"], key: c.Credentials["api_key"], client: vendorhttp.NewClient(toyVendor, c.Client)}, nil
	},
	Demo: func(o vendorhttp.DemoOptions) (*vendorhttp.Demo, error) {
		return &vendorhttp.Demo{
			Simulator:   newToySim("toy-demo-key", o.Contacts),
			Credentials: map[string]string{"api_key": "toy-demo-key"},
			URLs:        func(base string) map[string]string { return map[string]string{"base_url": base} },
		}, nil
	},
}

func (a *toyAdapter) Vendor() domain.Vendor { return toyVendor }

// get sends GET path?q and decodes the JSON answer; a non-2xx answer is a
// vendor error of the kind its status says.
func (a *toyAdapter) get(ctx context.Context, path string, q url.Values) (*vendorhttp.Response, error) {
	resp, err := a.client.Call(ctx, vendorhttp.Request{Op: vendorhttp.OpName(http.MethodGet, path), Method: http.MethodGet,
		Build: func(ctx context.Context, _ string) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+path+"?"+q.Encode(), nil)
			if err == nil {
				req.Header.Set("X-Toy-Key", a.key)
			}
			return req, err
		}})
	if err == nil && resp.Status/100 != 2 {
		err = &domain.VendorError{Vendor: toyVendor, Kind: vendorhttp.StatusKind(resp.Status), Status: resp.Status, Detail: fmt.Sprintf("toy answered %d", resp.Status)}
	}
	return resp, err
}

func (p toyPerson) contact(raw json.RawMessage) domain.Contact {
	return domain.Contact{ID: strconv.FormatInt(p.ID, 10), Name: p.Name, Email: p.Email, Raw: raw}
}

func (a *toyAdapter) ContactFilters() []string { return nil }

func (a *toyAdapter) ListContacts(ctx context.Context, _ domain.ContactQuery, p domain.PageRequest) (domain.Page[domain.Contact], error) {
	return vendorhttp.WalkPages(vendorhttp.PageNumbers{First: 1, MaxSize: 3}, p, func(page, size int) ([]domain.Contact, error) {
		resp, err := a.get(ctx, "/people", url.Values{"page": {strconv.Itoa(page)}, "size": {strconv.Itoa(size)}})
		if err != nil {
			return nil, err
		}
		return vendorhttp.DecodeList(ctx, toyVendor, resp, toyPerson.contact)
	})
}

func (a *toyAdapter) GetContact(ctx context.Context, id string) (domain.Contact, error) {
	if _, ok := vendorhttp.PositiveID(id); !ok {
		return domain.Contact{}, vendorhttp.NotFound(toyVendor, "contact")
	}
	resp, err := a.get(ctx, "/people/"+id, nil)
	if err != nil {
		return domain.Contact{}, err
	}
	p, raw, err := vendorhttp.DecodeOne[toyPerson](ctx, toyVendor, resp)
	return p.contact(raw), err
}

// ---- the tests ----

// toyDrivers are the built-in drivers and the toy, as a build with the toy
// vendor's line in the list would have them.
func toyDrivers(t *testing.T) *vendorhttp.Drivers {
	t.Helper()
	ds, err := vendorhttp.NewDrivers(append(derefDrivers(builtin.All()), toyDriver)...)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func derefDrivers(ds []*vendorhttp.Driver) []vendorhttp.Driver {
	out := make([]vendorhttp.Driver, len(ds))
	for i, d := range ds {
		out[i] = *d
	}
	return out
}

func TestToyVendorEndToEnd(t *testing.T) {
	drivers := toyDrivers(t)
	sb, err := sandbox.Start(sandbox.Options{Drivers: drivers, Contacts: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	const tenant = "demo-toy"
	if !slices.Contains(sb.Tenants(), tenant) {
		t.Fatalf("sandbox tenants %v lack %s", sb.Tenants(), tenant)
	}
	e := serve(t, sb, sb.Config, app.Options{Drivers: drivers})
	get := func(path string) resp {
		return e.do(req{method: http.MethodGet, path: path, key: keyAll, tenant: tenant})
	}

	// Every page within the toy's 3-a-page limit, whatever the caller's.
	var ids []string
	cursor := ""
	for range 10 {
		r := get("/v1/contacts?limit=5" + cursor)
		page := r.ok(t, http.StatusOK)
		if v := r.Header.Get("X-Vendor"); v != "toy" {
			t.Fatalf("X-Vendor = %q", v)
		}
		for _, c := range page["data"].([]any) {
			ids = append(ids, c.(map[string]any)["id"].(string))
		}
		next, _ := page["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = "&cursor=" + next
	}
	if want := []string{"ty_10", "ty_20", "ty_30", "ty_40", "ty_50", "ty_60", "ty_70", "ty_80"}; !slices.Equal(ids, want) {
		t.Fatalf("contacts %v, want %v", ids, want)
	}

	c := get("/v1/contacts/ty_30?include=raw").ok(t, http.StatusOK)
	if c["name"] != "Toy 03" || c["email"] != "toy3@example.com" || c["raw"].(map[string]any)["id"] != float64(30) {
		t.Fatalf("contact = %v", c)
	}
	get("/v1/contacts/ty_35").problem(t, http.StatusNotFound, "NOT_FOUND")
	// Ids of other vendors are refused before any call, both ways.
	get("/v1/contacts/lf_4").problem(t, http.StatusConflict, "ID_VENDOR_MISMATCH")
	e.get("/v1/contacts/ty_30").problem(t, http.StatusConflict, "ID_VENDOR_MISMATCH")

	caps := get("/v1/capabilities").ok(t, http.StatusOK)
	ops := caps["operations"].(map[string]any)
	if caps["vendor"] != "toy" || ops["listContacts"] != true || ops["getContact"] != true || ops["createContact"] != false {
		t.Fatalf("capabilities = %v", caps)
	}
	get("/v1/groups").problem(t, http.StatusNotImplemented, "UNSUPPORTED_OPERATION")

	// demo-switch has a toy connection too.
	sw := e.do(req{method: http.MethodPut, path: "/admin/v1/tenants/" + tenantSwitch + "/vendor", key: keyAll, body: map[string]string{"vendor": "toy"}})
	if sw.Status != http.StatusBadRequest {
		// The spec lists the vendors a caller may name; a new vendor's
		// row in it is part of adding the vendor.
		t.Fatalf("switch to a vendor the spec does not list: %d %s", sw.Status, sw.Body)
	}
	conns := e.do(req{method: http.MethodGet, path: "/admin/v1/tenants/" + tenantSwitch, key: keyAll}).ok(t, http.StatusOK)["connections"].([]any)
	if last := conns[len(conns)-1].(map[string]any); last["vendor"] != "toy" {
		t.Fatalf("demo-switch connections = %v, want the toy last", conns)
	}
}

func TestToyVendorConfig(t *testing.T) {
	drivers := toyDrivers(t)
	file := func(conn string) []byte {
		return []byte(`
cursor_secret: {env: SECRET}
api_keys: [{name: a, sha256: 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b, scopes: [read], tenants: ["*"]}]
tenants: [{id: acme, vendor: toy, connections: {toy: ` + conn + `}}]
vendors: {toy: {timeout: 3s}}
`)
	}
	env := func(k string) (string, bool) {
		v, ok := map[string]string{"SECRET": strings.Repeat("s", 32), "TOY_KEY": "k"}[k]
		return v, ok
	}
	cfg, err := config.Parse(file(`{credentials: {api_key: {env: TOY_KEY}}}`), env, drivers)
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Tenants[0].Connections[0]
	if c.Vendor != toyVendor || c.URLs["base_url"] != "https://api.toy.example" || c.Credentials["api_key"].Value() != "k" || cfg.Vendors[toyVendor].Timeout.Seconds() != 3 {
		t.Fatalf("toy connection = %+v, settings %+v", c, cfg.Vendors[toyVendor])
	}
	_, err = config.Parse(file(`{base_url: "ftp://x", region: cn, credentials: {app_key: {env: TOY_KEY}}}`), env, drivers)
	for _, want := range []string{
		"connections.toy.base_url: must be an http(s) URL",
		"connections.toy.region: is not a toy setting (base_url, timeout, quota, credentials)",
		"connections.toy.credentials.api_key: is required",
		"connections.toy.credentials.app_key: is not a toy credential (api_key)",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("config error %v does not say %q", err, want)
		}
	}
	// Without the toy's line in the driver list, the vendor is unknown.
	if _, err := config.Parse(file(`{credentials: {api_key: {env: TOY_KEY}}}`), env, builtin); err == nil || !strings.Contains(err.Error(), `unknown vendor "toy"`) {
		t.Fatalf("a build without the toy driver accepted it: %v", err)
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// A path is one kind of gateway call the harness drives.
type path struct {
	name string
	op   string // the operationId a vendor's capabilities must hold
	// request is the gateway call for vendor (the first contact's id in
	// id, for the paths that need one), or ok=false when the harness has
	// no such call for it.
	request func(vendor, id string) (method, uri string, body []byte, ok bool)
}

// ratioPaths are driven at a fixed rate and closed-loop, against the
// reverse proxies and the simulator straight.
var ratioPaths = []path{
	{"passthrough", "passthrough", passthrough},
	{"get_one", "getContact", func(_, id string) (string, string, []byte, bool) {
		return http.MethodGet, "/v1/contacts/" + id, nil, id != ""
	}},
	{"list10", "listContacts", list(10)},
	{"list50", "listContacts", list(50)},
	{"list200", "listContacts", list(200)},
}

func list(n int) func(string, string) (string, string, []byte, bool) {
	return func(string, string) (string, string, []byte, bool) {
		return http.MethodGet, "/v1/contacts?limit=" + strconv.Itoa(n), nil, true
	}
}

// passthroughCalls is a read-only vendor call per vendor, documented in
// the vendor's notes in the README and its adapter's passthrough tests.
var passthroughCalls = map[string]string{
	"linkflow": `{"method":"GET","path":"/open/orders","query":{"lastMaxId":["0"]}}`,
	"meihua":   `{"method":"GET","path":"/contact/setting"}`,
	"nxcloud":  `{"method":"GET","path":"/saas/cdp/openapi/customers/fields"}`,
	"miaokol":  `{"method":"GET","path":"/smart-tag/list"}`,
}

func passthrough(vendor, _ string) (string, string, []byte, bool) {
	b, ok := passthroughCalls[vendor]
	return http.MethodPost, "/v1/passthrough", []byte(b), ok
}

// batch is a batch upsert of n contacts in the fields vendor's contacts
// require (Linkflow: an external id; Meihua: an email; NXCloud: a phone),
// merged on conflict so that every repetition writes the same records.
func batch(vendor string, n int) ([]byte, bool) {
	items := make([]map[string]any, n)
	for i := range items {
		it := map[string]any{"name": fmt.Sprintf("Load %d", i)}
		switch vendor {
		case "linkflow":
			it["email"] = fmt.Sprintf("load.%d@example.com", i)
			it["external_ids"] = []map[string]string{{"channel": "load.example.com", "id": fmt.Sprintf("load-%d", i)}}
		case "meihua":
			it["email"] = fmt.Sprintf("load.%d@example.com", i)
		case "nxcloud":
			it["whatsapp_phone"] = strconv.Itoa(8613900000000 + i)
		default:
			return nil, false
		}
		items[i] = it
	}
	b, err := json.Marshal(map[string]any{"on_conflict": "merge", "items": items})
	return b, err == nil
}

// target is a gateway call as a vegeta target.
func (g *gateway) target(vendor, method, uri string, body []byte) vegeta.Target {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+g.apiKey)
	h.Set("X-Tenant-ID", tenantOf(vendor))
	if body != nil {
		h.Set("Content-Type", "application/json")
	}
	return vegeta.Target{Method: method, URL: g.base + uri, Body: body, Header: h}
}

// do sends t once and returns the status and body.
func do(client *http.Client, t vegeta.Target) (int, []byte, error) {
	req, err := t.Request()
	if err != nil {
		return 0, nil, err
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = res.Body.Close() }()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// capabilities are the operations the tenant's vendor supports
// (GET /v1/capabilities).
func (g *gateway) capabilities(client *http.Client, vendor string) (map[string]bool, error) {
	status, b, err := do(client, g.target(vendor, http.MethodGet, "/v1/capabilities", nil))
	if err != nil {
		return nil, err
	}
	var c struct {
		Operations map[string]bool `json:"operations"`
	}
	if status != http.StatusOK || json.Unmarshal(b, &c) != nil || len(c.Operations) == 0 {
		return nil, fmt.Errorf("%s: capabilities: %d %.300s", vendor, status, b)
	}
	return c.Operations, nil
}

// firstContact is the id of the tenant's first listed contact ("" when
// its vendor lists none).
func (g *gateway) firstContact(client *http.Client, vendor string) (string, error) {
	status, b, err := do(client, g.target(vendor, http.MethodGet, "/v1/contacts?limit=1", nil))
	if err != nil {
		return "", err
	}
	if status == http.StatusNotImplemented {
		return "", nil
	}
	var page struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if status != http.StatusOK || json.Unmarshal(b, &page) != nil || len(page.Data) == 0 {
		return "", fmt.Errorf("%s: first contact: %d %s", vendor, status, bytes.TrimSpace(b))
	}
	return page.Data[0].ID, nil
}

package vendortest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// A simulator of a vendor that takes its token in the query and answers
// every error with HTTP 200 and success:false.
func Example() {
	const token = "t0k3n"
	sim := vendortest.New(vendortest.Options{
		Auth: func(r *http.Request) error {
			if r.URL.Query().Get("token") != token {
				return errors.New("bad token")
			}
			return nil
		},
		WriteError: func(w http.ResponseWriter, _ *http.Request, err error) {
			code := "E_INTERNAL"
			if errors.Is(err, vendortest.ErrUnauthorized) {
				code = "E_TOKEN"
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"success": false, "code": code})
		},
	})
	sim.HandlePublic("/access_token", vendortest.Methods{http.MethodPost: func(w http.ResponseWriter, _ *http.Request) error {
		return json.NewEncoder(w).Encode(map[string]any{"success": true, "access_token": token})
	}})
	sim.Handle("/contacts", vendortest.Methods{http.MethodGet: func(w http.ResponseWriter, _ *http.Request) error {
		return json.NewEncoder(w).Encode(map[string]any{"success": true, "data": []string{}})
	}})

	base, shutdown, err := vendortest.Serve("/vendors/acme", sim)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = shutdown(context.Background()) }()
	for _, path := range []string{"/contacts?token=nope", "/contacts?token=" + token} {
		res, err := http.Get(base + path)
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		fmt.Printf("%d %s", res.StatusCode, body)
	}
	fmt.Println(sim.Calls(http.MethodGet, "/contacts"), "calls to GET /contacts")
	// Output:
	// 200 {"code":"E_TOKEN","success":false}
	// 200 {"data":[],"success":true}
	// 2 calls to GET /contacts
}

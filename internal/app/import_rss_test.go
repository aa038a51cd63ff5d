//go:build importrss

package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/app"
	"github.com/cdp-gateway/cdp-gateway/internal/redistest"
)

// TestImportRSS measures the process's peak RSS (VmHWM) around NDJSON
// imports of growing size, with the job data in Redis and no job run
// (the runner polls once an hour), so that the figure is the request
// path's: it must not grow with the body. Not part of make test:
//
//	go test -tags importrss -run TestImportRSS -v ./internal/app/
func TestImportRSS(t *testing.T) {
	rs := redistest.Start(t)
	sb, cfg := newSandbox(t)
	stores, err := app.RedisStores(context.Background(), rs.URL(), cfg, app.RedisOptions{Prefix: "rss:", ConnectTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stores.Close() })
	e := serve(t, sb, cfg, app.Options{Stores: stores, Jobs: app.JobOptions{Poll: time.Hour}})
	t.Logf("idle: VmHWM %s", vmHWM(t))
	for _, n := range []int{100_000, 300_000} {
		pr, pw := io.Pipe()
		go func() { // the body is generated as it is sent: the client holds none of it
			for i := range n {
				fmt.Fprintf(pw, `{"name":"Import %d","email":"imp%d@example.com","mobile_phone":"1380000%04d","external_ids":[{"channel":"import.example.com","id":"imp-%d"}],"note":"bulk import measurement row %d"}`+"\n", i, i, i%10000, i, i)
			}
			_ = pw.Close()
		}()
		hr, _ := http.NewRequest(http.MethodPost, e.url+"/v1/contacts/imports", pr)
		hr.Header.Set("Authorization", "Bearer "+keyAll)
		hr.Header.Set("X-Tenant-ID", tenantLF)
		hr.Header.Set("Content-Type", "application/x-ndjson")
		start := time.Now()
		res, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		if res.StatusCode != http.StatusAccepted {
			t.Fatalf("%d lines: %d", n, res.StatusCode)
		}
		t.Logf("%d lines: 202 after %s; VmHWM %s", n, time.Since(start).Round(time.Millisecond), vmHWM(t))
	}
}

func vmHWM(t *testing.T) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "?"
}

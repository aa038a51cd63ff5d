package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/cdp-gateway/cdp-gateway/internal/app"
	"github.com/cdp-gateway/cdp-gateway/internal/telemetry"
)

// TestTracesMetricsAndLogsCarryTheCallersTrace: a request with a
// traceparent gets a server span in that trace, vendor client spans as its
// children, log lines with its trace id and request id, and metrics.
func TestTracesMetricsAndLogsCarryTheCallersTrace(t *testing.T) {
	sb, cfg := newSandbox(t)
	spans := tracetest.NewInMemoryExporter()
	tel, err := telemetry.New(context.Background(), telemetry.Options{SpanExporter: spans, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	e := serve(t, sb, cfg, app.Options{Telemetry: tel})
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	r := e.do(req{method: http.MethodGet, path: "/v1/groups?limit=2", key: keyAll, tenant: tenantLF,
		headers: map[string]string{"traceparent": "00-" + traceID + "-00f067aa0ba902b7-01", "X-Request-Id": "trace-test-1"}})
	r.ok(t, http.StatusOK)

	var server trace.SpanContext
	var vendorSpans int
	for _, s := range spans.GetSpans() {
		if s.SpanContext.TraceID().String() != traceID {
			t.Errorf("span %q is in trace %s, not the caller's", s.Name, s.SpanContext.TraceID())
		}
		attrs := map[string]string{}
		for _, kv := range s.Attributes {
			attrs[string(kv.Key)] = kv.Value.String()
		}
		switch s.SpanKind {
		case trace.SpanKindServer:
			server = s.SpanContext
			if s.Name != "GET /v1/groups" || attrs["http.route"] != "/v1/groups" || attrs["cdpgw.tenant"] != tenantLF ||
				attrs["http.response.status_code"] != "200" || attrs["cdpgw.vendor"] != "linkflow" {
				t.Errorf("server span %s %v", s.Name, attrs)
			}
		case trace.SpanKindClient:
			vendorSpans++
			for _, k := range []string{"cdpgw.vendor", "cdpgw.vendor.operation", "cdpgw.attempt", "cdpgw.breaker.state", "cdpgw.token.cache"} {
				if attrs[k] == "" {
					t.Errorf("client span %s lacks %s: %v", s.Name, k, attrs)
				}
			}
		}
	}
	if !server.IsValid() || vendorSpans < 2 { // the token call and the list
		t.Fatalf("server span %v, %d vendor spans", server, vendorSpans)
	}

	lines := 0
	for _, line := range strings.Split(strings.TrimSpace(e.logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		if m["request_id"] != "trace-test-1" {
			continue
		}
		lines++
		if m["trace_id"] != traceID || m["span_id"] == "" {
			t.Errorf("log line without the trace: %s", line)
		}
	}
	if lines == 0 {
		t.Fatal("no log line for the request")
	}

	metrics := string(e.do(req{method: http.MethodGet, path: "/metrics"}).Body)
	for _, want := range []string{
		`cdpgw_http_requests_total{method="GET",outcome="ok",route="/v1/groups",status="200",tenant="demo-linkflow",vendor="linkflow"}`,
		`cdpgw_vendor_token_fetches_total{outcome="ok",tenant="demo-linkflow",vendor="linkflow"}`,
		"cdpgw_http_request_duration_seconds_bucket",
		"cdpgw_vendor_call_duration_seconds_bucket",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestMetricLabelsStayBounded: methods a caller invents, and unknown
// paths, do not grow the metric label sets; an unauthenticated call has
// no tenant label value.
func TestMetricLabelsStayBounded(t *testing.T) {
	sb, cfg := newSandbox(t)
	tel, err := telemetry.New(context.Background(), telemetry.Options{Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	e := serve(t, sb, cfg, app.Options{Telemetry: tel})
	for _, m := range []string{"BREW", "PROPFIND", "X-AAAAAAAAAAAAAAAAAAAAAA"} {
		e.do(req{method: m, path: "/v1/contacts/" + m, key: keyAll, tenant: tenantLF})
	}
	e.do(req{method: http.MethodGet, path: "/v1/contacts", tenant: "made-up-tenant"})
	metrics := string(e.do(req{method: http.MethodGet, path: "/metrics"}).Body)
	if strings.Contains(metrics, "BREW") || strings.Contains(metrics, "PROPFIND") || !strings.Contains(metrics, `method="other"`) {
		t.Fatalf("invented methods in the labels:\n%s", grepLines(metrics, "cdpgw_http_requests_total"))
	}
	if strings.Contains(metrics, "made-up-tenant") {
		t.Fatal("an unauthenticated caller's tenant is a label value")
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

package telemetry_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/cdp-gateway/cdp-gateway/internal/buildinfo"
	"github.com/cdp-gateway/cdp-gateway/internal/telemetry"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestNewFollowsTheEnvironment(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name    string
		env     map[string]string
		wantErr bool
		metrics bool
	}{
		{"nothing set: no exporter, metrics on /metrics", nil, false, true},
		{"exporters off", map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none"}, false, true},
		{"unknown exporter", map[string]string{"OTEL_TRACES_EXPORTER": "carrier-pigeon"}, true, false},
		{"SDK disabled", map[string]string{"OTEL_SDK_DISABLED": "true"}, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// autoexport reads the process environment itself.
			for _, k := range []string{"OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_SDK_DISABLED",
				"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"} {
				t.Setenv(k, tc.env[k])
			}
			tel, err := telemetry.New(ctx, telemetry.Options{})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				return
			}
			defer tel.Shutdown(ctx)
			tel.Requests.Add(ctx, 1)
			rec := httptest.NewRecorder()
			tel.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
			has := rec.Code == 200 && strings.Contains(rec.Body.String(), "cdpgw_http_requests_total")
			if has != tc.metrics {
				t.Fatalf("metrics served = %v (%d), want %v", has, rec.Code, tc.metrics)
			}
		})
	}
}

func TestLogLinesCarryRequestAndTraceIDs(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	tel, err := telemetry.New(context.Background(), telemetry.Options{SpanExporter: spans, Getenv: envOf(nil)})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := slog.New(telemetry.LogHandler(telemetry.LogHandler(slog.NewJSONHandler(&buf, nil))))
	ctx, span := tel.Tracer.Start(telemetry.WithRequestID(context.Background(), "req-1"), "op")
	log.InfoContext(ctx, "hello")
	span.End()
	line := buf.String()
	want := `"request_id":"req-1","trace_id":"` + span.SpanContext().TraceID().String() + `"`
	if !strings.Contains(line, want) || strings.Count(line, "request_id") != 1 {
		t.Fatalf("log line %s, want %s once", line, want)
	}
	buf.Reset()
	log.Info("no context")
	if strings.Contains(buf.String(), "trace_id") {
		t.Fatalf("trace id without a span: %s", buf.String())
	}
}

// TestRuntimeAndProcessMetrics: /metrics carries the Go runtime's and the
// process's metrics next to the gateway's.
func TestRuntimeAndProcessMetrics(t *testing.T) {
	ctx := context.Background()
	tel, err := telemetry.New(ctx, telemetry.Options{Getenv: envOf(nil)})
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(ctx)
	rec := httptest.NewRecorder()
	tel.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_cpu_seconds_total", "process_open_fds"} {
		if !strings.Contains(rec.Body.String(), name) {
			t.Errorf("no %s in /metrics", name)
		}
	}
}

// TestResourceNamesTheVersion: service.version is on the resource, so
// Prometheus's target_info tells which build a replica runs.
func TestResourceNamesTheVersion(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ name, given, want string }{
		{"given", "v1.2.0-3-g1a2b3c4", "v1.2.0-3-g1a2b3c4"},
		{"default: the binary's own", "", buildinfo.Read().Version},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tel, err := telemetry.New(ctx, telemetry.Options{Version: tc.given, Getenv: envOf(nil)})
			if err != nil {
				t.Fatal(err)
			}
			defer tel.Shutdown(ctx)
			rec := httptest.NewRecorder()
			tel.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
			var info string
			for _, line := range strings.Split(rec.Body.String(), "\n") {
				if strings.HasPrefix(line, "target_info{") {
					info = line
				}
			}
			if want := `service_version="` + tc.want + `"`; !strings.Contains(info, want) || !strings.Contains(info, `service_name="cdp-gateway"`) {
				t.Fatalf("target_info = %q, want %s", info, want)
			}
		})
	}
}

// TestSpansRecordOnlyWhenExported: without an exporter spans are not
// recorded (nothing would read them) yet have ids, continuing the
// caller's trace, so that log lines still carry them; with one they are
// recorded.
func TestSpansRecordOnlyWhenExported(t *testing.T) {
	ctx := context.Background()
	for _, exported := range []bool{false, true} {
		opts := telemetry.Options{Getenv: envOf(nil)}
		if exported {
			opts.SpanExporter = tracetest.NewInMemoryExporter()
		}
		tel, err := telemetry.New(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		parent := trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled, Remote: true})
		_, span := tel.Tracer.Start(trace.ContextWithRemoteSpanContext(ctx, parent), "op")
		sc := span.SpanContext()
		if span.IsRecording() != exported || !sc.IsValid() || sc.TraceID() != parent.TraceID() || sc.SpanID() == parent.SpanID() {
			t.Errorf("exported %v: recording %v, span context %v", exported, span.IsRecording(), sc)
		}
		span.End()
		_ = tel.Shutdown(ctx)
	}
}

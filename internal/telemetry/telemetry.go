// Package telemetry sets up the gateway's OpenTelemetry tracing and
// metrics and holds the instruments the other packages record to.
//
// Spans are always made (so every log line has a trace id) but recorded
// and exported only when the standard OTEL_* variables ask for it:
// OTEL_TRACES_EXPORTER, or an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT,
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT). Metrics are always readable in
// Prometheus form (Handler, served at /metrics) and pushed by OTLP under
// the same rules (OTEL_METRICS_EXPORTER, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT).
// Without any of them nothing leaves the process, so the gateway runs
// safely where no collector exists. OTEL_SDK_DISABLED=true turns the SDK
// off altogether.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/cdp-gateway/cdp-gateway/internal/buildinfo"
)

// Name is the instrumentation scope and default service name.
const Name = "cdp-gateway"

// Options tune New.
type Options struct {
	// Version is reported as service.version (default: buildinfo.Read's),
	// so Prometheus's target_info names the running build.
	Version string
	// SpanExporter, when set, receives every span synchronously (tests);
	// the OTEL_* exporter is still added when configured.
	SpanExporter sdktrace.SpanExporter
	// Getenv decides whether exporters are wanted (default os.Getenv); the
	// exporters themselves read the process environment.
	Getenv func(string) string
}

// Telemetry is the gateway's tracer, meter, instruments and propagator.
type Telemetry struct {
	Tracer         trace.Tracer
	Propagator     propagation.TextMapPropagator
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	*Instruments

	handler  http.Handler
	shutdown []func(context.Context) error
}

// New builds the telemetry described by the environment.
func New(ctx context.Context, opts Options) (*Telemetry, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	t := &Telemetry{Propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})}
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return Nop(), nil
	}
	if opts.Version == "" {
		opts.Version = buildinfo.Read().Version
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(Name), semconv.ServiceVersion(opts.Version)),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
	)
	if err != nil {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}

	tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	exporting := false
	if opts.SpanExporter != nil {
		tpOpts = append(tpOpts, sdktrace.WithSyncer(opts.SpanExporter))
		exporting = true
	}
	if wanted(getenv, "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
		exp, err := autoexport.NewSpanExporter(ctx)
		if err != nil {
			return nil, fmt.Errorf("telemetry: traces exporter: %w", err)
		}
		if !autoexport.IsNoneSpanExporter(exp) {
			tpOpts = append(tpOpts, sdktrace.WithBatcher(exp))
			exporting = true
		}
	}
	if !exporting {
		// No span leaves the process: record none. A span that is not
		// sampled still gets its ids (the caller's trace id, a new span
		// id), so log lines still carry trace_id and span_id; what it
		// saves is every span's attributes, events and bookkeeping, a
		// tenth of the allocations of a passthrough call.
		tpOpts = append(tpOpts, sdktrace.WithSampler(sdktrace.NeverSample()))
	}
	tp := sdktrace.NewTracerProvider(tpOpts...)
	t.shutdown = append(t.shutdown, tp.Shutdown)
	t.TracerProvider = tp
	t.Tracer = tp.Tracer(Name)

	reg := prometheus.NewRegistry()
	// The Go runtime's and the process's own metrics (goroutines, GC,
	// memory, CPU, open files) next to the gateway's.
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, fmt.Errorf("telemetry: go collector: %w", err)
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, fmt.Errorf("telemetry: process collector: %w", err)
	}
	promReader, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, fmt.Errorf("telemetry: prometheus exporter: %w", err)
	}
	mpOpts := []sdkmetric.Option{sdkmetric.WithResource(res), sdkmetric.WithReader(promReader)}
	if wanted(getenv, "OTEL_METRICS_EXPORTER", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT") {
		r, err := autoexport.NewMetricReader(ctx)
		if err != nil {
			return nil, fmt.Errorf("telemetry: metrics exporter: %w", err)
		}
		if !autoexport.IsNoneMetricReader(r) {
			mpOpts = append(mpOpts, sdkmetric.WithReader(r))
		}
	}
	mp := sdkmetric.NewMeterProvider(mpOpts...)
	t.shutdown = append(t.shutdown, mp.Shutdown)
	t.MeterProvider = mp
	t.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	if t.Instruments, err = newInstruments(mp.Meter(Name)); err != nil {
		return nil, err
	}
	return t, nil
}

// wanted reports whether the environment asks for an exporter of a signal:
// its OTEL_<SIGNAL>_EXPORTER is set, or an OTLP endpoint is.
func wanted(getenv func(string) string, exporterVar, signalEndpointVar string) bool {
	return getenv(exporterVar) != "" || getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv(signalEndpointVar) != ""
}

// Nop returns telemetry that records nothing (spans still carry a caller's
// trace context).
func Nop() *Telemetry {
	ins, _ := newInstruments(metricnoop.NewMeterProvider().Meter(Name))
	tp := tracenoop.NewTracerProvider()
	return &Telemetry{
		Tracer: tp.Tracer(Name), TracerProvider: tp, MeterProvider: metricnoop.NewMeterProvider(),
		Propagator:  propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
		Instruments: ins,
		handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "metrics are disabled (OTEL_SDK_DISABLED)", http.StatusNotFound)
		}),
	}
}

// Handler serves the metrics in Prometheus text format.
func (t *Telemetry) Handler() http.Handler { return t.handler }

// Shutdown flushes and stops the exporters.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	for _, f := range t.shutdown {
		errs = append(errs, f(ctx))
	}
	return errors.Join(errs...)
}

// Attribute keys shared by spans and metrics.
var (
	KeyTenant    = attribute.Key("cdpgw.tenant")
	KeyVendor    = attribute.Key("cdpgw.vendor")
	KeyOperation = attribute.Key("cdpgw.vendor.operation")
	KeyAttempt   = attribute.Key("cdpgw.attempt")
	KeyBreaker   = attribute.Key("cdpgw.breaker.state")
	KeyTokenHit  = attribute.Key("cdpgw.token.cache")
	KeyOutcome   = attribute.Key("cdpgw.outcome")
)

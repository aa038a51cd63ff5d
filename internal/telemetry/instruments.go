package telemetry

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Instruments are the gateway's metrics. Labels are bounded: routes are
// route patterns, tenants come from configuration, outcomes and vendor
// operations are fixed names. No label ever carries a credential.
type Instruments struct {
	// Requests counts API requests: route, method, tenant, vendor, status, outcome.
	Requests metric.Int64Counter
	// RequestDuration is API request latency in seconds, same labels.
	RequestDuration metric.Float64Histogram
	// VendorCalls counts vendor call attempts: vendor, tenant, operation, outcome.
	VendorCalls metric.Int64Counter
	// VendorCallDuration is vendor call attempt latency in seconds, same labels.
	VendorCallDuration metric.Float64Histogram
	// VendorCallErrors counts failed vendor call attempts: vendor, tenant, operation, outcome.
	VendorCallErrors metric.Int64Counter
	// VendorRetries counts retried vendor calls: vendor, tenant, operation.
	VendorRetries metric.Int64Counter
	// TokenFetches counts vendor token calls: vendor, tenant, outcome.
	TokenFetches metric.Int64Counter
	// BreakerStateChanges counts circuit breaker transitions: vendor, tenant, from, to.
	BreakerStateChanges metric.Int64Counter
	// QuotaRejections counts calls refused because a vendor quota was spent: vendor, tenant.
	QuotaRejections metric.Int64Counter
	// CredentialRefusals counts calls refused, without calling the vendor,
	// because it refused the connection's credentials moments ago: vendor, tenant.
	CredentialRefusals metric.Int64Counter
	// ReauthorizationsRequired counts connections whose authorization the
	// vendor ended (a refused refresh token, or a refresh answer lost for
	// good), so that an operator must connect them again: vendor, tenant,
	// reason.
	ReauthorizationsRequired metric.Int64Counter
	// RefreshAnswersLost counts refresh calls whose answer never arrived
	// after the vendor may have acted on them: vendor, tenant.
	RefreshAnswersLost metric.Int64Counter
	// ConfigReloads counts configuration reloads: outcome (ok, error).
	ConfigReloads metric.Int64Counter
	// JobStateChanges counts job state changes: kind, from, to.
	JobStateChanges metric.Int64Counter
	// ConfigLastReloadSuccessful is 1 while the running configuration is
	// the files' (the last reload, or the start, succeeded), 0 after a
	// reload failed and the previous configuration is kept.
	ConfigLastReloadSuccessful metric.Int64Gauge
}

func newInstruments(m metric.Meter) (*Instruments, error) {
	var errs []error
	counter := func(name, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	seconds := func(name, desc string) metric.Float64Histogram {
		h, err := m.Float64Histogram(name, metric.WithDescription(desc), metric.WithUnit("s"),
			metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
		errs = append(errs, err)
		return h
	}
	ins := &Instruments{
		Requests:            counter("cdpgw.http.requests", "API requests"),
		RequestDuration:     seconds("cdpgw.http.request.duration", "API request latency"),
		VendorCalls:         counter("cdpgw.vendor.calls", "Vendor call attempts"),
		VendorCallDuration:  seconds("cdpgw.vendor.call.duration", "Vendor call attempt latency"),
		VendorCallErrors:    counter("cdpgw.vendor.call.errors", "Failed vendor call attempts"),
		VendorRetries:       counter("cdpgw.vendor.call.retries", "Vendor call retries"),
		TokenFetches:        counter("cdpgw.vendor.token.fetches", "Vendor access token calls"),
		BreakerStateChanges: counter("cdpgw.breaker.state.changes", "Circuit breaker state changes"),
		QuotaRejections:     counter("cdpgw.quota.rejections", "Calls refused because a vendor quota was spent"),
		CredentialRefusals:  counter("cdpgw.vendor.credential.refusals", "Calls refused without calling the vendor because it refused the credentials moments ago"),
		ReauthorizationsRequired: counter("cdpgw.vendor.reauthorizations.required",
			"Connections that need an operator to connect them again: the vendor ended their authorization"),
		RefreshAnswersLost: counter("cdpgw.vendor.refresh.answers.lost", "Refresh calls whose answer was lost after the vendor may have acted on them"),
		ConfigReloads:      counter("cdpgw.config.reloads", "Configuration reloads"),
		JobStateChanges:    counter("cdpgw.job.state.changes", "Job state changes (migrations)"),
	}
	g, err := m.Int64Gauge("cdpgw.config.last_reload_successful",
		metric.WithDescription("1 while the running configuration is the files', 0 after a failed reload kept the previous one"))
	errs = append(errs, err)
	ins.ConfigLastReloadSuccessful = g
	return ins, errors.Join(errs...)
}

// JobStateChanged counts a job's change of state (a domain.JobRunner's
// OnState).
func (ins *Instruments) JobStateChanged(kind, from, to string) {
	ins.JobStateChanges.Add(context.Background(), 1, metric.WithAttributes(
		attribute.String("kind", kind), attribute.String("from", from), attribute.String("to", to)))
}

package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	gwhttp "github.com/cdp-gateway/cdp-gateway/internal/http"
)

// Printing progress.
const (
	// lineEvery is how often the line view repeats unchanged-state
	// progress: often enough for a log, rarely enough to read.
	lineEvery = 5 * time.Second
	// shownErrors is how many item errors the summary lists.
	shownErrors = 5
	barWidth    = 72
)

// progressView shows a migration while it runs.
type progressView interface {
	// update shows the migration as last read.
	update(mig gwhttp.Migration)
	// note prints a line about the watch itself (the gateway unreachable).
	note(msg string)
	// close stops the view; mig is the migration as last read.
	close(mig gwhttp.Migration)
}

// printPlan prints what the migration will carry, leave out and cannot
// carry, and why.
func printPlan(w *output, mig gwhttp.Migration) {
	nw := nameWidth(mig)
	w.printf("Plan for %s, %s → %s:\n", mig.Tenant, mig.From, mig.To)
	if len(mig.Plan.Steps) == 0 {
		w.printf("  nothing to carry\n")
	}
	for _, s := range mig.Plan.Steps {
		switch s.Action {
		case gwhttp.MigrationPlanStepActionCarry:
			w.printf("  %-*s carry\n", nw, s.Resource)
			if d := deref(s.Detail, ""); d != "" {
				w.printf("  %-*s   %s\n", nw, "", d)
			}
			if len(s.Dropped) > 0 {
				w.printf("  %-*s   left out: %s\n", nw, "", strings.Join(s.Dropped, ", "))
			}
			if len(s.Transformed) > 0 {
				w.printf("  %-*s   changed on the way: %s\n", nw, "", strings.Join(s.Transformed, "; "))
			}
		case gwhttp.MigrationPlanStepActionCannot:
			w.printf("  %-*s cannot be carried: %s\n", nw, s.Resource, deref(s.Detail, "no reason given"))
		default:
			w.printf("  %-*s %s\n", nw, s.Resource, s.Action)
		}
	}
	if mig.DryRun {
		w.printf("Dry run: nothing is written.\n")
	}
}

// printSummary prints how the migration ended, what it carried and the
// first items it could not carry.
func printSummary(w *output, mig gwhttp.Migration) {
	took := ""
	if mig.StartedAt != nil && mig.FinishedAt != nil {
		took = ", " + mig.FinishedAt.Sub(*mig.StartedAt).Round(100*time.Millisecond).String()
	}
	w.printf("%s: %s (%s → %s), %d run(s)%s.\n", title(mig.State), mig.ID, mig.From, mig.To, mig.Runs, took)
	if mig.Reason != nil && *mig.Reason != "" {
		w.printf("  reason: %s\n", *mig.Reason)
	}
	for _, p := range mig.Progress {
		w.printf("  %-*s %d carried, %d failed, %d skipped\n", nameWidth(mig), p.Resource, p.Done, p.Failed, p.Skipped)
	}
	if len(mig.Fields) > 0 {
		w.printf("Custom fields at %s (after the switch their values are under the new key; name them in the tenants file to keep one spelling):\n", mig.To)
		for _, f := range mig.Fields {
			w.printf("  %s -> %s", f.From, f.To)
			if l := deref(f.Label, ""); l != "" {
				w.printf(" (%s)", l)
			}
			w.printf(", %s\n", fieldHow[f.How])
		}
	}
	if mig.State == gwhttp.MigrationStateSucceeded && mig.Switch {
		w.printf("%s is now on %s; ids of carried %s records are served through the id map (X-Id-Translated).\n", mig.Tenant, mig.To, mig.From)
	}
	if n := int64(len(mig.Errors)) + mig.ErrorsDropped; n > 0 {
		w.printf("%d item(s) could not be carried; the first:\n", n)
		for _, e := range mig.Errors[:min(len(mig.Errors), shownErrors)] {
			w.printf("  %s %s: %s", e.Resource, e.Item, e.Message)
			if e.Code != nil {
				w.printf(" (code %s)", *e.Code)
			}
			w.printf("\n")
		}
		if n > shownErrors {
			w.printf("  … and %d more: GET %s\n", n-shownErrors, "/admin/v1/tenants/"+mig.Tenant+"/migrations/"+mig.ID)
		}
	}
}

// fieldHow says how a custom field was carried.
var fieldHow = map[gwhttp.MigrationFieldHow]string{
	gwhttp.MigrationFieldHowNamed: "by the tenant's name", gwhttp.MigrationFieldHowSameKey: "same key",
	gwhttp.MigrationFieldHowLabel: "matched by label", gwhttp.MigrationFieldHowCreated: "created",
}

// nameWidth is the width of the resource column: the longest resource
// name the migration shows, and at least 10.
func nameWidth(mig gwhttp.Migration) int {
	n := 10
	for _, s := range mig.Plan.Steps {
		n = max(n, len(s.Resource))
	}
	for _, p := range mig.Progress {
		n = max(n, len(p.Resource))
	}
	return n
}

func title(s gwhttp.MigrationState) string {
	if s == "" {
		return "Unknown"
	}
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}

func deref(s *string, otherwise string) string {
	if s == nil || *s == "" {
		return otherwise
	}
	return *s
}

// output writes the command's lines and keeps the first error (stdout
// closed): later lines are dropped and the command reports it once.
type output struct {
	w   io.Writer
	err error
}

func (o *output) printf(format string, a ...any) {
	if o.err == nil {
		_, o.err = fmt.Fprintf(o.w, format, a...)
	}
}

// progressText is one resource's progress in words: counts, failures,
// rate and time left.
func progressText(p gwhttp.JobProgress) string {
	handled := p.Done + p.Failed + p.Skipped
	var b strings.Builder
	if p.Total != nil {
		fmt.Fprintf(&b, "%d/%d", handled, *p.Total)
	} else {
		fmt.Fprintf(&b, "%d", handled)
	}
	fmt.Fprintf(&b, " (%d carried, %d failed, %d skipped)", p.Done, p.Failed, p.Skipped)
	if p.RatePerSecond != nil {
		fmt.Fprintf(&b, " %.1f/s", *p.RatePerSecond)
	}
	if p.EtaSeconds != nil {
		fmt.Fprintf(&b, " ETA %s", time.Duration(*p.EtaSeconds)*time.Second)
	}
	return b.String()
}

// lineView prints progress as plain lines: for logs and pipes.
type lineView struct {
	w                   *output
	lastState, lastLine string
	lastAt              time.Time
}

func newLineView(w *output) *lineView { return &lineView{w: w} }

// update prints a line when the state changes, and while it does not,
// at most every lineEvery and only when progress moved.
func (v *lineView) update(mig gwhttp.Migration) {
	state := stateText(mig)
	parts := []string{state}
	for _, p := range mig.Progress {
		parts = append(parts, p.Resource+" "+progressText(p))
	}
	line, now := strings.Join(parts, "; "), time.Now()
	if line == v.lastLine || (state == v.lastState && now.Sub(v.lastAt) < lineEvery) {
		return
	}
	v.lastState, v.lastLine, v.lastAt = state, line, now
	v.w.printf("%s %s\n", now.Format(time.TimeOnly), line)
}

func (v *lineView) note(msg string) {
	v.w.printf("%s %s\n", time.Now().Format(time.TimeOnly), msg)
}

func (v *lineView) close(gwhttp.Migration) {}

// barView draws one live bar per resource, under a line with the
// migration's state.
type barView struct {
	p     *mpb.Progress
	mu    sync.Mutex
	state string
	// progress by resource, as last read; bars in the order resources
	// first appeared.
	progress map[string]gwhttp.JobProgress
	bars     []*mpb.Bar
	names    []string
	status   *mpb.Bar
	// nameWidth is the resource column's, from the plan.
	nameWidth int
}

func newBarView(w io.Writer, nameWidth int) *barView {
	// The caller found w is a terminal: mpb is told so, in case w wraps
	// it, and then needs its refresh turned on too.
	p := mpb.New(mpb.WithOutput(w), mpb.WithWidth(barWidth), mpb.ForceTTY(), mpb.WithAutoRefresh())
	v := &barView{p: p, progress: map[string]gwhttp.JobProgress{}, nameWidth: nameWidth}
	v.status = v.p.New(0, mpb.NopStyle(), mpb.PrependDecorators(decor.Any(func(decor.Statistics) string {
		v.mu.Lock()
		defer v.mu.Unlock()
		return v.state
	})))
	return v
}

func (v *barView) update(mig gwhttp.Migration) {
	v.mu.Lock()
	v.state = "state: " + stateText(mig)
	var added []gwhttp.JobProgress
	for _, p := range mig.Progress {
		if _, ok := v.progress[p.Resource]; !ok {
			added = append(added, p)
		}
		v.progress[p.Resource] = p
	}
	v.mu.Unlock()
	for _, p := range added {
		v.addBar(p)
	}
	for i, name := range v.names {
		v.mu.Lock()
		p := v.progress[name]
		v.mu.Unlock()
		if p.Total != nil {
			v.bars[i].SetTotal(*p.Total, false)
		}
		v.bars[i].SetCurrent(p.Done + p.Failed + p.Skipped)
	}
}

// addBar adds a resource's bar: a bar when its total is known, a spinner
// with a counter otherwise.
func (v *barView) addBar(p gwhttp.JobProgress) {
	name := p.Resource
	style, width := mpb.BarFillerBuilder(mpb.BarStyle()), 0
	var total int64
	if p.Total != nil {
		total = *p.Total
	} else {
		style, width = mpb.SpinnerStyle().PositionLeft(), 2
	}
	bar := v.p.New(total, style, mpb.BarOptional(mpb.BarWidth(width), width > 0),
		mpb.PrependDecorators(decor.Name(name, decor.WC{W: v.nameWidth + 1, C: decor.DindentRight})),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
			v.mu.Lock()
			defer v.mu.Unlock()
			return progressText(v.progress[name])
		})))
	v.names = append(v.names, name)
	v.bars = append(v.bars, bar)
}

func (v *barView) note(msg string) {
	_, _ = fmt.Fprintln(v.p, msg) // fails only once the bars stopped: nothing left to show
}

// close completes the bars of a migration that succeeded and stops the
// others where they are.
func (v *barView) close(mig gwhttp.Migration) {
	v.update(mig)
	for _, b := range append([]*mpb.Bar{v.status}, v.bars...) {
		if mig.State == gwhttp.MigrationStateSucceeded || b == v.status {
			b.SetTotal(-1, true)
		} else {
			b.Abort(false)
		}
	}
	v.p.Wait()
}

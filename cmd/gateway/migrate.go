package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	gwhttp "github.com/cdp-gateway/cdp-gateway/internal/http"
)

// Exit codes of gateway migrate.
const (
	exitOK     = 0 // the migration succeeded (or --cancel ended it)
	exitFailed = 1 // it failed or was cancelled, or the gateway refused a call
	exitUsage  = 2 // bad flags
	// exitDetached: Ctrl-C left the migration running (128+SIGINT, as a
	// shell reports a command it interrupted).
	exitDetached = 130
)

// keyEnv names the variable that carries the admin API key. A flag would
// show the key in ps.
const keyEnv = "CDPGW_ADMIN_KEY"

const migrateUsage = `usage: gateway migrate --tenant T --to VENDOR [--dry-run] [--switch] [--resources contacts]
       gateway migrate --tenant T --attach MIGRATION_ID
       gateway migrate --tenant T --cancel MIGRATION_ID

Moves a tenant's records to another vendor through the gateway's admin API
and shows the migration's progress until it ends. The admin key comes from
$` + keyEnv + ` or --key-file, never from a flag. A tenant's migration that
has not ended is attached to instead of starting another. Ctrl-C detaches:
the migration goes on in the gateway.

Exit status: 0 succeeded, 1 failed, cancelled or refused, 2 bad usage,
130 detached.

`

// migrateOptions are gateway migrate's flags.
type migrateOptions struct {
	tenant, to, url, keyFile string
	attach, cancel           string
	resources                []string
	dryRun, switchVendor     bool
	interval                 time.Duration
}

// cliIO is where gateway migrate reads and writes: the process's own in
// main, buffers in tests.
type cliIO struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// tty draws live bars; otherwise progress is printed as lines.
	tty bool
}

// migrateMain runs gateway migrate for the process and returns its exit
// status. Ctrl-C (or SIGTERM) detaches.
func migrateMain(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runMigrate(ctx, args, cliIO{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, tty: isTerminal(os.Stdout)})
}

// isTerminal reports whether f is a terminal that knows its width: bars
// need both (a pty without a size, as some CI runners give, draws none).
func isTerminal(f *os.File) bool {
	fd := int(f.Fd())
	if !term.IsTerminal(fd) {
		return false
	}
	w, _, err := term.GetSize(fd)
	return err == nil && w > 0
}

// runMigrate is gateway migrate: it starts, attaches to or cancels a
// migration and follows it until it ends or ctx ends (detach).
func runMigrate(ctx context.Context, args []string, cio cliIO) int {
	o, err := parseMigrate(args, cio.stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		complain(cio.stderr, err)
		return exitUsage
	}
	key, err := adminKey(o.keyFile, cio.getenv)
	if err != nil {
		complain(cio.stderr, err)
		return exitUsage
	}
	c := &adminClient{base: strings.TrimRight(o.url, "/"), tenant: o.tenant, key: key}
	m := &migrator{c: c, o: o, io: cio, out: &output{w: cio.stdout}}
	code, err := m.run(ctx)
	if err = cmp.Or(err, m.out.err); err != nil {
		complain(cio.stderr, err)
		return max(code, exitFailed)
	}
	return code
}

// complain prints an error of the command; there is nowhere else to
// report it if stderr fails too.
func complain(stderr io.Writer, err error) {
	_, _ = fmt.Fprintln(stderr, "gateway migrate:", err)
}

func parseMigrate(args []string, stderr io.Writer) (migrateOptions, error) {
	var o migrateOptions
	fs := flag.NewFlagSet("gateway migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		_, _ = fmt.Fprint(stderr, migrateUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.tenant, "tenant", "", "the tenant to move (required)")
	fs.StringVar(&o.to, "to", "", "the vendor to move it to: one it has a connection for")
	fs.BoolVar(&o.dryRun, "dry-run", false, "only print the plan; write nothing")
	fs.BoolVar(&o.switchVendor, "switch", false, "switch the tenant to the new vendor once everything is carried (writes are frozen for the cut-over)")
	resources := fs.String("resources", "", "comma-separated resources to carry (default: all the gateway carries)")
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080", "the gateway's address serving /admin/v1 (its --ops-addr, :9090 outside the sandbox)")
	fs.StringVar(&o.keyFile, "key-file", "", "file holding the admin API key (default: $"+keyEnv+")")
	fs.StringVar(&o.attach, "attach", "", "follow this migration instead of starting one")
	fs.StringVar(&o.cancel, "cancel", "", "cancel this migration and wait until it ends")
	fs.DurationVar(&o.interval, "interval", time.Second, "how often to ask the gateway for progress")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	for r := range strings.SplitSeq(*resources, ",") {
		if r = strings.TrimSpace(r); r != "" {
			o.resources = append(o.resources, r)
		}
	}
	var problems []string
	if fs.NArg() > 0 {
		problems = append(problems, "unexpected arguments: "+strings.Join(fs.Args(), " "))
	}
	if o.tenant == "" {
		problems = append(problems, "--tenant is required")
	}
	switch {
	case o.attach != "" && o.cancel != "":
		problems = append(problems, "--attach and --cancel exclude each other")
	case o.attach != "" || o.cancel != "":
		if o.to != "" || o.dryRun || o.switchVendor || len(o.resources) > 0 {
			problems = append(problems, "--attach and --cancel take no --to, --dry-run, --switch or --resources")
		}
	case o.to == "":
		problems = append(problems, "--to is required (or --attach, --cancel)")
	}
	if o.dryRun && o.switchVendor {
		problems = append(problems, "--dry-run writes nothing and cannot --switch")
	}
	if o.interval <= 0 {
		problems = append(problems, "--interval must be positive")
	}
	if len(problems) > 0 {
		return o, errors.New(strings.Join(problems, "; "))
	}
	return o, nil
}

// adminKey reads the admin API key from the file, else from the
// environment. Errors never quote the key.
func adminKey(file string, getenv func(string) string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("--key-file: %w", err)
		}
		if k := strings.TrimSpace(string(b)); k != "" {
			return k, nil
		}
		return "", fmt.Errorf("--key-file %s is empty", file)
	}
	if k := strings.TrimSpace(getenv(keyEnv)); k != "" {
		return k, nil
	}
	return "", errors.New("no admin key: set " + keyEnv + " or pass --key-file")
}

// migrator follows one command's migration.
type migrator struct {
	c   *adminClient
	o   migrateOptions
	io  cliIO
	out *output
}

func (m *migrator) run(ctx context.Context) (int, error) {
	var mig gwhttp.Migration
	var err error
	switch {
	case m.o.cancel != "":
		if mig, err = m.c.cancel(ctx, m.o.cancel); err != nil {
			return exitFailed, err
		}
		if !ended(mig.State) {
			m.out.printf("Cancel requested for %s: it stops at its next step.\n", mig.ID)
		}
	case m.o.attach != "":
		if mig, err = m.c.get(ctx, m.o.attach); err != nil {
			return exitFailed, err
		}
		m.out.printf("Attached to %s (%s).\n", mig.ID, describe(mig))
		printPlan(m.out, mig)
	default:
		if mig, err = m.startOrAttach(ctx); err != nil {
			return exitFailed, err
		}
		printPlan(m.out, mig)
	}
	if mig, err = m.watch(ctx, mig); err != nil {
		if ctx.Err() != nil {
			m.detached(mig)
			return exitDetached, nil
		}
		return exitFailed, err
	}
	printSummary(m.out, mig)
	if mig.State == gwhttp.MigrationStateSucceeded || m.o.cancel != "" {
		return exitOK, nil // --cancel did what it was asked, whatever the end
	}
	return exitFailed, nil
}

// startOrAttach attaches to the tenant's migration that has not ended,
// when it is the one asked for, or starts one.
func (m *migrator) startOrAttach(ctx context.Context) (gwhttp.Migration, error) {
	for attempt := 0; ; attempt++ {
		list, err := m.c.list(ctx)
		if err != nil {
			return gwhttp.Migration{}, err
		}
		for _, mig := range list.Data {
			if ended(mig.State) {
				continue
			}
			if string(mig.To) != m.o.to || mig.DryRun != m.o.dryRun || mig.Switch != m.o.switchVendor {
				return mig, fmt.Errorf("%s already has a migration that has not ended: %s (%s); follow it with --attach %s or cancel it with --cancel %s",
					m.o.tenant, mig.ID, describe(mig), mig.ID, mig.ID)
			}
			m.out.printf("Attaching to %s, already under way (%s).\n", mig.ID, describe(mig))
			return mig, nil
		}
		in := gwhttp.MigrationInput{To: gwhttp.Vendor(m.o.to), DryRun: &m.o.dryRun, Switch: &m.o.switchVendor}
		for _, r := range m.o.resources {
			in.Resources = append(in.Resources, gwhttp.MigrationResource(r))
		}
		mig, err := m.c.start(ctx, in)
		var p *apiProblem
		if errors.As(err, &p) && p.Code == gwhttp.ProblemCodeMigrationRunning && attempt == 0 {
			continue // started by someone else since the list: attach to it
		}
		if err != nil {
			return mig, err
		}
		m.out.printf("Started %s (%s).\n", mig.ID, describe(mig))
		return mig, nil
	}
}

// detached tells how to come back after Ctrl-C.
func (m *migrator) detached(mig gwhttp.Migration) {
	if mig.ID == "" {
		return
	}
	m.out.printf("\nDetached; %s goes on in the gateway (%s).\n  follow it: gateway migrate --tenant %s --attach %s\n  cancel it: gateway migrate --tenant %s --cancel %s\n",
		mig.ID, describe(mig), m.o.tenant, mig.ID, m.o.tenant, mig.ID)
}

// watch polls the migration until it ends, showing its progress. On an
// error the last migration seen is returned with it.
func (m *migrator) watch(ctx context.Context, mig gwhttp.Migration) (gwhttp.Migration, error) {
	var v progressView = newLineView(m.out)
	if m.io.tty {
		v = newBarView(m.io.stdout, nameWidth(mig))
	}
	defer func() { v.close(mig) }()
	v.update(mig)
	t := time.NewTicker(m.o.interval)
	defer t.Stop()
	var lastErr string
	for !ended(mig.State) {
		select {
		case <-ctx.Done():
			return mig, ctx.Err()
		case <-t.C:
		}
		next, err := m.c.get(ctx, mig.ID)
		var p *apiProblem
		switch {
		case ctx.Err() != nil:
			return mig, ctx.Err()
		case errors.As(err, &p) && p.Status < 500:
			return mig, err // refused: asking again will not help
		case err != nil:
			// The gateway restarts or a replica is replaced: the job goes
			// on, so keep asking.
			if err.Error() != lastErr {
				v.note(fmt.Sprintf("cannot read the migration (%v); asking again", err))
				lastErr = err.Error()
			}
			continue
		}
		lastErr = ""
		mig = next
		v.update(mig)
	}
	return mig, nil
}

// ended reports whether a migration has reached a final state.
func ended(s gwhttp.MigrationState) bool {
	switch s {
	case gwhttp.MigrationStateSucceeded, gwhttp.MigrationStateFailed, gwhttp.MigrationStateCancelled:
		return true
	}
	return false
}

// describe is a migration in a few words: vendors, options, state.
func describe(mig gwhttp.Migration) string {
	s := fmt.Sprintf("%s → %s", mig.From, mig.To)
	if mig.DryRun {
		s += ", dry run"
	}
	if mig.Switch {
		s += ", then switch"
	}
	return s + ", " + stateText(mig)
}

// stateText is the state with its reason: why it is paused (and until
// when), failed or cancelled.
func stateText(mig gwhttp.Migration) string {
	s := string(mig.State)
	if mig.Phase != nil && *mig.Phase == gwhttp.MigrationPhaseCutover && !ended(mig.State) {
		s += " (cut-over: writes frozen)"
	}
	if mig.CancelRequested != nil && *mig.CancelRequested && !ended(mig.State) {
		s += " (cancel requested)"
	}
	if mig.State == gwhttp.MigrationStatePaused && mig.ResumeAt != nil {
		s += " until " + mig.ResumeAt.Local().Format(time.TimeOnly)
	}
	if mig.Reason != nil && *mig.Reason != "" {
		s += ": " + *mig.Reason
	}
	return s
}

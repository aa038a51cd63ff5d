package app

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/fsnotify/fsnotify"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/cdp-gateway/cdp-gateway/internal/config"
)

// WatchOptions configure Watch.
type WatchOptions struct {
	// Path is the tenants file the gateway started with.
	Path string
	// Config are the options the file is checked with (config.WithRedis).
	Config []config.Option
	// Files turns watching on: a change to the tenants file or to a secret
	// file it names reloads the configuration. Off, only Signals do.
	Files bool
	// Poll re-reads the files this often in case the file system reports
	// no change (network file systems); 0: only file events.
	Poll time.Duration
	// Signals reload the configuration whatever the files say (SIGHUP).
	Signals <-chan os.Signal
	// Reloaded, when set, is called after each reload attempt with its
	// error (tests wait on it).
	Reloaded func(error)
}

// settle is how long the files must stay quiet before a reload: editors
// and Kubernetes change a file in several steps.
const settle = 250 * time.Millisecond

// Watch reloads the configuration from o.Path when its files change (when
// o.Files) or a signal arrives, until ctx ends. A reload reads and checks
// the whole file and its secrets, then replaces the configuration at
// once (Reload); a file that fails the checks changes nothing: the error
// is logged with every problem, cdpgw_config_reloads_total{outcome="error"}
// counts it and cdpgw_config_last_reload_successful reads 0 until a good
// file arrives.
//
// Files are watched through their directories, so that the way
// Kubernetes updates a mounted ConfigMap or Secret (a symbolic link
// swapped to a new directory) is seen; a change is a change of a file's
// content, read through any links.
func (a *App) Watch(ctx context.Context, o WatchOptions) error {
	ins := a.opts.Telemetry.Instruments
	ins.ConfigLastReloadSuccessful.Record(ctx, 1)
	loaded := a.gen.Load().cfg
	files := loaded.Files
	if len(files) == 0 {
		files = []string{o.Path}
	}

	var events chan fsnotify.Event
	var watchErrs chan error
	watched := map[string]bool{}
	var w *fsnotify.Watcher
	if o.Files {
		var err error
		if w, err = fsnotify.NewWatcher(); err != nil {
			return fmt.Errorf("watch the configuration: %w", err)
		}
		defer func() { _ = w.Close() }()
		events, watchErrs = w.Events, w.Errors
		a.watchDirs(w, watched, files)
	}
	var poll <-chan time.Time
	if o.Files && o.Poll > 0 {
		t := time.NewTicker(o.Poll)
		defer t.Stop()
		poll = t.C
	}
	var quiet *time.Timer
	var settled <-chan time.Time
	var sum [sha256.Size]byte
	reload := func(why string) {
		var err error
		files, err = a.reloadFile(ctx, o, why)
		sum = config.DigestFiles(files)
		if w != nil {
			a.watchDirs(w, watched, files)
		}
		if o.Reloaded != nil {
			o.Reloaded(err)
		}
	}
	// A change between the configuration's load and the watch's start
	// (or a configuration built without Load) reloads at once.
	sum = config.DigestFiles(files)
	if o.Files && sum != loaded.Digest {
		reload("files changed")
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-o.Signals:
			reload("signal")
		case <-events:
			if quiet == nil {
				quiet = time.NewTimer(settle)
			} else {
				quiet.Reset(settle)
			}
			settled = quiet.C
		case err := <-watchErrs:
			a.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "configuration watch", slog.String("error", err.Error()))
		case <-settled:
			settled = nil
			if s := config.DigestFiles(files); s != sum {
				reload("files changed")
			}
		case <-poll:
			if s := config.DigestFiles(files); s != sum {
				reload("files changed (poll)")
			}
		}
	}
}

// reloadFile loads the tenants file and applies it, logging and counting
// the outcome. It returns the files to watch from now on: the ones the
// file named, even when it failed (a missing secret file may appear).
func (a *App) reloadFile(ctx context.Context, o WatchOptions, why string) ([]string, error) {
	log, ins := a.opts.Logger, a.opts.Telemetry.Instruments
	cfg, err := config.Load(o.Path, a.opts.Drivers, o.Config...)
	var r Reloaded
	if err == nil {
		r, err = a.Reload(ctx, cfg)
	}
	if err != nil {
		files := a.gen.Load().cfg.Files
		if ce := (*config.Error)(nil); errors.As(err, &ce) {
			files = slices.Concat(files, ce.Files)
		}
		ins.ConfigReloads.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", "error")))
		ins.ConfigLastReloadSuccessful.Record(ctx, 0)
		log.LogAttrs(ctx, slog.LevelError, "configuration not reloaded: the previous one is kept",
			slog.String("trigger", why), slog.String("path", o.Path), slog.String("error", err.Error()))
		return files, err
	}
	ins.ConfigReloads.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", "ok")))
	ins.ConfigLastReloadSuccessful.Record(ctx, 1)
	log.LogAttrs(ctx, slog.LevelInfo, "configuration reloaded", slog.String("trigger", why), slog.String("path", o.Path),
		slog.Int("tenants", r.Tenants), slog.Int("api_keys", r.APIKeys), slog.Int("connections_built", r.Connections),
		slog.Int("connections_kept", r.Kept), slog.Int("connections_removed", r.Removed))
	if len(r.RestartRequired) > 0 {
		log.LogAttrs(ctx, slog.LevelWarn, "configuration changes that take effect at the next start only",
			slog.Any("settings", r.RestartRequired))
	}
	return cfg.Files, nil
}

// watchDirs adds the directories of files to w. A directory that cannot
// be watched is logged; the poll, if any, still sees its files.
func (a *App) watchDirs(w *fsnotify.Watcher, watched map[string]bool, files []string) {
	for _, f := range files {
		dir := filepath.Dir(f)
		if watched[dir] {
			continue
		}
		if err := w.Add(dir); err != nil {
			a.opts.Logger.LogAttrs(context.Background(), slog.LevelWarn, "configuration directory not watched",
				slog.String("dir", dir), slog.String("error", err.Error()))
			continue
		}
		watched[dir] = true
	}
}

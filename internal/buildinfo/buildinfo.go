// Package buildinfo is the gateway's version: what `gateway --version`
// prints, /healthz answers, the startup log line names and telemetry
// reports as service.version.
//
// The Makefile, the Dockerfile and `make image` set it at link time:
//
//	-X github.com/cdp-gateway/cdp-gateway/internal/buildinfo.version=v1.2.3
//	-X github.com/cdp-gateway/cdp-gateway/internal/buildinfo.commit=<sha>
//	-X github.com/cdp-gateway/cdp-gateway/internal/buildinfo.date=<RFC 3339, UTC>
//
// What is not set is taken from the Go toolchain's build information
// (the module version, vcs.revision, vcs.time; `go install
// module@version` and builds from a checkout fill them), else it is
// "devel" or "unknown".
package buildinfo

import (
	"fmt"
	"runtime/debug"
)

// Set with -ldflags -X; empty when not.
var (
	version string
	commit  string
	date    string
)

// Info is one build's identity.
type Info struct {
	Version string // git describe, e.g. v1.2.3 or v1.2.3-4-gabcdef0-dirty
	Commit  string // the full commit hash
	Date    string // build (or commit) time, RFC 3339 UTC
}

// String is the --version line.
func (i Info) String() string {
	return fmt.Sprintf("cdp-gateway %s (commit %s, built %s)", i.Version, i.Commit, i.Date)
}

// Read returns this binary's Info.
func Read() Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(version, commit, date, bi)
}

// resolve fills what the linker did not set from bi (nil: nothing known).
func resolve(version, commit, date string, bi *debug.BuildInfo) Info {
	info := Info{Version: version, Commit: commit, Date: date}
	if bi != nil {
		if info.Version == "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		modified := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if info.Commit == "" {
					info.Commit = s.Value
				}
			case "vcs.time":
				if info.Date == "" {
					info.Date = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if modified && commit == "" && info.Commit != "" {
			info.Commit += "-dirty"
		}
	}
	if info.Version == "" {
		info.Version = "devel"
	}
	if info.Commit == "" {
		info.Commit = "unknown"
	}
	if info.Date == "" {
		info.Date = "unknown"
	}
	return info
}

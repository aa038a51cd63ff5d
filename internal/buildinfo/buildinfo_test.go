package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestResolve(t *testing.T) {
	t.Parallel()
	vcs := &debug.BuildInfo{
		Main: debug.Module{Version: "v1.4.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123abcd"},
			{Key: "vcs.time", Value: "2026-11-01T10:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	cases := []struct {
		name                  string
		version, commit, date string
		bi                    *debug.BuildInfo
		want                  Info
	}{
		{"linker flags win", "v2.0.0", "ffff", "2026-11-29T14:00:00Z", vcs,
			Info{"v2.0.0", "ffff", "2026-11-29T14:00:00Z"}},
		{"the toolchain's build information fills the rest", "", "", "", vcs,
			Info{"v1.4.0", "0123abcd-dirty", "2026-11-01T10:00:00Z"}},
		{"a local build without VCS stamping", "", "", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}},
			Info{"devel", "unknown", "unknown"}},
		{"no build information at all", "", "", "", nil, Info{"devel", "unknown", "unknown"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := resolve(tc.version, tc.commit, tc.date, tc.bi); got != tc.want {
				t.Fatalf("resolve = %+v, want %+v", got, tc.want)
			}
		})
	}
}

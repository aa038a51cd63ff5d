package vendorhttp_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
)

func TestParseCST(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, layout, value string
		want                time.Time
	}{
		{"a CST day boundary is the previous day in UTC", time.DateTime, "2024-03-16 00:30:00", time.Date(2024, 3, 15, 16, 30, 0, 0, time.UTC)},
		{"fractional seconds", time.DateTime, "2015-12-25 10:10:44.0", time.Date(2015, 12, 25, 2, 10, 44, 0, time.UTC)},
		{"T separator", "2006-01-02T15:04:05", "2024-07-19T17:29:27", time.Date(2024, 7, 19, 9, 29, 27, 0, time.UTC)},
		{"empty", time.DateTime, "", time.Time{}},
		{"another layout", time.DateTime, "2024-07-19T17:29:27", time.Time{}},
		{"not a time", time.DateTime, "soon", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := vendorhttp.ParseCST(tt.layout, tt.value)
			if !got.Equal(tt.want) || (!got.IsZero() && got.Location() != time.UTC) || got.IsZero() != tt.want.IsZero() {
				t.Fatalf("ParseCST(%q) = %v, want %v", tt.value, got, tt.want)
			}
		})
	}
}

func TestFromMillis(t *testing.T) {
	t.Parallel()
	if got := vendorhttp.FromMillis(1710549000123); !got.Equal(time.Date(2024, 3, 16, 0, 30, 0, 123_000_000, time.UTC)) || got.Location() != time.UTC {
		t.Errorf("FromMillis = %v", got)
	}
	for _, ms := range []int64{0, -1} {
		if got := vendorhttp.FromMillis(ms); !got.IsZero() {
			t.Errorf("FromMillis(%d) = %v, want the zero time", ms, got)
		}
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	for value, want := range map[string]string{
		"1991-11-11 00:00:00": "1991-11-11", "2024-08-01": "2024-08-01", "2024-02-29T23:59:59": "2024-02-29",
		"": "", "2024-08": "", "not a date": "", "2024-13-01": "", "2023-02-29": "",
	} {
		got := vendorhttp.ParseDate(value)
		switch {
		case want == "" && got != nil:
			t.Errorf("ParseDate(%q) = %v, want nil", value, got)
		case want != "" && (got == nil || got.Format(time.DateOnly) != want || got.Location() != time.UTC || !got.Equal(got.Truncate(24*time.Hour))):
			t.Errorf("ParseDate(%q) = %v, want %s at midnight UTC", value, got, want)
		}
	}
}

func TestDateSkew(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 8, 0, 30, 0, time.UTC)
	h := http.Header{"Date": {"Sun, 29 Nov 2026 08:00:00 GMT"}}
	if d, ok := vendorhttp.DateSkew(h, now); !ok || d != 30*time.Second {
		t.Fatalf("ahead: %v %v", d, ok)
	}
	if d, ok := vendorhttp.DateSkew(h, now.Add(-90*time.Second)); !ok || d != -time.Minute {
		t.Fatalf("behind: %v %v", d, ok)
	}
	for _, v := range []string{"", "yesterday"} {
		if _, ok := vendorhttp.DateSkew(http.Header{"Date": {v}}, now); ok {
			t.Fatalf("%q read as a date", v)
		}
	}
}

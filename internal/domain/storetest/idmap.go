package storetest

import (
	"fmt"
	"maps"
	"reflect"
	"sync"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// IDMap is the contract of an IDMapStore. newStore returns an empty store.
func IDMap(t *testing.T, newStore func(t *testing.T) domain.IDMapStore) {
	t.Helper()
	put := func(t *testing.T, s domain.IDMapStore, tenant string, pairs map[string]string) {
		t.Helper()
		if err := s.PutIDs(t.Context(), tenant, pairs); err != nil {
			t.Fatal(err)
		}
	}
	lookup := func(t *testing.T, s domain.IDMapStore, tenant string, ids ...string) map[string]string {
		t.Helper()
		got, err := s.LookupIDs(t.Context(), tenant, ids)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	tests := []struct {
		name string
		run  func(t *testing.T, s domain.IDMapStore)
	}{
		{"put and look up", func(t *testing.T, s domain.IDMapStore) {
			put(t, s, "acme", map[string]string{"lf_1": "mh_10", "lf_9007199254740993": "nx_1021110718827683840"})
			got := lookup(t, s, "acme", "lf_1", "lf_2", "lf_9007199254740993")
			want := map[string]string{"lf_1": "mh_10", "lf_9007199254740993": "nx_1021110718827683840"}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("LookupIDs = %v, want %v", got, want)
			}
		}},
		{"nothing to look up", func(t *testing.T, s domain.IDMapStore) {
			put(t, s, "acme", nil)
			if got := lookup(t, s, "acme"); len(got) != 0 {
				t.Fatalf("LookupIDs() = %v, want none", got)
			}
			if got := lookup(t, s, "acme", "lf_1"); len(got) != 0 {
				t.Fatalf("LookupIDs(lf_1) on an empty map = %v, want none", got)
			}
		}},
		{"a pair put again is replaced", func(t *testing.T, s domain.IDMapStore) {
			put(t, s, "acme", map[string]string{"lf_1": "mh_10"})
			put(t, s, "acme", map[string]string{"lf_1": "mh_11"})
			if got := lookup(t, s, "acme", "lf_1"); got["lf_1"] != "mh_11" {
				t.Fatalf("LookupIDs = %v, want lf_1 -> mh_11", got)
			}
		}},
		{"tenants are apart", func(t *testing.T, s domain.IDMapStore) {
			put(t, s, "acme", map[string]string{"lf_1": "mh_10"})
			if got := lookup(t, s, "globex", "lf_1"); len(got) != 0 {
				t.Fatalf("another tenant's lookup = %v, want none", got)
			}
		}},
		{"many at once, from many writers", func(t *testing.T, s domain.IDMapStore) {
			want := map[string]string{}
			var wg sync.WaitGroup
			var mu sync.Mutex
			for w := range workers {
				pairs := map[string]string{}
				for i := range 40 {
					pairs[fmt.Sprintf("lf_%d", w*40+i)] = fmt.Sprintf("mh_%d", w*40+i+7)
				}
				mu.Lock()
				maps.Copy(want, pairs)
				mu.Unlock()
				wg.Go(func() {
					if err := s.PutIDs(t.Context(), "acme", pairs); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			ids := make([]string, 0, len(want))
			for id := range want {
				ids = append(ids, id)
			}
			if got := lookup(t, s, "acme", ids...); !reflect.DeepEqual(got, want) {
				t.Fatalf("LookupIDs found %d of %d pairs", len(got), len(want))
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}

package vendorhttp_test

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// pagedList is a vendor list served by page number: items 0..n-1. It
// fails the test on a page below first or a size above maxSize, as a
// strict vendor would refuse them.
type pagedList struct {
	t              *testing.T
	n              int
	first, maxSize int
	extra          int // items answered beyond the size asked, as a sloppy vendor might
	mu             sync.Mutex
	calls          [][2]int // page, size
}

func (l *pagedList) fetch(page, size int) ([]int, error) {
	l.mu.Lock()
	l.calls = append(l.calls, [2]int{page, size})
	l.mu.Unlock()
	if page < l.first || size < 1 || (l.maxSize > 0 && size > l.maxSize) {
		l.t.Errorf("vendor asked for page %d of size %d (first page %d, max size %d)", page, size, l.first, l.maxSize)
		return nil, errors.New("refused")
	}
	start := (page - l.first) * size
	var out []int
	for i := start; i < min(start+size+l.extra, l.n); i++ {
		out = append(out, i)
	}
	return out, nil
}

func (l *pagedList) takeCalls() [][2]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.calls
	l.calls = nil
	return c
}

func upTo(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// walkAll follows a list with the given limits (the last one repeats) and
// checks that every page but the last is full: the walkers fill pages.
func walkAll[T any](t *testing.T, limits []int, walk func(domain.PageRequest) (domain.Page[T], error)) []T {
	t.Helper()
	var out []T
	state := ""
	for i := 0; ; i++ {
		if i > 1000 {
			t.Fatal("paging does not end")
		}
		limit := limits[min(i, len(limits)-1)]
		p, err := walk(domain.PageRequest{Limit: limit, State: state})
		if err != nil {
			t.Fatalf("page %d (state %q): %v", i, state, err)
		}
		if len(p.Items) > limit || (p.Next != "" && len(p.Items) != limit) {
			t.Fatalf("page %d holds %d items for limit %d (next %q)", i, len(p.Items), limit, p.Next)
		}
		out = append(out, p.Items...)
		if p.Next == "" {
			return out
		}
		state = p.Next
	}
}

func TestWalkPagesServesEveryItemOnce(t *testing.T) {
	t.Parallel()
	for _, first := range []int{0, 1} {
		for _, maxSize := range []int{0, 50, 7} {
			for _, n := range []int{0, 1, 49, 50, 51, 230} {
				for _, limits := range [][]int{{1}, {5}, {50}, {200}, {3, 50, 7, 200, 1}} {
					name := fmt.Sprintf("first %d max %d items %d limits %v", first, maxSize, n, limits)
					t.Run(name, func(t *testing.T) {
						t.Parallel()
						l := &pagedList{t: t, n: n, first: first, maxSize: maxSize}
						got := walkAll(t, limits, func(p domain.PageRequest) (domain.Page[int], error) {
							return vendorhttp.WalkPages(vendorhttp.PageNumbers{First: first, MaxSize: maxSize}, p, l.fetch)
						})
						if !slices.Equal(got, upTo(n)) {
							t.Fatalf("items %v, want 0..%d", got, n-1)
						}
					})
				}
			}
		}
	}
}

// TestWalkPagesCap: a list the vendor cuts at Cap.Items serves the items
// below the cap, never asks for a page starting at or beyond it, and says
// on its last page when the vendor may hold more.
func TestWalkPagesCap(t *testing.T) {
	t.Parallel()
	const limit = 10
	for _, maxSize := range []int{0, 3, 7} {
		for _, n := range []int{0, 9, 10, 11, 35} {
			for _, limits := range [][]int{{1}, {3}, {4}, {200}, {3, 8, 1, 4}} {
				t.Run(fmt.Sprintf("max %d items %d limits %v", maxSize, n, limits), func(t *testing.T) {
					t.Parallel()
					l := &pagedList{t: t, n: n, maxSize: maxSize}
					pn := vendorhttp.PageNumbers{MaxSize: maxSize, Cap: vendorhttp.Cap{Items: limit, Detail: "narrow it"}}
					var last domain.Page[int]
					got := walkAll(t, limits, func(p domain.PageRequest) (domain.Page[int], error) {
						page, err := vendorhttp.WalkPages(pn, p, l.fetch)
						if page.Truncated != nil && page.Next != "" {
							t.Fatalf("truncated page with a next state %q", page.Next)
						}
						last = page
						return page, err
					})
					if want := upTo(min(n, limit)); !slices.Equal(got, want) {
						t.Fatalf("items %v, want %v", got, want)
					}
					for _, c := range l.takeCalls() {
						if c[0]*c[1] >= limit {
							t.Errorf("asked for page %d of size %d, beyond the cap", c[0], c[1])
						}
					}
					switch tr := last.Truncated; {
					case n > limit && (tr == nil || tr.Limit != limit || tr.Detail != "narrow it"):
						t.Errorf("last page truncated = %+v, want the cap", tr)
					case n < limit && tr != nil:
						t.Errorf("last page truncated = %+v below the cap", tr)
					}
				})
			}
		}
	}
	t.Run("state beyond the cap", func(t *testing.T) {
		t.Parallel()
		l := &pagedList{t: t, n: 50}
		p, err := vendorhttp.WalkPages(vendorhttp.PageNumbers{Cap: vendorhttp.Cap{Items: 10}}, domain.PageRequest{Limit: 5, State: "o12"}, l.fetch)
		if err != nil || len(p.Items) != 0 || p.Next != "" || p.Truncated == nil || len(l.takeCalls()) != 0 {
			t.Fatalf("page %+v, error %v", p, err)
		}
	})
}

func TestSliceCapped(t *testing.T) {
	t.Parallel()
	c := vendorhttp.Cap{Items: 4, Detail: "narrow it"}
	for n, cut := range map[int]bool{3: false, 4: true} {
		all := upTo(n)
		first, err := vendorhttp.SliceCapped(all, domain.PageRequest{Limit: 2}, c)
		if err != nil || first.Truncated != nil {
			t.Fatalf("%d items: first page %+v, %v", n, first, err)
		}
		last, err := vendorhttp.SliceCapped(all, domain.PageRequest{Limit: 2, State: first.Next}, c)
		if err != nil || last.Next != "" || (last.Truncated != nil) != cut {
			t.Fatalf("%d items: last page %+v, %v", n, last, err)
		}
	}
}

func TestWalkPagesVendorCalls(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		n         int
		pn        vendorhttp.PageNumbers
		req       domain.PageRequest
		wantFirst int // first item; the page holds wantLen items from it
		wantLen   int
		wantNext  string
		wantCalls [][2]int
	}{
		{"aligned: one call", 230, vendorhttp.PageNumbers{}, domain.PageRequest{Limit: 5, State: "o10"},
			10, 5, "o15", [][2]int{{2, 5}}},
		{"pages from 1", 230, vendorhttp.PageNumbers{First: 1}, domain.PageRequest{Limit: 5, State: "o10"},
			10, 5, "o15", [][2]int{{3, 5}}},
		{"two-call window: offset inside a vendor page", 230, vendorhttp.PageNumbers{}, domain.PageRequest{Limit: 5, State: "o7"},
			7, 5, "o12", [][2]int{{1, 5}, {2, 5}}},
		{"two-call window, list ends in the second page", 8, vendorhttp.PageNumbers{First: 1}, domain.PageRequest{Limit: 5, State: "o3"},
			3, 5, "", [][2]int{{1, 5}, {2, 5}}},
		{"two-call window, list ends in the first page", 4, vendorhttp.PageNumbers{}, domain.PageRequest{Limit: 5, State: "o3"},
			3, 1, "", [][2]int{{0, 5}}},
		{"two-call window, second page ends exactly", 10, vendorhttp.PageNumbers{}, domain.PageRequest{Limit: 5, State: "o3"},
			3, 5, "o8", [][2]int{{0, 5}, {1, 5}}},
		{"limit above the vendor maximum: several pages", 230, vendorhttp.PageNumbers{First: 1, MaxSize: 50}, domain.PageRequest{Limit: 200},
			0, 200, "o200", [][2]int{{1, 50}, {2, 50}, {3, 50}, {4, 50}}},
		{"several pages from inside one", 230, vendorhttp.PageNumbers{MaxSize: 50}, domain.PageRequest{Limit: 200, State: "o30"},
			30, 200, "", [][2]int{{0, 50}, {1, 50}, {2, 50}, {3, 50}, {4, 50}}},
		{"several pages, more after them", 400, vendorhttp.PageNumbers{MaxSize: 50}, domain.PageRequest{Limit: 200, State: "o30"},
			30, 200, "o230", [][2]int{{0, 50}, {1, 50}, {2, 50}, {3, 50}, {4, 50}}},
		{"a short vendor page ends the walk", 120, vendorhttp.PageNumbers{First: 1, MaxSize: 50}, domain.PageRequest{Limit: 200},
			0, 120, "", [][2]int{{1, 50}, {2, 50}, {3, 50}}},
		{"list ends on a full vendor page", 100, vendorhttp.PageNumbers{MaxSize: 50}, domain.PageRequest{Limit: 200},
			0, 100, "", [][2]int{{0, 50}, {1, 50}, {2, 50}}},
		{"page ends on a full vendor page: next kept", 100, vendorhttp.PageNumbers{MaxSize: 50}, domain.PageRequest{Limit: 100},
			0, 100, "o100", [][2]int{{0, 50}, {1, 50}}},
		{"past the end", 100, vendorhttp.PageNumbers{MaxSize: 50}, domain.PageRequest{Limit: 100, State: "o100"},
			100, 0, "", [][2]int{{2, 50}}},
		{"far past the end", 10, vendorhttp.PageNumbers{}, domain.PageRequest{Limit: 5, State: "o1000"},
			1000, 0, "", [][2]int{{200, 5}}},
		{"empty list", 0, vendorhttp.PageNumbers{First: 1, MaxSize: 50}, domain.PageRequest{Limit: 200},
			0, 0, "", [][2]int{{1, 50}}},
		{"limit below 1 is 1", 10, vendorhttp.PageNumbers{}, domain.PageRequest{Limit: 0, State: "o4"},
			4, 1, "o5", [][2]int{{4, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := &pagedList{t: t, n: tt.n, first: tt.pn.First, maxSize: tt.pn.MaxSize}
			p, err := vendorhttp.WalkPages(tt.pn, tt.req, l.fetch)
			if err != nil {
				t.Fatal(err)
			}
			want := upTo(tt.wantFirst + tt.wantLen)[tt.wantFirst:]
			if !slices.Equal(p.Items, want) || p.Next != tt.wantNext {
				t.Errorf("page %v next %q, want %v next %q", p.Items, p.Next, want, tt.wantNext)
			}
			if calls := l.takeCalls(); !slices.Equal(calls, tt.wantCalls) {
				t.Errorf("vendor calls (page, size) %v, want %v", calls, tt.wantCalls)
			}
		})
	}
}

// TestWalkPagesVendorAnswersMoreThanAsked: extra items would shift every
// later offset, so only the size asked for counts.
func TestWalkPagesVendorAnswersMoreThanAsked(t *testing.T) {
	t.Parallel()
	l := &pagedList{t: t, n: 23, extra: 3}
	got := walkAll(t, []int{5}, func(p domain.PageRequest) (domain.Page[int], error) {
		return vendorhttp.WalkPages(vendorhttp.PageNumbers{}, p, l.fetch)
	})
	if !slices.Equal(got, upTo(23)) {
		t.Fatalf("items %v", got)
	}
}

// foreignStates are page states no offset list wrote.
var foreignStates = []string{"x12", "o", "o-5", "o+5", "o007", "o 5", "oabc", "m12", "12", "o99999999999999999999999"}

func wantCursorError(t *testing.T, err error) {
	t.Helper()
	var ce *domain.CursorError
	if !errors.As(err, &ce) || !errors.Is(err, domain.ErrInvalidCursor) {
		t.Fatalf("error %v (%T), want a *domain.CursorError", err, err)
	}
}

func TestOffsetWalkersRefuseForeignStates(t *testing.T) {
	t.Parallel()
	for _, state := range foreignStates {
		t.Run(state, func(t *testing.T) {
			t.Parallel()
			l := &pagedList{t: t, n: 10}
			_, err := vendorhttp.WalkPages(vendorhttp.PageNumbers{}, domain.PageRequest{Limit: 5, State: state}, l.fetch)
			wantCursorError(t, err)
			if calls := l.takeCalls(); len(calls) != 0 {
				t.Errorf("vendor called for a foreign state: %v", calls)
			}
			_, err = vendorhttp.SlicePage(upTo(10), domain.PageRequest{Limit: 5, State: state})
			wantCursorError(t, err)
		})
	}
}

func TestWalkPagesFetchErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("vendor failed")
	for failAt := range 3 {
		t.Run(fmt.Sprint("call ", failAt+1), func(t *testing.T) {
			t.Parallel()
			l := &pagedList{t: t, n: 230, maxSize: 50}
			calls := 0
			p, err := vendorhttp.WalkPages(vendorhttp.PageNumbers{MaxSize: 50}, domain.PageRequest{Limit: 200, State: "o30"}, func(page, size int) ([]int, error) {
				if calls++; calls == failAt+1 {
					return nil, boom
				}
				return l.fetch(page, size)
			})
			if !errors.Is(err, boom) || p.Items != nil || p.Next != "" {
				t.Fatalf("page %+v, error %v: want only the vendor's error", p, err)
			}
			if calls != failAt+1 {
				t.Errorf("%d calls after a failure", calls)
			}
		})
	}
}

func TestSlicePage(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 7, 10, 23} {
		for _, limits := range [][]int{{1}, {5}, {10}, {200}, {3, 8, 1, 4}} {
			t.Run(fmt.Sprintf("items %d limits %v", n, limits), func(t *testing.T) {
				t.Parallel()
				all := upTo(n)
				got := walkAll(t, limits, func(p domain.PageRequest) (domain.Page[int], error) {
					return vendorhttp.SlicePage(all, p)
				})
				if !slices.Equal(got, all) {
					t.Fatalf("items %v", got)
				}
			})
		}
	}
	t.Run("offset past the end", func(t *testing.T) {
		t.Parallel()
		p, err := vendorhttp.SlicePage(upTo(5), domain.PageRequest{Limit: 5, State: "o9"})
		if err != nil || len(p.Items) != 0 || p.Next != "" {
			t.Fatalf("page %+v, error %v", p, err)
		}
	})
	t.Run("next is the offset after the page", func(t *testing.T) {
		t.Parallel()
		p, err := vendorhttp.SlicePage(upTo(10), domain.PageRequest{Limit: 3, State: "o4"})
		if err != nil || !slices.Equal(p.Items, []int{4, 5, 6}) || p.Next != "o7" {
			t.Fatalf("page %+v, error %v", p, err)
		}
	})
}

// cursorList is a vendor list paged by the id of the last item seen, with
// ids beyond 2^53 that only survive as strings.
type cursorList struct {
	t       *testing.T
	ids     []string
	start   string
	maxSize int
	mu      sync.Mutex
	afters  []string
	sizes   []int
}

const bigBase = 1021110718827683840 // an NXCloud-sized id, beyond 2^53

func newCursorList(t *testing.T, n int, start string, maxSize int) *cursorList {
	l := &cursorList{t: t, start: start, maxSize: maxSize}
	for i := range n {
		l.ids = append(l.ids, strconv.FormatInt(bigBase+int64(3*i), 10))
	}
	return l
}

func (l *cursorList) fetch(after string, size int) ([]string, error) {
	l.mu.Lock()
	l.afters, l.sizes = append(l.afters, after), append(l.sizes, size)
	l.mu.Unlock()
	if size < 1 || (l.maxSize > 0 && size > l.maxSize) {
		l.t.Errorf("vendor asked for %d items (max %d)", size, l.maxSize)
		return nil, errors.New("refused")
	}
	var out []string
	for _, id := range l.ids {
		if (after == l.start || vendorhttp.LessID(after, id)) && len(out) < size {
			out = append(out, id)
		}
	}
	return out, nil
}

func idOf(s string) string { return s }

func TestWalkCursorServesEveryItemOnce(t *testing.T) {
	t.Parallel()
	for _, maxSize := range []int{0, 500, 50, 3} {
		for _, n := range []int{0, 1, 5, 50, 51, 230} {
			for _, limits := range [][]int{{1}, {5}, {50}, {200}, {4, 200, 9, 2}} {
				t.Run(fmt.Sprintf("max %d items %d limits %v", maxSize, n, limits), func(t *testing.T) {
					t.Parallel()
					l := newCursorList(t, n, "0", maxSize)
					cp := vendorhttp.CursorPaging{Prefix: "m", Start: "0", MaxSize: maxSize, Valid: vendorhttp.Int64Cursor}
					calls := 0
					got := walkAll(t, limits, func(p domain.PageRequest) (domain.Page[string], error) {
						calls++
						return vendorhttp.WalkCursor(cp, p, idOf, l.fetch)
					})
					if !slices.Equal(got, l.ids) {
						t.Fatalf("items %v, want %v", got, l.ids)
					}
					// Asking one item more tells the last page apart, so
					// there is no empty page after it while limit+1 fits
					// the vendor's page.
					if limit := limits[0]; len(limits) == 1 && (maxSize == 0 || limit < maxSize) {
						if want := max(1, (n+limit-1)/limit); calls != want {
							t.Errorf("%d pages, want %d", calls, want)
						}
					}
				})
			}
		}
	}
}

func TestWalkCursorCarriesTheVendorCursorVerbatim(t *testing.T) {
	t.Parallel()
	l := newCursorList(t, 10, "0", 500)
	cp := vendorhttp.CursorPaging{Prefix: "m", Start: "0", MaxSize: 500, Valid: vendorhttp.Int64Cursor}
	p, err := vendorhttp.WalkCursor(cp, domain.PageRequest{Limit: 3}, idOf, l.fetch)
	if err != nil {
		t.Fatal(err)
	}
	if want := "m" + l.ids[2]; p.Next != want || p.Next != "m1021110718827683846" {
		t.Fatalf("next %q, want %q", p.Next, want)
	}
	if _, err := vendorhttp.WalkCursor(cp, domain.PageRequest{Limit: 3, State: p.Next}, idOf, l.fetch); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(l.afters, []string{"0", "1021110718827683846"}) || !slices.Equal(l.sizes, []int{4, 4}) {
		t.Fatalf("vendor asked after %v for %v items", l.afters, l.sizes)
	}
}

func TestWalkCursorFillsPagesAcrossVendorPages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		n         int
		limit     int
		wantLen   int
		wantNext  bool
		wantSizes []int
	}{
		{"limit above the vendor maximum", 230, 200, 200, true, []int{50, 50, 50, 50}},
		{"list ends on a short vendor page", 120, 200, 120, false, []int{50, 50, 50}},
		{"list ends on a full vendor page", 100, 200, 100, false, []int{50, 50, 50}},
		{"page ends on a full vendor page: next kept", 100, 100, 100, true, []int{50, 50}},
		{"last call asks one more than needed", 230, 60, 60, true, []int{50, 11}},
		{"empty list", 0, 200, 0, false, []int{50}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := newCursorList(t, tt.n, "", 50)
			cp := vendorhttp.CursorPaging{Prefix: "a", MaxSize: 50, Valid: vendorhttp.Int64Cursor}
			p, err := vendorhttp.WalkCursor(cp, domain.PageRequest{Limit: tt.limit}, idOf, l.fetch)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(p.Items, l.ids[:tt.wantLen]) || (p.Next != "") != tt.wantNext {
				t.Errorf("%d items, next %q", len(p.Items), p.Next)
			}
			if tt.wantNext && p.Next != "a"+l.ids[tt.wantLen-1] {
				t.Errorf("next %q is not after the page's last item", p.Next)
			}
			if !slices.Equal(l.sizes, tt.wantSizes) || l.afters[0] != "" {
				t.Errorf("vendor asked for %v items after %q, want %v after \"\"", l.sizes, l.afters, tt.wantSizes)
			}
		})
	}
}

func TestWalkCursorRefusesForeignStates(t *testing.T) {
	t.Parallel()
	numeric := vendorhttp.CursorPaging{Prefix: "m", Start: "0", MaxSize: 500, Valid: vendorhttp.Int64Cursor}
	opaque := vendorhttp.CursorPaging{Prefix: "c", MaxSize: 50}
	tests := []struct {
		cp    vendorhttp.CursorPaging
		state string
	}{
		{numeric, "x12"}, {numeric, "o12"}, {numeric, "m"}, {numeric, "mabc"}, {numeric, "12"},
		{numeric, "m-5"}, {numeric, "m+5"}, {numeric, "m007"}, {numeric, "m9223372036854775808"},
		{opaque, "m12"}, {opaque, "c"}, {opaque, "o5"},
	}
	for _, tt := range tests {
		t.Run(tt.cp.Prefix+" "+tt.state, func(t *testing.T) {
			t.Parallel()
			_, err := vendorhttp.WalkCursor(tt.cp, domain.PageRequest{Limit: 5, State: tt.state}, idOf, func(string, int) ([]string, error) {
				t.Error("vendor called for a foreign state")
				return nil, nil
			})
			wantCursorError(t, err)
		})
	}
	t.Run("an opaque cursor is sent as it is", func(t *testing.T) {
		t.Parallel()
		var after string
		_, err := vendorhttp.WalkCursor(opaque, domain.PageRequest{Limit: 5, State: "cAbC+/==9007199254740993"}, idOf, func(a string, _ int) ([]string, error) {
			after = a
			return nil, nil
		})
		if err != nil || after != "AbC+/==9007199254740993" {
			t.Fatalf("after %q, error %v", after, err)
		}
	})
}

func TestWalkCursorFetchErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("vendor failed")
	l := newCursorList(t, 230, "", 50)
	calls := 0
	p, err := vendorhttp.WalkCursor(vendorhttp.CursorPaging{MaxSize: 50}, domain.PageRequest{Limit: 200}, idOf, func(after string, size int) ([]string, error) {
		if calls++; calls == 2 {
			return nil, boom
		}
		return l.fetch(after, size)
	})
	if !errors.Is(err, boom) || p.Items != nil || p.Next != "" || calls != 2 {
		t.Fatalf("page %+v, error %v after %d calls", p, err, calls)
	}
}

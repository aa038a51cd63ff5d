package vendorhttp

import (
	"strconv"
	"strings"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Page walking. An adapter's page state travels inside the gateway's
// signed cursor as a short string: "o<offset>" for lists served by page
// number or answered whole, and "<prefix><vendor cursor>" for lists a
// vendor pages with a cursor of its own. An offset does not depend on the
// page size, so a caller may change its limit from one page to the next.
// The formats must not change: cursors handed out before a deploy are
// followed after it.

// offsetPrefix starts the state of offset paging.
const offsetPrefix = "o"

func offsetState(off int) string { return offsetPrefix + strconv.Itoa(off) }

// parseOffset reads an offset state; "" is the start of the list. Only the
// spelling offsetState writes is accepted.
func parseOffset(state string) (int, error) {
	if state == "" {
		return 0, nil
	}
	digits, ok := strings.CutPrefix(state, offsetPrefix)
	n, err := strconv.Atoi(digits)
	if !ok || err != nil || n < 0 || strconv.Itoa(n) != digits {
		return 0, foreignState()
	}
	return n, nil
}

// foreignState is the error for a page state this list did not make.
func foreignState() error {
	return &domain.CursorError{Reason: "the cursor does not belong to this list"}
}

// Cap is a vendor's limit on how many items one query lists (Linkflow
// answers at most 2000 groups, and ids by update time only while
// page*size <= 10000). A list that reaches it ends there, its last page
// marked Truncated, so the caller learns that the vendor may hold more.
type Cap struct {
	// Items is the most items the vendor lists for one query; 0 is no cap.
	Items int
	// Detail tells the caller how to reach the rest (narrow the query).
	Detail string
}

func (c Cap) truncation() *domain.Truncation {
	return &domain.Truncation{Limit: c.Items, Detail: c.Detail}
}

// PageNumbers describes a list a vendor serves by page number and page
// size (Linkflow from page 0, Meihua and Miaokol from page 1).
type PageNumbers struct {
	// First is the number of the list's first page.
	First int
	// MaxSize is the largest page size the vendor serves; 0 when it sets
	// none. The walker never asks for more, whatever the caller's limit.
	MaxSize int
	// Cap is the vendor's limit on one query's items, if any. The walker
	// asks for no page that starts at or beyond Cap.Items and keeps no
	// item beyond it.
	Cap Cap
}

// WalkPages serves the page req asks for out of a list the vendor serves
// by page number: the items at offsets [off, off+req.Limit), off read from
// req.State. fetch asks the vendor for one page (numbered from pn.First)
// of size items.
//
// Vendor pages hold min(limit, MaxSize) items. When the limit fits in one
// vendor page, that costs one call if off is a multiple of it and two when
// off falls inside a vendor page (after a caller changed its limit).
// When the caller's limit is larger than the vendor's page (200 against
// 50), the walker fetches as many vendor pages as the limit needs rather
// than answering a short page: the vendor calls are the ones a caller
// following short pages would cause anyway, in one request. Pages are
// fetched one after another because a short one ends the list, so no call
// is spent beyond its end.
//
// Next is "" once a short vendor page showed the end of the list. A page
// that ends on a full vendor page keeps a Next, as only another call could
// tell whether the list goes on; following it may answer an empty last
// page. With a Cap, the page that reaches Cap.Items on a full vendor page
// is the last one, marked Truncated.
func WalkPages[T any](pn PageNumbers, req domain.PageRequest, fetch func(page, size int) ([]T, error)) (domain.Page[T], error) {
	off, err := parseOffset(req.State)
	if err != nil {
		return domain.Page[T]{}, err
	}
	limit := max(req.Limit, 1)
	size := limit
	if pn.MaxSize > 0 {
		size = min(size, pn.MaxSize)
	}
	capped := pn.Cap.Items > 0
	if capped && off >= pn.Cap.Items {
		// Only a cursor of a list whose cap was lower can point here.
		return domain.Page[T]{Truncated: pn.Cap.truncation()}, nil
	}
	page, skip := off/size, off%size
	need := limit
	var items []T
	for {
		got, err := fetch(pn.First+page, size)
		if err != nil {
			return domain.Page[T]{}, err
		}
		// A vendor that answers more than asked would shift every later
		// offset: only the page's first size items count.
		got = got[:min(len(got), size)]
		more := len(got) == size // only another call could tell the end
		reached := false
		if start := page * size; capped && start+len(got) >= pn.Cap.Items {
			got, reached = got[:pn.Cap.Items-start], more || start+len(got) > pn.Cap.Items
		}
		rest := got[min(skip, len(got)):]
		if len(rest) > need {
			items = append(items, rest[:need]...)
			return domain.Page[T]{Items: items, Next: offsetState(off + len(items))}, nil
		}
		items = append(items, rest...)
		need -= len(rest)
		switch {
		case reached:
			return domain.Page[T]{Items: items, Truncated: pn.Cap.truncation()}, nil
		case !more:
			return domain.Page[T]{Items: items}, nil
		case need == 0:
			return domain.Page[T]{Items: items, Next: offsetState(off + len(items))}, nil
		}
		page, skip = page+1, 0
	}
}

// SlicePage serves the page req asks for out of a list the vendor answers
// whole, with offset states as WalkPages writes them.
func SlicePage[T any](all []T, req domain.PageRequest) (domain.Page[T], error) {
	off, err := parseOffset(req.State)
	if err != nil {
		return domain.Page[T]{}, err
	}
	off = min(off, len(all))
	end := min(off+max(req.Limit, 1), len(all))
	p := domain.Page[T]{Items: all[off:end]}
	if end < len(all) {
		p.Next = offsetState(end)
	}
	return p, nil
}

// SliceCapped is SlicePage for a list the vendor answers whole but cut at
// c.Items (Linkflow's groups): when it answered that many, it may hold
// more, and the last page is marked Truncated.
func SliceCapped[T any](all []T, req domain.PageRequest, c Cap) (domain.Page[T], error) {
	p, err := SlicePage(all, req)
	if err == nil && p.Next == "" && c.Items > 0 && len(all) >= c.Items {
		p.Truncated = c.truncation()
	}
	return p, err
}

// CursorPaging describes a list a vendor serves after a cursor of its own,
// where each item carries the cursor that asks for the items after it
// (Linkflow's group member memberId, NXCloud's customer id).
type CursorPaging struct {
	// Prefix starts the list's page states ("m" for Linkflow's group
	// members), so that a state of another kind of list is refused.
	Prefix string
	// Start is the cursor sent for the first page ("" when the vendor
	// takes none there).
	Start string
	// MaxSize is the largest page size the vendor serves; 0 when it sets
	// none.
	MaxSize int
	// Valid reports whether a cursor read back from a state is one the
	// vendor could have sent (e.g. Int64Cursor); nil accepts any. The
	// cursor is sent on verbatim, never converted.
	Valid func(cursor string) bool
}

// WalkCursor serves the page req asks for out of a list the vendor pages
// with its own cursor. fetch asks for up to size items after the cursor
// after; cursor returns an item's own cursor, kept as the vendor wrote it.
//
// Each call asks for one item more than the page still needs, within
// MaxSize, so that a page which ends the list says so (Next "") without an
// empty page after it. When the caller's limit is larger than the vendor's
// page, the walker follows the vendor's cursor until the page is full or
// the list ends, as WalkPages does.
func WalkCursor[T any](cp CursorPaging, req domain.PageRequest, cursor func(T) string, fetch func(after string, size int) ([]T, error)) (domain.Page[T], error) {
	after := cp.Start
	if req.State != "" {
		c, ok := strings.CutPrefix(req.State, cp.Prefix)
		if !ok || c == "" || (cp.Valid != nil && !cp.Valid(c)) {
			return domain.Page[T]{}, foreignState()
		}
		after = c
	}
	need := max(req.Limit, 1)
	var items []T
	for {
		size := need + 1
		if cp.MaxSize > 0 {
			size = min(size, cp.MaxSize)
		}
		got, err := fetch(after, size)
		if err != nil {
			return domain.Page[T]{}, err
		}
		got = got[:min(len(got), size)]
		if len(got) > need {
			items = append(items, got[:need]...)
			return domain.Page[T]{Items: items, Next: cp.Prefix + cursor(got[need-1])}, nil
		}
		items = append(items, got...)
		need -= len(got)
		if len(got) < size {
			return domain.Page[T]{Items: items}, nil
		}
		after = cursor(got[len(got)-1])
		if need == 0 {
			return domain.Page[T]{Items: items, Next: cp.Prefix + after}, nil
		}
	}
}

package linkflow

import (
	"strconv"
	"strings"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Page states the adapter puts into cursors: "o<offset>" for offset paging
// and "m<memberId>" for group members (Linkflow's own exclusive cursor).

func offsetState(off int) string { return "o" + strconv.Itoa(off) }

func parseOffset(state string) (int, error) {
	if state == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimPrefix(state, "o"))
	if !strings.HasPrefix(state, "o") || err != nil || n < 0 {
		return 0, &domain.CursorError{Reason: "the cursor does not belong to this list"}
	}
	return n, nil
}

// window returns items [off, off+limit) of a list served by a
// page/size API (pages counted from 0), with at most two vendor calls when
// off is not a multiple of limit. more is false once a short page shows the
// list has ended.
func window[T any](off, limit int, fetch func(page, size int) ([]T, error)) (items []T, more bool, err error) {
	limit = max(limit, 1)
	page, skip := off/limit, off%limit
	first, err := fetch(page, limit)
	if err != nil {
		return nil, false, err
	}
	if skip < len(first) {
		items = append(items, first[skip:]...)
	}
	more = len(first) == limit
	if skip > 0 && more {
		second, err := fetch(page+1, limit)
		if err != nil {
			return nil, false, err
		}
		items = append(items, second[:min(skip, len(second))]...)
		more = len(second) == limit || len(second) > skip
	}
	return items, more, nil
}

// slicePage serves an offset page out of a list the vendor returns whole.
func slicePage[T any](all []T, state string, limit int) (domain.Page[T], error) {
	off, err := parseOffset(state)
	if err != nil {
		return domain.Page[T]{}, err
	}
	if off > len(all) {
		off = len(all)
	}
	end := min(off+limit, len(all))
	p := domain.Page[T]{Items: all[off:end]}
	if end < len(all) {
		p.Next = offsetState(end)
	}
	return p, nil
}

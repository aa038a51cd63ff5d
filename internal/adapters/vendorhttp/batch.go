package vendorhttp

import "github.com/cdp-gateway/cdp-gateway/internal/domain"

// BatchRecords builds the vendor record of each batch item with build
// (which reports a field the vendor cannot store under the path prefix
// it is given). An item build refuses fails alone in results and is not
// sent; recs are the records to send and sent the index of each one's
// item.
func BatchRecords[R any](items []domain.ContactInput, build func(c domain.Contact, path string) (R, error)) (results []domain.BatchItemResult, recs []R, sent []int) {
	results = make([]domain.BatchItemResult, len(items))
	recs = make([]R, 0, len(items))
	sent = make([]int, 0, len(items))
	for i, in := range items {
		rec, err := build(in.Contact, "body.")
		if err != nil {
			results[i] = domain.BatchItemResult{Index: i, Status: domain.BatchFailed, Err: err}
			continue
		}
		recs = append(recs, rec)
		sent = append(sent, i)
	}
	return results, recs, sent
}

// FailItems marks the items at indexes failed with err.
func FailItems(results []domain.BatchItemResult, indexes []int, err error) {
	for _, i := range indexes {
		results[i] = domain.BatchItemResult{Index: i, Status: domain.BatchFailed, Err: err}
	}
}

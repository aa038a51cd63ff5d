package meihua

import (
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Contacts without email are matched to the members of the add's group by
// their fields, whatever order Meihua gave them ids in; the order decides
// only between identical ones and for what the fields cannot tell.
func TestMatchBatchWithoutEmail(t *testing.T) {
	t.Parallel()
	since := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	items := []domain.ContactInput{
		{Contact: domain.Contact{Name: "甲", MobilePhone: "1"}},
		{Contact: domain.Contact{Name: "乙", MobilePhone: "2"}},
		{Contact: domain.Contact{Name: "丙", MobilePhone: "3", Gender: domain.GenderUnknown}},
		{Contact: domain.Contact{Name: "丁"}}, // read back otherwise: matched by order
		{Contact: domain.Contact{Name: "old", Email: "old@example.com"}},
	}
	members := []domain.Contact{ // ids in the reverse of the items' order
		{ID: "105", Name: "old", Email: "old@example.com", CreatedAt: since.Add(-time.Hour)},
		{ID: "104", Name: "甲", MobilePhone: "1", CreatedAt: since},
		{ID: "103", Name: "乙", MobilePhone: "2", CreatedAt: since},
		{ID: "102", Name: "丙", MobilePhone: "3", CreatedAt: since},
		{ID: "101", Name: "丁 (renamed)", CreatedAt: since},
		{ID: "100", Name: "an older contact without email", CreatedAt: since.Add(-time.Hour)},
	}
	results := make([]domain.BatchItemResult, len(items))
	matchBatch(items, []int{0, 1, 2, 3, 4}, added{members: members, since: since.UnixMilli(), written: true}, domain.OnConflictMerge, results)
	want := []domain.BatchItemResult{
		{Index: 0, Status: domain.BatchCreated, ID: "104"},
		{Index: 1, Status: domain.BatchCreated, ID: "103"},
		{Index: 2, Status: domain.BatchCreated, ID: "102"},
		{Index: 3, Status: domain.BatchCreated, ID: "101"},
		{Index: 4, Status: domain.BatchUpdated, ID: "105"},
	}
	for i := range want {
		if results[i] != want[i] {
			t.Errorf("item %d: %+v, want %+v", i, results[i], want[i])
		}
	}
}

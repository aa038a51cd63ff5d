package linkflow_test

import (
	"fmt"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// TestGetContactReadsBothAtOnce: a contact and its identities are read
// at the same time, so a read costs one vendor round trip of wall time.
func TestGetContactReadsBothAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.sim.AddContact(linkflowtest.Contact{Name: "Ann"})
	e.sim.AddIdentity(id, "crm", "UDC", "crm-9")
	_, err := e.ad.GetContact(t.Context(), idStr(id)) // the token, fetched once
	e.Must(err)
	gate := vendortest.NewGate(2)
	e.mu.Lock()
	e.gate = gate
	e.mu.Unlock()
	c, err := e.ad.GetContact(t.Context(), idStr(id))
	e.Must(err)
	if gate.Max() != 2 {
		t.Fatalf("%d vendor calls in flight at most, want the contact and its identities at once", gate.Max())
	}
	if !c.ExternalIDsLoaded || len(c.ExternalIDs) != 1 || c.ExternalIDs[0].ID != "crm-9" {
		t.Fatalf("contact %+v", c)
	}
}

// TestBatchFansOutAsTheConnectionSays: a batch's identify calls run as
// many at a time as the connection's concurrency setting, never more, and
// each item costs one call (nothing is read that the results do not use).
func TestBatchFansOutAsTheConnectionSays(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{3, 16} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(c *envConfig) { c.ad.Client.Concurrency = limit })
			_, err := e.ad.ListTags(t.Context(), domain.TagQuery{}, domain.PageRequest{Limit: 1}) // the token
			e.Must(err)
			gate := vendortest.NewGate(limit)
			e.mu.Lock()
			e.gate = gate
			e.mu.Unlock()
			items := make([]domain.ContactInput, 2*limit+1)
			for i := range items {
				items[i] = domain.ContactInput{Contact: domain.Contact{Name: fmt.Sprint("N", i),
					ExternalIDs: []domain.ExternalID{{Channel: "shop.example.com", ID: fmt.Sprint("n", i)}}}}
			}
			before := len(e.Hits())
			res, err := e.ad.BatchUpsertContacts(t.Context(), items, domain.OnConflictMerge)
			e.Must(err)
			for _, r := range res {
				if r.Status != domain.BatchUpserted {
					t.Fatalf("item %d: %+v", r.Index, r)
				}
			}
			if gate.Max() != limit {
				t.Fatalf("%d identify calls in flight at most, want %d", gate.Max(), limit)
			}
			if n := len(e.Hits()) - before; n != len(items) {
				t.Fatalf("%d vendor calls for %d items, want one each", n, len(items))
			}
		})
	}
}

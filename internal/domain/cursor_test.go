package domain_test

import (
	"context"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Cursors are tested through the Service's list operations: that is how
// callers meet them, and it checks the scope each list signs in.

// cursorFixture is a Service with two tenants: "acme" (linkflow, can
// switch to meihua) and "beta" (linkflow), a fake clock and a shared
// binding store, so that a second Service can act as another replica.
type cursorFixture struct {
	svc      *domain.Service
	clock    *fakeClock
	bindings *memory.Bindings
	tenants  []domain.Tenant
	acmeLF   *fullConn
	acmeMH   *fullConn
	betaLF   *fullConn
}

func newCursorFixture(t *testing.T) *cursorFixture {
	t.Helper()
	f := &cursorFixture{
		clock: newFakeClock(), bindings: memory.NewBindings(memory.BindingsOptions{}),
		acmeLF: newFullConn(domain.Vendor("linkflow")), acmeMH: newFullConn(domain.Vendor("meihua")), betaLF: newFullConn(domain.Vendor("linkflow")),
	}
	all := []string{"q", "email", "group_id", "tag_id", "group_id+q", "updated_since"}
	f.acmeLF.filters, f.acmeMH.filters, f.betaLF.filters = all, all, all
	f.tenants = []domain.Tenant{
		{ID: "acme", Initial: domain.Vendor("linkflow"), Connections: map[domain.Vendor]domain.Connection{
			domain.Vendor("linkflow"): f.acmeLF, domain.Vendor("meihua"): f.acmeMH}},
		{ID: "beta", Initial: domain.Vendor("linkflow"), Connections: map[domain.Vendor]domain.Connection{
			domain.Vendor("linkflow"): f.betaLF}},
	}
	f.svc = f.replica(t, testSecret)
	return f
}

// replica returns another Service over the same tenants and bindings.
func (f *cursorFixture) replica(t *testing.T, secret string) *domain.Service {
	t.Helper()
	return newService(t, domain.ServiceConfig{Vendors: testVendors,
		Tenants: f.tenants, Bindings: f.bindings, CursorSecret: []byte(secret), Now: f.clock.Now,
	})
}

// listCase is one list operation, called with a cursor.
type listCase struct {
	op   domain.Operation
	call func(ctx context.Context, s *domain.Service, t domain.Target, o domain.ListOptions) (ids []string, next string, err error)
}

func ids[T any](l domain.List[T], err error, id func(T) string) ([]string, string, error) {
	out := []string{}
	for _, it := range l.Items {
		out = append(out, id(it))
	}
	return out, l.NextCursor, err
}

func contactID(c domain.Contact) string   { return c.ID }
func groupID(g domain.Group) string       { return g.ID }
func eventID(e domain.Event) string       { return e.ID }
func tagID(t domain.Tag) string           { return t.ID }
func tagGroupID(g domain.TagGroup) string { return g.ID }
func fieldID(f domain.FieldDef) string    { return f.ID }

var listCases = []listCase{
	{domain.OpListContacts, func(ctx context.Context, s *domain.Service, t domain.Target, o domain.ListOptions) ([]string, string, error) {
		l, err := s.ListContacts(ctx, t, domain.ContactFilter{Q: "ann"}, o)
		return ids(l, err, contactID)
	}},
	{domain.OpListContactGroups, func(ctx context.Context, s *domain.Service, t domain.Target, o domain.ListOptions) ([]string, string, error) {
		l, err := s.ListContactGroups(ctx, t, id(t, "7"), o)
		return ids(l, err, groupID)
	}},
	{domain.OpListContactEvents, func(ctx context.Context, s *domain.Service, t domain.Target, o domain.ListOptions) ([]string, string, error) {
		l, err := s.ListContactEvents(ctx, t, id(t, "7"), o)
		return ids(l, err, eventID)
	}},
	{domain.OpListTags, func(ctx context.Context, s *domain.Service, t domain.Target, o domain.ListOptions) ([]string, string, error) {
		l, err := s.ListTags(ctx, t, id(t, "3"), o)
		return ids(l, err, tagID)
	}},
	{domain.OpListTagGroups, func(ctx context.Context, s *domain.Service, t domain.Target, o domain.ListOptions) ([]string, string, error) {
		l, err := s.ListTagGroups(ctx, t, o)
		return ids(l, err, tagGroupID)
	}},
	{domain.OpListGroups, func(ctx context.Context, s *domain.Service, t domain.Target, o domain.ListOptions) ([]string, string, error) {
		l, err := s.ListGroups(ctx, t, "news", o)
		return ids(l, err, groupID)
	}},
	{domain.OpListGroupMembers, func(ctx context.Context, s *domain.Service, t domain.Target, o domain.ListOptions) ([]string, string, error) {
		l, err := s.ListGroupMembers(ctx, t, id(t, "5"), o)
		return ids(l, err, contactID)
	}},
	{domain.OpListFields, func(ctx context.Context, s *domain.Service, t domain.Target, o domain.ListOptions) ([]string, string, error) {
		l, err := s.ListFields(ctx, t, o)
		return ids(l, err, fieldID)
	}},
}

// cursorShape is base64url payload "." base64url signature: safe in a
// query string without escaping.
var cursorShape = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`)

func TestCursorNextPage(t *testing.T) {
	t.Parallel()
	for _, lc := range listCases {
		t.Run(string(lc.op), func(t *testing.T) {
			t.Parallel()
			f := newCursorFixture(t)
			ctx := context.Background()
			tg := target(t, f.svc, "acme")
			first, next, err := lc.call(ctx, f.svc, tg, domain.ListOptions{})
			if err != nil {
				t.Fatalf("page 1: %v", err)
			}
			if next == "" || !cursorShape.MatchString(next) {
				t.Fatalf("page 1 next cursor = %q, want an opaque base64url cursor", next)
			}
			if strings.Contains(next, "\"s\":\"2\"") {
				t.Fatalf("cursor is not encoded: %q", next)
			}
			second, last, err := lc.call(ctx, f.svc, tg, domain.ListOptions{Cursor: next})
			if err != nil {
				t.Fatalf("page 2: %v", err)
			}
			if last != "" {
				t.Errorf("last page has a next cursor %q", last)
			}
			// The fake numbers its items by page: the state must have
			// travelled through the cursor.
			if len(first) != 1 || len(second) != 1 || !strings.HasSuffix(first[0], "1") || !strings.HasSuffix(second[0], "2") {
				t.Errorf("pages = %v then %v, want page 1 then page 2", first, second)
			}
			calls := f.acmeLF.CallsOf(lc.op)
			if len(calls) != 2 || calls[0].Page.State != "" || calls[1].Page.State != "2" {
				t.Errorf("adapter saw states %+v, want \"\" then \"2\"", calls)
			}
		})
	}
}

func TestCursorWorksOnAnotherReplica(t *testing.T) {
	t.Parallel()
	// Replicas share the secret: a cursor from one is good on the next.
	f := newCursorFixture(t)
	ctx := context.Background()
	next := firstCursor(t, f.svc, target(t, f.svc, "acme"))
	other := f.replica(t, testSecret)
	if _, _, err := listCases[0].call(ctx, other, target(t, other, "acme"), domain.ListOptions{Cursor: next}); err != nil {
		t.Fatalf("cursor refused by a replica with the same secret: %v", err)
	}
}

// firstCursor lists the first page of contacts ("q=ann") and returns its cursor.
func firstCursor(t *testing.T, s *domain.Service, tg domain.Target) string {
	t.Helper()
	_, next, err := listCases[0].call(context.Background(), s, tg, domain.ListOptions{})
	if err != nil || next == "" {
		t.Fatalf("first page: next %q, err %v", next, err)
	}
	return next
}

// wantCursorError asserts an invalid cursor and returns its reason.
func wantCursorError(t *testing.T, err error) string {
	t.Helper()
	if !errors.Is(err, domain.ErrInvalidCursor) {
		t.Fatalf("error %v is not ErrInvalidCursor", err)
	}
	ce := asError[*domain.CursorError](t, err)
	if ce.Reason == "" {
		t.Fatal("CursorError without a reason")
	}
	return ce.Reason
}

const malformedReason = "the cursor is malformed or was altered"

func TestCursorTampered(t *testing.T) {
	t.Parallel()
	f := newCursorFixture(t)
	tg := target(t, f.svc, "acme")
	good := firstCursor(t, f.svc, tg)
	p64, s64, _ := strings.Cut(good, ".")
	enc := base64.RawURLEncoding
	payload, err := enc.DecodeString(p64)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := enc.DecodeString(s64)
	if err != nil {
		t.Fatal(err)
	}
	// Forge a deeper page and a later expiry, keeping the signature.
	forged := strings.Replace(string(payload), `"s":"2"`, `"s":"9"`, 1)
	if forged == string(payload) {
		t.Fatalf("payload %s has no state to alter", payload)
	}
	flipped := append([]byte(nil), sig...)
	flipped[0] ^= 0x01

	tests := map[string]string{
		"altered payload":   enc.EncodeToString([]byte(forged)) + "." + s64,
		"altered signature": p64 + "." + enc.EncodeToString(flipped),
		"truncated sig":     p64 + "." + enc.EncodeToString(sig[:8]),
		"no signature":      p64,
		"empty signature":   p64 + ".",
		"not base64":        "!!!." + s64,
		"garbage":           "abc",
		"padded base64":     p64 + "=." + s64,
		"extra part":        good + ".x",
	}
	for name, cursor := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f2 := newCursorFixture(t)
			tg := target(t, f2.svc, "acme")
			_, _, err := listCases[0].call(ctx, f2.svc, tg, domain.ListOptions{Cursor: cursor})
			if reason := wantCursorError(t, err); reason != malformedReason {
				t.Errorf("reason = %q, want %q", reason, malformedReason)
			}
			// A refused cursor never reaches the vendor.
			wantNoCalls(t, &f2.acmeLF.recorder)
		})
	}
}

func TestCursorOtherSecret(t *testing.T) {
	t.Parallel()
	f := newCursorFixture(t)
	cursor := firstCursor(t, f.svc, target(t, f.svc, "acme"))
	other := f.replica(t, "another-secret-of-32-bytes-length")
	_, _, err := listCases[0].call(context.Background(), other, target(t, other, "acme"), domain.ListOptions{Cursor: cursor})
	if reason := wantCursorError(t, err); reason != malformedReason {
		t.Fatalf("reason = %q, want %q", reason, malformedReason)
	}
}

func TestCursorEmptyIsFirstPage(t *testing.T) {
	t.Parallel()
	f := newCursorFixture(t)
	if _, _, err := listCases[0].call(context.Background(), f.svc, target(t, f.svc, "acme"), domain.ListOptions{Cursor: ""}); err != nil {
		t.Fatal(err)
	}
	if c := f.acmeLF.CallsOf(domain.OpListContacts); len(c) != 1 || c[0].Page.State != "" {
		t.Fatalf("calls = %+v", c)
	}
}

// TestCursorScope uses a good cursor where it does not belong. Each kind
// of misuse has its own reason, so that a caller (and a support engineer)
// can tell what went wrong.
func TestCursorScope(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	type misuse struct {
		name string
		// use issues a cursor from acme's contact list (q=ann) and uses it.
		use  func(t *testing.T, f *cursorFixture, cursor string) error
		kind string // misuses of the same kind share a reason
	}
	listContacts := func(s *domain.Service, tg domain.Target, flt domain.ContactFilter, cursor string) error {
		_, err := s.ListContacts(ctx, tg, flt, domain.ListOptions{Cursor: cursor})
		return err
	}
	misuses := []misuse{
		{"another operation", func(t *testing.T, f *cursorFixture, c string) error {
			_, err := f.svc.ListGroups(ctx, target(t, f.svc, "acme"), "ann", domain.ListOptions{Cursor: c})
			return err
		}, "list"},
		{"another q", func(t *testing.T, f *cursorFixture, c string) error {
			return listContacts(f.svc, target(t, f.svc, "acme"), domain.ContactFilter{Q: "bob"}, c)
		}, "list"},
		{"an added group_id", func(t *testing.T, f *cursorFixture, c string) error {
			return listContacts(f.svc, target(t, f.svc, "acme"), domain.ContactFilter{Q: "ann", GroupID: "lf_1"}, c)
		}, "list"},
		{"q moved to email", func(t *testing.T, f *cursorFixture, c string) error {
			// Same value, other filter: must not hash the same.
			return listContacts(f.svc, target(t, f.svc, "acme"), domain.ContactFilter{Email: "ann"}, c)
		}, "list"},
		{"another tenant", func(t *testing.T, f *cursorFixture, c string) error {
			return listContacts(f.svc, target(t, f.svc, "beta"), domain.ContactFilter{Q: "ann"}, c)
		}, "tenant"},
		{"after a switch to another vendor", func(t *testing.T, f *cursorFixture, c string) error {
			if _, err := f.svc.SwitchVendor(ctx, "acme", domain.Vendor("meihua"), "ops", "test"); err != nil {
				t.Fatal(err)
			}
			return listContacts(f.svc, target(t, f.svc, "acme"), domain.ContactFilter{Q: "ann"}, c)
		}, "binding"},
		{"after a switch away and back", func(t *testing.T, f *cursorFixture, c string) error {
			// Same vendor as when issued, but a newer binding: the
			// vendor's page state may be stale (data re-imported).
			for _, v := range []domain.Vendor{domain.Vendor("meihua"), domain.Vendor("linkflow")} {
				if _, err := f.svc.SwitchVendor(ctx, "acme", v, "ops", "test"); err != nil {
					t.Fatal(err)
				}
			}
			return listContacts(f.svc, target(t, f.svc, "acme"), domain.ContactFilter{Q: "ann"}, c)
		}, "binding"},
		{"after 24h", func(t *testing.T, f *cursorFixture, c string) error {
			f.clock.Advance(domain.CursorTTL + time.Second)
			return listContacts(f.svc, target(t, f.svc, "acme"), domain.ContactFilter{Q: "ann"}, c)
		}, "expired"},
	}
	reasons := map[string]string{"malformed": malformedReason} // kind -> reason
	for _, m := range misuses {
		f := newCursorFixture(t)
		cursor := firstCursor(t, f.svc, target(t, f.svc, "acme"))
		before := len(f.acmeLF.Calls()) + len(f.acmeMH.Calls()) + len(f.betaLF.Calls())
		reason := wantCursorError(t, m.use(t, f, cursor))
		if after := len(f.acmeLF.Calls()) + len(f.acmeMH.Calls()) + len(f.betaLF.Calls()); after != before {
			t.Errorf("%s: the refused cursor reached an adapter", m.name)
		}
		if prev, ok := reasons[m.kind]; ok && prev != reason {
			t.Errorf("%s: reason %q, want the %s reason %q", m.name, reason, m.kind, prev)
		}
		reasons[m.kind] = reason
		t.Logf("%s: %s", m.name, reason)
	}
	seen := map[string]string{}
	for kind, r := range reasons {
		if other, dup := seen[r]; dup {
			t.Errorf("kinds %s and %s share the reason %q", kind, other, r)
		}
		seen[r] = kind
	}
}

func TestCursorStillValidBeforeTTL(t *testing.T) {
	t.Parallel()
	f := newCursorFixture(t)
	tg := target(t, f.svc, "acme")
	cursor := firstCursor(t, f.svc, tg)
	f.clock.Advance(domain.CursorTTL - time.Minute)
	if _, _, err := listCases[0].call(context.Background(), f.svc, tg, domain.ListOptions{Cursor: cursor}); err != nil {
		t.Fatalf("cursor refused before its TTL: %v", err)
	}
}

func TestCursorUpdatedSinceTimeZone(t *testing.T) {
	t.Parallel()
	// The same instant written in another zone is the same filter.
	f := newCursorFixture(t)
	ctx := context.Background()
	tg := target(t, f.svc, "acme")
	utc := time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)
	paris := utc.In(time.FixedZone("CET", 3600))
	l, err := f.svc.ListContacts(ctx, tg, domain.ContactFilter{UpdatedSince: &utc}, domain.ListOptions{})
	if err != nil || l.NextCursor == "" {
		t.Fatalf("page 1: %v", err)
	}
	if _, err := f.svc.ListContacts(ctx, tg, domain.ContactFilter{UpdatedSince: &paris}, domain.ListOptions{Cursor: l.NextCursor}); err != nil {
		t.Fatalf("page 2 with the same instant in another zone: %v", err)
	}
	later := utc.Add(time.Nanosecond)
	_, err = f.svc.ListContacts(ctx, tg, domain.ContactFilter{UpdatedSince: &later}, domain.ListOptions{Cursor: l.NextCursor})
	wantCursorError(t, err)
}

func TestListLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		limit, got int
	}{
		{"default", 0, domain.DefaultLimit},
		{"negative", -5, domain.DefaultLimit},
		{"one", 1, 1},
		{"max", domain.MaxLimit, domain.MaxLimit},
		{"over max", domain.MaxLimit + 1, domain.MaxLimit},
		{"far over max", 10000, domain.MaxLimit},
	}
	if domain.DefaultLimit != 50 || domain.MaxLimit != 200 {
		t.Fatalf("limits are %d/%d, the API promises 50/200", domain.DefaultLimit, domain.MaxLimit)
	}
	for _, tt := range tests {
		for _, lc := range listCases {
			t.Run(tt.name+"/"+string(lc.op), func(t *testing.T) {
				t.Parallel()
				f := newCursorFixture(t)
				if _, _, err := lc.call(context.Background(), f.svc, target(t, f.svc, "acme"), domain.ListOptions{Limit: tt.limit}); err != nil {
					t.Fatal(err)
				}
				calls := f.acmeLF.CallsOf(lc.op)
				if len(calls) != 1 || calls[0].Page.Limit != tt.got {
					t.Fatalf("adapter saw %+v, want limit %d", calls, tt.got)
				}
			})
		}
	}
}

func TestListEmptyPageIsNotNil(t *testing.T) {
	t.Parallel()
	// nil would encode as "data": null.
	s, tg := singleTenant(t, &readOnlyContacts{vendor: domain.Vendor("nxcloud")})
	l, err := s.ListContacts(context.Background(), tg, domain.ContactFilter{}, domain.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if l.Items == nil || len(l.Items) != 0 || l.NextCursor != "" {
		t.Fatalf("List = %#v, want empty non-nil items and no cursor", l)
	}
}

func TestCursorOtherOperationSameFilter(t *testing.T) {
	t.Parallel()
	// Pairs of lists whose filter strings are identical, so only the
	// operation tells their cursors apart.
	pairs := []struct{ from, to domain.Operation }{
		{domain.OpListFields, domain.OpListTagGroups},
		{domain.OpListContactGroups, domain.OpListContactEvents},
	}
	byOp := map[domain.Operation]listCase{}
	for _, lc := range listCases {
		byOp[lc.op] = lc
	}
	for _, p := range pairs {
		t.Run(string(p.from)+"->"+string(p.to), func(t *testing.T) {
			t.Parallel()
			f := newCursorFixture(t)
			ctx := context.Background()
			tg := target(t, f.svc, "acme")
			_, cursor, err := byOp[p.from].call(ctx, f.svc, tg, domain.ListOptions{})
			if err != nil || cursor == "" {
				t.Fatalf("first page: %q, %v", cursor, err)
			}
			_, _, err = byOp[p.to].call(ctx, f.svc, tg, domain.ListOptions{Cursor: cursor})
			wantCursorError(t, err)
			if len(f.acmeLF.CallsOf(p.to)) != 0 {
				t.Fatal("the refused cursor reached the adapter")
			}
		})
	}
}

func TestCursorFilterValuesDoNotCollide(t *testing.T) {
	t.Parallel()
	f := newCursorFixture(t)
	f.acmeLF.filters = append(f.acmeLF.filters, "email+q")
	ctx := context.Background()
	tg := target(t, f.svc, "acme")
	l, err := f.svc.ListContacts(ctx, tg, domain.ContactFilter{Q: "a\x00b", Email: "c"}, domain.ListOptions{})
	if err != nil || l.NextCursor == "" {
		t.Fatalf("page 1: %v", err)
	}
	_, err = f.svc.ListContacts(ctx, tg, domain.ContactFilter{Q: "a", Email: "b\x00c"}, domain.ListOptions{Cursor: l.NextCursor})
	wantCursorError(t, err)
}

package linkflow

import "github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"

// How Linkflow pages its lists, for the kit's walkers. Lists Linkflow
// answers whole (lookups, groups, folders, custom-field definitions) are
// served with vendorhttp.SlicePage.

// Documented page limits.
const (
	// maxTagPage is the largest size of a GET /v1/tags page.
	maxTagPage = 200
	// maxGroupMembersPage is the largest size of a group member page.
	maxGroupMembersPage = 500
	// maxIDWindow is the bound page*size <= 10000 of
	// GET /open/contacts_bulk/ids.
	maxIDWindow = 10000
	// maxGroups is the most groups GET /open/groups answers.
	maxGroups = 2000
)

var (
	// pages are contacts and a contact's events: pages from 0, of any size
	// the gateway asks.
	pages = vendorhttp.PageNumbers{First: 0}
	// changedIDPages are the ids of contacts changed since a day, which
	// Linkflow pages only while page*size <= 10000.
	changedIDPages = vendorhttp.PageNumbers{First: 0, Cap: vendorhttp.Cap{Items: maxIDWindow,
		Detail: "linkflow lists at most 10000 changed contacts for one query; narrow it with a later updated_since"}}
	// groupCap is the most groups GET /open/groups answers for one query.
	groupCap = vendorhttp.Cap{Items: maxGroups, Detail: "linkflow answers at most 2000 groups for one query; narrow it with q"}
	// tagPages are tag metadata pages.
	tagPages = vendorhttp.PageNumbers{First: 0, MaxSize: maxTagPage}
	// memberPages follow a group's members by Linkflow's memberId
	// (exclusive; the first page is after 0), in states "m<memberId>".
	memberPages = vendorhttp.CursorPaging{Prefix: "m", Start: "0", MaxSize: maxGroupMembersPage, Valid: vendorhttp.Int64Cursor}
)

// Package miaokol is the gateway's adapter for Miaokol (云真机), from its
// smart-tag API docs (../shared/vendor-docs/miaokol-smart-tag.txt) and
// the facts in NOTES.md. Miaokol's open API offers smart tags: tag groups
// and tags, and the set of tags on a WeCom customer. Where the docs are
// silent, the choices below are the gateway's, and the README's vendor
// notes repeat them.
//
// # Access
//
// A connection is one tenant's app: app_id and app_secret. The token
// comes from POST {base_url}/oauth/token with the JSON body {"app_id",
// "app_secret", "grant_type": "client_credential"}, the only call that
// carries the secret. The answer is read as {"errcode": 0, "data":
// {"access_token", "expires_in"}}, and also with the two members at the
// top level (the WeChat form). expires_in is the lifetime in seconds
// (documented as 7200); a missing or absurd one (over a day) counts as
// 7200. The connection's vendorhttp.TokenSource reuses the token in
// process and across replicas until a minute before it expires, and
// fetches it once for all replicas. A token answer with an errcode other
// than 0, or a 401, 403 or other 4xx status, is the credentials' refusal
// (VendorAuth, 502 VENDOR_AUTH_FAILED): the call takes nothing else. The
// token source remembers it for a while, so a wrong secret does not cost
// a vendor call per request.
//
// Every smart-tag call carries app_id and access_token as the docs'
// examples do: in the query string of a GET, and as the first members of
// the JSON body (Content-Type application/json; charset=UTF-8) of a POST,
// next to the call's other parameters. The docs name no code for an
// invalid or expired token; the adapter reads the WeChat convention
// Miaokol's token scheme follows: errcode 40001 (and 40014, 42001), or an
// HTTP 401, drops the token and sends the call once more with a new one.
// A second refusal is VendorAuth. So are WeChat's 40013 and 40125 (app
// id, app secret), on any call.
//
// Miaokol accepts calls only from server IPs on its whitelist: the
// gateway's egress addresses must be fixed and registered with Miaokol.
//
// # Answers and errors
//
// Answers are HTTP 200 with {"errcode": …, "data": …}; errcode 0 is
// success and the docs publish one other code, 1, a failure without a
// reason. errmsg, if any, is never read into an error.
//
//	answer                         meaning                          gateway (HTTP answer)
//	errcode 0                      success                          -
//	errcode 40001, 40014, 42001    token invalid or expired         dropped, fetched anew, sent once more; VendorAuth (502) if it persists
//	errcode 40013, 40125           the app id or secret refused     VendorAuth (502)
//	errcode 1 on a write           Miaokol refused the input        VendorRejected (422), code "1"
//	errcode 1 on a read            Miaokol failed                   VendorUnknown (502), code "1"
//	any other errcode              -                                VendorUnknown (502) with the code
//	no errcode, not JSON, HTML,    -                                VendorBadResponse (502)
//	truncated JSON
//	HTTP 404                       no such endpoint (base_url)      VendorEndpointNotFound (502)
//	HTTP 5xx                       Miaokol is down                  VendorUnavailable (503), retried when safe
//	HTTP 401, 403, 429, other      by the status                    as vendorhttp.StatusError reads it
//
// Errcode 1 is read by what the call carried: a write (create, rename,
// delete, a contact's tags) sends the caller's names and ids, which
// Miaokol may refuse (an unknown customer, say); a read sends only what
// the gateway writes, so a failure there is Miaokol's.
//
// # Ids
//
// Tag groups and tags are both Miaokol "smart tags" (type 2 and type 1)
// and share one id space: /smart-tag/add and /smart-tag/delete take
// either. Their canonical ids are "mk_" and the integer, e.g. mk_12; any
// other spelling (mk_012, mk_+12, mk_abc) is refused with 400 naming the
// field before any call. /smart-tag/list writes tag ids as JSON strings
// ("2") and group ids as numbers, /smart-tag/add numbers: both forms are
// read, exactly. Because the id space is shared, every write by id first
// checks that the id is of the right kind (see below): a group's rename
// sent with a tag's id would otherwise turn the tag into a group, and a
// tag's delete given a group's id would delete the group with its tags.
//
// A contact is a WeCom customer, named by rel_wxid (the WeCom account
// that added them) together with contact_wxid (theirs). Its canonical id
// is
//
//	"mk_" + escape(rel_wxid) + "~" + escape(contact_wxid)
//
// where escape writes every byte outside [A-Za-z0-9._-] as %XX with
// uppercase hex digits (so "~", "%", "/", spaces and non-ASCII text are
// escaped, and "~" can only be the separator). WeCom ids are usually
// digits, so ids read mk_1688851873049028~7881302795046315. An id is
// accepted only in this one spelling: exactly one "~", both parts
// non-empty, nothing but those characters and well-formed %XX escapes,
// no lowercase hex and no escape of a character written as it is, and
// escapes that decode to UTF-8 text; anything else is a 400 naming
// path.contact_id, before any call. ContactID and ParseContactID are the
// codec.
//
// # Tag groups
//
//	list     GET /smart-tag/list without tags, page and page_size (at most 100), from page 1
//	create   POST /smart-tag/add {id: 0, name, type: 2}
//	rename   GET /smart-tag/list?id= (404 for an unknown group), then POST /smart-tag/add {id, name, type: 2}
//	delete   GET /smart-tag/list?id= (404), then POST /smart-tag/delete {id}; Miaokol deletes the group's tags with it
//
// # Tags
//
//	list     GET /smart-tag/list?with_tags=1: every group's tags, in the groups' order
//	list of a group   GET /smart-tag/list?with_tags=1&id= (one call; 404 for an unknown group)
//	create   GET /smart-tag/list?id= (404 for an unknown group), then POST /smart-tag/add {id: 0, name, type: 1, parent_id: group}
//	rename   find the tag (every group's tags; 404), then POST /smart-tag/add {id, name, type: 1, parent_id: its group}
//	delete   find the tag (404), then POST /smart-tag/delete {id}
//
// Tags come inside their groups, so a list of every tag reads a hundred
// groups per call for as long as the page needs; its cursor holds the
// group page and how many of its tags were served ("t<page>.<skip>").
// Finding one tag reads every group with its tags (a call per hundred
// groups): Miaokol has no lookup of one tag. A lookup and the write
// after it are two calls: a change made between them is not seen.
//
// Every Miaokol tag lives in a group: parent_id defaults to 0, but a tag
// outside any group is never listed, so the gateway could neither show,
// rename nor delete it. A tag created without group_id is refused (400
// naming body.group_id).
//
// /smart-tag/batchAddTag is not used: it adds several tags to a group
// (or to a new one) but answers no ids, so creating one tag with it would
// need lists before and after, where /smart-tag/add answers the record
// in one call; the canonical API has no call that creates several tags
// at once. It is reachable through passthrough.
//
// Field by field (canonical ← Miaokol):
//
//	tag group id        id (list: number)
//	tag group name      name
//	tag group created_at, updated_at   ctime, utime (epoch seconds; only in the answers of create and rename)
//	tag id              id (list: a string of digits)
//	tag name            name
//	tag group_id        the group the tag is listed in; parent_id in add's answers
//	tag contact_count   contact_cnt (lists only)
//	tag created_at, updated_at         ctime, utime (create and rename answers)
//
// The group list's type and number and the tags' sort are in raw only.
// A create needs the record's id from the answer (VendorBadResponse
// without one); a rename answers the id and name it wrote when Miaokol's
// answer holds no record, and an answer about another record is a
// VendorBadResponse.
//
// # A contact's tags
//
// PUT /v1/contacts/{id}/tags is POST /smart-tag/updateContact {rel_wxid,
// contact_wxid, smart_tag_ids}: Miaokol replaces the customer's whole set
// of smart tags, and [] clears it. Before the write the adapter reads
// every group with its tags (a call per hundred groups): each id must be
// a tag (400 naming body.tag_ids[i] for a group's id or an unknown one),
// and the answer names the tags from that list, in the order given, each
// once. The docs do not publish the shape of the customer record the
// write answers, so it is not read. An empty list is written without the
// lookup. An unknown customer is Miaokol's to refuse (errcode 1: 422).
// The write is a full overwrite, so it is safe to repeat and retried like
// a read; so are renames. Creates and deletes are sent once unless the
// caller's request carried an Idempotency-Key.
//
// # Passthrough
//
// Paths under /smart-tag only; never /oauth. The gateway puts app_id and
// access_token where Miaokol takes them (the query of a GET, the JSON
// body of any other method, which must then be a JSON object), replacing
// any the caller sent, and returns Miaokol's answer as it is.
//
// # Not offered
//
// Miaokol's docs offer no contact list, read, write or delete, no groups
// (segments), no custom fields and no events: those operations answer
// 501 UNSUPPORTED_OPERATION, as GET /v1/capabilities says.
package miaokol

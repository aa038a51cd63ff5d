// Package linkflowtest is a strict, in-memory simulator of the Linkflow CDP
// open API, written as an [http.Handler].
//
// It is an independent reading of the vendor documentation (the older "open
// API guide" served from open.linkflowtech.com and the newer CDP endpoints
// served from cdp-api.linkflowtech.com). One [Server] answers the paths of
// both hosts, because the vendor accepts the same X-OpenApi-Token on both. It
// is meant for adapter tests, end-to-end tests and a sandbox demo mode, and is
// mounted under a base path, so that a URL that ignores the base URL fails:
//
//	sim := linkflowtest.New(linkflowtest.Config{AppKey: "k", AppSecret: "s"})
//	baseURL := vendortest.Start(t, "/linkflow", sim)
//
// Request recording, faults, routing with the token check and body limits
// come from [vendortest]; what is Linkflow's is here.
//
// # What the documentation specifies (implemented strictly)
//
//   - GET /token takes X-OpenApi-Key and X-OpenApi-Secret and answers
//     {"expiration": ..., "token": ...}. Every other endpoint requires a valid,
//     unexpired X-OpenApi-Token header.
//   - Timestamps are "yyyy-MM-dd HH:mm:ss" in China Standard Time (UTC+8);
//     event dates (eventDate) are epoch milliseconds; ids are JSON numbers.
//   - Paging: page numbers start at 0 (orders start at 1 and stop at page 100,
//     B00093 beyond that); the default size is 200 for contacts and events and
//     500 for group members; the ids-by-update-time endpoint requires page and
//     size and rejects page*size > 10000 with B00030; bulk contact lookup uses
//     only the first 100 ids (extra ids are ignored, not an error); group
//     member listing pages with an exclusive memberId cursor and a size of at
//     most 500 (B00031 above that); /open/groups answers at most 2000 groups;
//     /v1/tags requires page and size with size at most 200 (B00010); the
//     email/mobilePhone contact lookup requires at least one of them (B00030).
//   - Documented error codes and statuses: B00001 400 (group name exists),
//     B00008 404 (contact or group not found), B00010 500 on /v1/tags
//     (invalid parameter), B00030 500, B00031 400, B00093 500, B00157 412
//     (group count limit, see [Config.MaxGroups]).
//   - Group members are answered as
//     {lastUpdated, dateCreated, contact:{mobilePhone,name,id,email},
//     contactGroupId, version, memberId}; adding or removing members answers
//     {success, failure, group}. contactGroupId carries the group id (both
//     members in the vendor sample carry the same value).
//   - Creating a group only accepts groupType "static" (the default).
//
// # Choices made where the documentation is silent
//
// Error body. Every error is answered with a JSON object
//
//	{"status": <http status>, "code": "<code>", "message": "<english text>"}
//
// with Content-Type application/json;charset=UTF-8. Documented failures carry
// the documented code and status. Undocumented validation failures (malformed
// JSON, a body of the wrong JSON type, missing required fields such as
// externalId or channel.channelId, non-numeric ids in a path or query, bad
// date formats, sizes out of range, unknown custom-field aliases, values of
// the wrong type) answer 400 with the vendor's generic "invalid parameter"
// code B00010 (the documented 500 status for B00010 is kept only on /v1/tags,
// where it is documented). Transport-level failures use non-B codes:
// 401 UNAUTHORIZED (missing/unknown/expired token, bad app credentials),
// 404 NOT_FOUND (unknown path), 405 METHOD_NOT_ALLOWED (with an Allow
// header), 413 PAYLOAD_TOO_LARGE (body over 8 MiB) and 415
// UNSUPPORTED_MEDIA_TYPE (a request body declared with a non-JSON
// Content-Type; a missing Content-Type is accepted because the vendor samples
// send none). Authentication is checked before routing, so an unknown path
// without a token answers 401.
//
// Tokens. Tokens look like the vendor sample (base64 of "<tenant>-<uuid>").
// A new token does not revoke earlier ones unless [Config.SingleActiveToken]
// is set. Issued tokens live [Config.TokenTTL] (2h by default) measured with
// [Config.Now].
//
// Ids. All entities (contacts, identities, channels, groups, group members,
// events, tags, folders, orders, order lines, properties) draw ids from one
// increasing sequence, so a contact id is never also a group id: an adapter
// that mixes them up gets a 404 instead of a false success.
//
// Ordering. Contact lists, bulk lookups, ids-by-update-time, group queries,
// a contact's groups, folders, tags and orders are ordered by id ascending;
// group members by memberId ascending; /events/lite by event id ascending.
// Contact events (/contacts/{id}/events) are newest first (eventDate
// descending, then id descending), as in the vendor sample. All orders are
// total, so paging has neither repeats nor gaps while data is unchanged.
//
// Contact search. The search parameter of /contacts and /open/contacts is a
// case-insensitive substring match against name, mobilePhone and email.
// groupId filters by membership; an unknown groupId answers 404 B00008.
// Page sizes must be between 1 and 1000 (there is no documented maximum).
//
// Email/phone lookup. When both email and mobilePhone are given, both must
// match. email compares case-insensitively, mobilePhone exactly.
//
// Update-time parameters. minUpdateTime / maxUpdateTime (and the groups
// lastUpdated filter, and the orders startTime / endTime) accept both
// "yyyy-MM-dd" (midnight) and "yyyy-MM-dd HH:mm:ss", read as China Standard
// Time. The minimum is inclusive and the maximum exclusive, matching the
// documented order time window (start closed, end open).
//
// Identify (POST /identifiers). A contact is found through its identity
// (channel, externalId). The channel is looked up by channel.channelId,
// preferring a UDC channel; an unknown channelId creates a UDC channel (named
// channel.name, or the channelId), and channel.name renames an existing one.
// An unknown identity creates a new contact with that identity; there is no
// merging by phone or email. Only the documented identify fields are applied
// (name, dateOfBirthday, mobilePhone, email, country, state, city, title,
// company, industry, department, street, postalCode, website, idCard, props,
// weChatInfo); other keys are ignored, like the vendor's lenient JSON binding.
// Absent or null fields leave the contact unchanged. weChatInfo with appId and
// openId links a WECHAT identity (channel appId, externalId = anonymousId =
// openId) unless that openId is already linked to a contact.
//
// Update (PUT /v2/contacts/{id}) is a partial update: absent fields are left
// unchanged, a field sent as null or "" is cleared, other fields are set. The
// body id is required (as documented) and must equal the path id. props are
// merged key by key (a null value removes the key). Fields outside the
// documented list (plus homePhone, street and postalCode, which the vendor
// sample sends) are ignored. gender must be male, female or unknown and
// dateOfBirthday "yyyy-MM-dd HH:mm:ss". Every change increments ver and sets
// lastUpdated; the update takes no version of its own (the documentation
// lists none), so it never refuses a write as stale.
//
// Versions. Every contact answer carries ver, the number of the record's
// version: 1 when it is created, one more with every update or identify
// that reaches it. The documented contacts_bulk and v2/contacts samples
// answer "ver": null; the simulator answers null for a contact it keeps no
// version for ([Server.ForgetVersion]), and such a contact's next change
// gives it version 1.
//
// Custom fields. props keys must be aliases defined in the property metadata
// (unknown aliases answer 400 B00010). Values are checked against the
// property's dataType: text → string, number → number, integer → integral
// number, boolean → boolean, date → "yyyy-MM-dd" (or with a time),
// datetime → "yyyy-MM-dd HH:mm:ss", list → array of strings; other data types
// accept any value. Numbers are kept as [encoding/json.Number].
//
// Empty values. Empty strings are stored as absent and answered as null
// (so sending "" to identify or update clears a field).
//
// Contact answers. Every contact answer has the full field set of the vendor
// samples (absent values as null, utm null when empty, props {} when empty),
// including lastSeen, lastTagged and identified; openIds (the contact's
// WECHAT identities) is only added with needOpenId=1 and on GET /identifiers,
// as in the samples. GET /identifiers takes channelType (default UDC) into
// account; an unknown identity answers 404 B00008.
//
// Events (POST /ude). event, channelId and externalId are required strings;
// channelType defaults to UDC and must be a known channel type; eventDate is
// epoch milliseconds (default now); attr1..attr20 must be strings. When no
// identity (channelType, channelId, externalId) exists, the simulator creates
// the channel (if needed), a new contact and the identity, and records the
// event (a CDP accepts events before identify); with
// [Config.RejectUnknownEventIdentity] it answers 404 B00008 instead.
// Recording an event moves the contact's lastSeen forward.
//
// Group members. Adding answers an id in success when the contact exists
// (already a member or not) and in failure otherwise; removing answers an id
// in success when the contact exists (member or not) and in failure
// otherwise. Duplicate ids are reported once. At most
// [Config.MaxMembersPerCall] (500 by default) ids per call, B00031 above that.
// Membership of dynamic groups cannot be changed through the API (400
// B00010); seeding helpers may still fill them. Any change moves the group's
// lastUpdated.
//
// Orders (GET /open/orders). lastMaxId selects cursor mode (orders with id
// greater than lastMaxId); otherwise page mode (page defaults to 1, must be
// 1..100). startTime (inclusive) / endTime (exclusive) filter on the order's
// lastUpdated in both modes. Both modes answer at most [Config.OrderPageSize]
// (100 by default) orders, ordered by id.
//
// WeChat (GET /v1/wx/{appId}/user). Finds the WECHAT identity of channel
// appId whose externalId is the unionId, and answers its anonymousId (or the
// externalId when there is none) as openId, isActive as status and the
// identity creation time as subscribeTime (epoch seconds). Unknown → 404
// B00008.
//
// Channels. POST /udc creates a UDC channel or renames the existing UDC
// channel with that channelId; a missing channelId is generated as
// "udc_" followed by 10 random letters and digits. GET /channels/meta/types
// answers the documented channel type codes with English display names.
//
// Tags. POST /v1/tags/tagkeys/{tagKey}/calculate answers 200 with an empty
// body and sets lastCalculateTime; an unknown tagKey answers 404 B00008.
// POST /open/shorturl answers {"shorturl": "http://ln8w.cn/XXXXXX"}.
// Dashboards are not simulated.
//
// # Test controls
//
// [Server.InjectFault] queues canned answers, response headers (such as
// Retry-After), latency and dropped connections (see [vendortest.Fault]),
// [Server.Requests] records every request (including rejected and faulted
// ones), [Server.Updates] reads the recorded update bodies of a contact,
// [Server.TokenCalls] counts token fetches, [Server.ExpireTokens]
// invalidates all issued tokens, the Add*
// methods seed state (keeping non-zero ids they are given) and [Server.Contact],
// [Server.Identities], [Server.GroupMembers], [Server.Events] and friends read
// it back. The exported entity types encode to and decode from the vendor wire
// shapes. All methods are safe for concurrent use.
package linkflowtest

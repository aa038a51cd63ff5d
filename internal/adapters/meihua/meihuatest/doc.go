// Package meihuatest is a strict, in-memory simulator of the Meihua (梅花,
// m1world) API, written as an [http.Handler].
//
// It is an independent reading of the vendor's documentation, meant for the
// adapter's tests, the end-to-end tests and the sandbox. One [Server]
// answers the paths of both vendor hosts: the OAuth host
// (http://auth2.m1world.com: /authorize, /access_token) and the API base
// (http://api.m1world.com/v2: /contact/..., /edm/...). Tests mount it under
// a non-empty base path, so a URL that ignores the base URL fails:
//
//	sim := meihuatest.New(meihuatest.Config{})
//	base := vendortest.Start(t, "/mh-base", sim)
//	access, _ := sim.Grant()
//	// GET base+"/contact/all?token="+access+"&page=1&limit=50"
//
// Recording, faults, routing and body limits come from [vendortest]; what
// is Meihua's is here. Everything belongs to the one account the client id
// stands for.
//
// # What the documentation specifies (implemented strictly)
//
//   - GET /authorize (client_id, redirect_uri, response_type=code) redirects
//     to the callback with a code; failures answer
//     {"error": …, "error_description": …}.
//   - POST /access_token takes its parameters in the URL; grant_type
//     authorization_code (code, redirect_uri) or refresh_token
//     (refresh_token); it answers {"access_token", "refresh_token",
//     "expires_in"} with expires_in the expiry time in epoch milliseconds.
//     Access tokens last 24 hours.
//   - Every API call carries token; a bad one answers E10101.
//   - Methods: GET for /contact/setting, /contact/detail, /contact/all,
//     /contact/group/all, /contact/tag/all, /edm/tasks, /edm/task/detail;
//     POST for the others, /contact/property/all included.
//   - The error codes and their messages (E10001, E10101–E10104,
//     E00001–E00005), the hourly budgets of gold (2000) and diamond (4000),
//     the caps of free, gold and the expired editions, at most 1000
//     contacts per /contact/add and at most 50 per /contact/all page.
//   - Answers are {"success": true, "data": …} with the documented data,
//     field names and types: /contact/add answers {"groupId": "null"} (a
//     string) without groupName and {"groupId": <number>} with it;
//     delete, edit, tag add and the property calls answer "success".
//   - Ids are JSON numbers and round-trip as int64 exactly.
//
// # Choices made where the documentation is silent
//
// OAuth:
//   - /authorize acts as if the account owner logged in and approved: a
//     valid request is redirected (302) at once. [Server.DenyNextAuthorization]
//     makes the next one redirect with error and error_description instead.
//   - /authorize echoes the standard OAuth2 state parameter (RFC 6749
//     §4.1.2) unchanged on the redirect, success or denial, and keeps any
//     query the redirect_uri has.
//   - /authorize failures answer JSON, never a redirect: missing parameter
//     invalid_request (400); wrong client_id invalid_client (401);
//     redirect_uri not exactly the registered one redirect_uri_mismatch
//     (400); response_type other than code unsupported_response_type (400).
//   - /access_token reads the URL query only: parameters sent only in a
//     form body are missing (invalid_request), because the documentation
//     names the URL, and a client relying on the body would rely on
//     something undocumented. An Authorization header is ignored.
//   - /access_token errors: missing parameter invalid_request (400); wrong
//     client_id or client_secret invalid_client (401); unknown grant_type
//     unsupported_grant_type (400); bad, used or expired code, redirect_uri
//     different from the code's, unknown, revoked or rotated refresh token:
//     invalid_grant (400).
//   - Codes are single use and live [Config.CodeTTL] (10 minutes): an
//     exchange with the right client and every parameter spends the code
//     whatever its outcome (a wrong redirect_uri included); a code reused
//     does not revoke the tokens it gave.
//   - Every refresh answers a new refresh token and the old one stops
//     working, unless [Config.KeepRefreshTokens]. Refresh tokens do not
//     expire.
//   - A refresh or a new grant does not revoke earlier access tokens: each
//     works until its own expiry.
//   - Tokens look like the documented ones: 32 hex digits and the issue time
//     in epoch milliseconds.
//   - OAuth error bodies have Content-Type application/json;charset=UTF-8;
//     a wrong method on an OAuth path answers 405 invalid_request.
//
// API calls:
//   - token is read from the URL query only; a token in the body alone is
//     missing (E10101). Other parameters come from the query or, on a POST
//     with Content-Type application/x-www-form-urlencoded, from the body;
//     the query wins when both have one, as a Java servlet's getParameter
//     does. Other bodies (such as JSON) are ignored.
//   - Refusals answer HTTP 200 {"success": false, "code": "E…", "msg":
//     "<documented message>"} with Content-Type
//     application/json;charset=UTF-8. An unknown path answers 404 with code
//     NOT_FOUND, a wrong method 405 with code METHOD_NOT_ALLOWED and an
//     Allow header, a body over 8 MiB 413 PAYLOAD_TOO_LARGE, all in that
//     shape. The token is checked before the path is, so an unknown path
//     without a valid token answers E10101.
//   - Checks run in this order: token (E10101), hourly budget (E10104),
//     permission (E10102, see [Server.DenyAPI]), a failure queued with
//     [Server.FailNext] (such as E10001), then the parameters (E10103) and
//     the endpoint's own checks. A refused call does nothing.
//   - The hourly budget counts every call with a valid token to a documented
//     path and method, whatever it answers (not /authorize or
//     /access_token), in fixed clock hours of China Standard Time (UTC+8) by
//     [Config.Now]. The first call over the budget and every later one in
//     that hour answer E10104.
//   - The free edition's budget is not published ("-"): the simulator gives
//     it 1000 calls an hour, and the expired editions, which fall back to the
//     free edition's 5000-contact cap, the same 1000.
//   - Diamond has no contact cap: every documented cap error names its
//     edition and none names an active diamond account. With
//     [Config.ContactCap] on diamond the refusal answers E00003.
//   - Cap messages are the documented texts even when [Config.ContactCap]
//     sets another number.
//   - E10103, documented as "parameter missing", also answers every invalid
//     parameter: a blank required one, a JSON parameter (contacts, fields,
//     ids, groupIds, subpropertys) that does not parse or has the wrong
//     shape, an empty JSON array where one is required (contacts, fields,
//     ids), a number that is not an integer, an out-of-range value.
//
// Contacts:
//   - /contact/all: page is 1-based (page < 1 is E10103); limit must be 1
//     to 50 (over 50 is E10103, not clamped); contacts are ordered by id
//     ascending; groupIds "[1,2]" keeps members of any of those groups, "[]"
//     keeps all; ids given as strings ("1") are E10103.
//   - Lists answer every documented field: a text field without value as
//     " ", province and city as 0 with province_des = province_zh (and
//     city_des = city_zh) holding the stored name, an unknown gender as
//     true with gender_des " " (as the sample's blank contacts), a known one
//     with gender_des 男 (true) or 女 (false), no birthday as 0 with
//     birthday_des "", a birthday with birthday_des yyyy-MM-dd in China
//     Standard Time. A birthday of 0 (1970-01-01) cannot be told from none.
//   - /contact/detail answers the list's fields without gender, gender_des,
//     birthday, province_des/_zh and city_des/_zh when the contact has no
//     value for them, as in the detail sample, plus opLogs (the contact's
//     API history by day, username "api"); an unknown id answers success
//     with data null. edm lists every recorded EDM event with the contact's
//     email, latest first; isEmailActive (in both places) is true when the
//     contact has an email.
//   - In propertys, groups, sources and tags the row fields id, contactId,
//     createTime and updateTime are 0, as in every sample: the real ids are
//     propertyId, groupId, sourceId and tagId. tags rows are {id, tagId,
//     tagName, contactId, createTime} (the samples only show empty lists).
//     createAt is 0 and QRCodeURL " ".
//   - /contact/add: keys are matched exactly and others are ignored, so the
//     sample's "city_zh " (with a trailing space) is not city_zh and its
//     value is lost. Types are checked: gender a boolean, birthday an
//     integer of epoch milliseconds, propertys [{propertyId: integer, label:
//     string}], text fields strings; null is no value. An unknown propertyId
//     is E10103. Dropdown values are not checked against the options (the
//     sample sends free text to its dropdown property).
//   - /contact/add matches contacts by email, trimmed and case-insensitive
//     (the oldest contact with it); a contact without email never matches.
//     Items are applied in order, so a later item with the email of an
//     earlier new one matches it. opType 1 overwrites a match (absent or
//     blank fields become blank, absent propertys none); 2 merges (only
//     given non-blank values are written, propertys by propertyId); 3 only
//     inserts and leaves matches untouched. A new contact has the source
//     API导入.
//   - /contact/add refuses the whole call when the contacts it would insert
//     take the account over its cap (E00001–E00004 by plan), and more than
//     1000 contacts (E00005) before anything else about them. With
//     groupName every contact the call names, inserted, updated or left
//     untouched, joins that group, created when no group has that exact
//     name.
//   - /contact/edit: each field descriptor needs field (a system field name
//     of /contact/setting or a custom property id); exactly one has
//     isUniq true, a text field or property; name, isOrigin and type are
//     descriptive and not checked. Each row holds one string per field.
//     Every contact whose unique value matches (email case-insensitively,
//     others exactly once trimmed) is updated; a row that matches none, or
//     whose unique value is blank, is skipped. A blank value clears the
//     field. gender takes 男 or 女; birthday takes Java's Date.toString form
//     ("Thu May 10 00:00:00 CDT 1990"; CST read as China Standard Time) or
//     yyyy-MM-dd (midnight China Standard Time). Every row is checked
//     before any is applied.
//   - /contact/delete and /contact/group/delete ignore unknown ids.
//
// Groups, tags, properties, EDM:
//   - Group names are unique: /contact/group/add with a taken name answers
//     the existing group. Tag names too: /contact/tag/add with a taken name
//     answers success and adds nothing. The seeding helpers allow
//     duplicates.
//   - /contact/group/delete flag must be "true" (members deleted too) or
//     "false".
//   - /contact/group/all and /contact/tag/all: 1-based pages, no maximum
//     limit, key a case-insensitive substring of the name, newest (highest
//     id) first as in the samples.
//   - Property labels need not be unique; /contact/property/add does not
//     answer the new id (find it with /contact/property/all, ordered by id).
//     fieldType must be 1 or 2 and description is required (as documented);
//     subpropertys only matter for dropdowns and an edit without them keeps
//     the options. /contact/property/edit of an unknown id is E10103;
//     /contact/property/delete of one answers success; deleting a property
//     deletes its values.
//   - /contact/setting lists the system fields (fullName, gender, birthday,
//     companyName, jobTitle, email, workPhone, mobilePhone, website, fax,
//     country, province, city, address, postCode, qQ, weibo, weixin, notes),
//     then the properties by id; its id is [Config.AccountID] (default 7,
//     also every accountId).
//   - /edm/tasks: tasks whose sendtime is within [start, end] (epoch
//     milliseconds), latest send first. /edm/task/detail: events within
//     [start, end], latest first, 1-based pages; type 1 open, 2 click,
//     3 unsubscribe, 4 any soft bounce, 5 any hard bounce, 6 complaint,
//     0 all; an unknown task has no events. dmdtype is written in lower
//     case as in the sample rows ("open"), eventdate like
//     "2016-01-11 21:49:57.0" in China Standard Time.
//   - Ids: contacts, groups, tags, properties, sources and EDM tasks draw
//     from one sequence starting at [Config.FirstID], so an adapter that
//     confuses two kinds of id finds nothing instead of a wrong record.
//
// # Test controls
//
// [Server.Grant] issues tokens without the browser step;
// [Server.ExpireAccessTokens], [Server.RevokeRefreshTokens],
// [Server.RefreshCalls] and [Server.CodeExchanges] drive and observe OAuth;
// [Server.DenyAPI] and [Server.FailNext] produce E10102 and any other code;
// [Server.InjectFault] queues canned answers, delays and dropped
// connections, after the request took effect with Fault.AfterHandler;
// [Server.Requests], [Server.Calls], [Server.APICalls] and
// [Server.CallsThisHour] observe traffic; the Add* methods seed data and
// [Server.Contact], [Server.Contacts], [Server.Groups], [Server.Tags] and
// [Server.Properties] read it back; [SeedDemo] fills the sandbox.
package meihuatest

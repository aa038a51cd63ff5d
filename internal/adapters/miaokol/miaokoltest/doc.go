// Package miaokoltest is a strict, in-memory simulator of the Miaokol
// (云真机) smart-tag API, written as an [http.Handler].
//
// It is an independent reading of the vendor's documentation, meant for the
// adapter's tests, the end-to-end tests and the sandbox. One [Server]
// answers /oauth/token and /smart-tag/* from one root
// (https://oapi-yzj.miaokol.com in production). Tests mount it under a
// non-empty base path, so a URL that ignores the base URL fails:
//
//	sim := miaokoltest.New(miaokoltest.Config{})
//	base := vendortest.Start(t, "/mk-base", sim)
//	tok := sim.IssueToken()
//	// GET base+"/smart-tag/list?app_id="+miaokoltest.DefaultAppID+"&access_token="+tok
//
// Recording, faults, routing and body limits come from [vendortest]; what
// is Miaokol's is here. Everything belongs to the one app [Config.AppID]
// stands for.
//
// # What the documentation specifies (implemented strictly)
//
//   - GET /smart-tag/list; POST /smart-tag/add, /smart-tag/delete,
//     /smart-tag/batchAddTag and /smart-tag/updateContact, each with
//     app_id and access_token: in the URL query for the GET, in the JSON
//     body (Content-Type application/json) for the POSTs, as the examples
//     put them.
//   - errcode 0 is success and 1 a failure; answers are
//     {"data": …, "errcode": 0}, the list's with "pager" between them.
//   - /smart-tag/list: page (default 1), page_size (default 10, at most
//     100), with_tags 0 or 1, id of one group. Groups are {id, name,
//     type 2, number, tags}, ids integers; their tags are {id, name,
//     parent_id, sort, contact_cnt} with id, parent_id and sort JSON
//     strings and contact_cnt an integer, exactly as the example (the
//     table's "int" for the tag id is not followed). The pager is {page,
//     perPage, numRecords, numPages, firstRecord, lastRecord}.
//   - /smart-tag/add: id 0 or absent creates, another id edits; name and
//     type (1 tag, 2 group) are required; parent_id is a tag's group. It
//     answers the object with every member of the example (id, user_id,
//     sub_user_id, corp_id, module, name, type, is_delete, number,
//     parent_id, ctime, utime, sort, extra).
//   - /smart-tag/delete takes the id of a group or a tag; data null.
//   - /smart-tag/batchAddTag: group_id (0 creates a group named
//     group_name, then required) and tag_names, a string array; data null.
//   - /smart-tag/updateContact: rel_wxid, contact_wxid and smart_tag_ids,
//     an integer array that replaces the contact's tags ([] clears them).
//   - Groups and tags draw ids from one sequence starting at
//     [Config.FirstID], as the examples (group 1, tags 2 and 3).
//   - POST /oauth/token with a JSON body of app_id, app_secret and a grant
//     type answers an access_token that lasts expires_in 7200 seconds.
//
// # Choices made where the documentation is silent
//
// Tokens and admission:
//   - /oauth/token takes {"app_id", "app_secret", "grant_type":
//     "client_credential"} (the WeChat convention) in a JSON body and
//     answers {"data": {"access_token", "expires_in"}, "errcode": 0}.
//   - /oauth/token refusals, in this order: a grant_type missing or other
//     than client_credential 40002 "invalid grant_type"; app_id missing or
//     wrong 40013 "invalid appid"; app_secret missing or wrong 40125
//     "invalid appsecret" (WeChat's codes). Parameters in the URL query are
//     ignored.
//   - Access tokens are 32 hex digits and work until, not at, their issue
//     time plus [Config.TokenTTL]; a new token does not revoke earlier
//     ones. [Server.ExpireTokens] ends them all.
//   - A missing, unknown or expired access_token answers 40001 "invalid
//     access_token"; a token anywhere but where the examples put it (the
//     query of a POST, say) is missing.
//   - The token is checked first, then app_id: missing or not the app's,
//     with a valid token, is 40013 "invalid appid".
//   - A POST (/oauth/token included) whose Content-Type is not
//     application/json (any parameters and case allowed) or whose body is
//     not one JSON object answers errcode 1 before the token is looked at,
//     since the token is in the body. A GET's Content-Type and body are
//     ignored.
//   - Every refusal is HTTP 200 {"data": null, "errcode": …, "errmsg": …}
//     with a Chinese errmsg for errcode 1, and does nothing. Both after
//     the token check, an unknown path answers 404 and a wrong method 405
//     with an Allow header; a body over 8 MiB answers 413; all with
//     errcode 1 in that shape. Successful answers have no errmsg.
//     Content-Type is application/json; charset=utf-8.
//   - JSON parameters must have their documented types: an integer is a
//     JSON number without fraction (never a string of digits), a string a
//     JSON string; a wrong type is errcode 1, null is absent, unknown
//     members are ignored, negative ids are refused. Query integers are
//     decimal; an empty value is absent.
//
// The list:
//   - page_size over 100 (or under 1) is refused, not clamped, since the
//     documentation states the maximum; page under 1 is refused too, with
//     with_tags other than 0 or 1 and non-integer values.
//   - Groups are ordered by id (oldest first), so one created while a
//     client pages comes last and none is skipped; id 0 means no filter
//     and an id that is no group gives an empty page.
//   - Without with_tags=1 a group has no tags member at all; with it, a
//     group without tags has "tags": [].
//   - Tags are ordered by sort, highest first, then by id, as the
//     example's sort "2" before "1". A new tag goes on top of its group:
//     /smart-tag/add gives it the group's highest sort plus one;
//     /smart-tag/batchAddTag keeps the given order on top, the first name
//     with the highest sort, so /smart-tag/add of group "api分组" then
//     batchAddTag of ["删","增"] gives exactly the documented list example.
//   - A group's number is the count of contacts carrying any of its tags
//     (0 in the example, whose tags have no contacts); a tag's
//     contact_cnt, and its number in /smart-tag/add answers, the count of
//     contacts carrying it.
//   - pager.perPage is the page_size applied (the example's 20 differs from
//     its request's 10); numPages is 0 without records; firstRecord and
//     lastRecord are the 0-based positions of the page's first and last
//     group (0 and 0 for the example's one record, and for an empty
//     page).
//
// Creating and editing:
//   - type is required as the table says, though the request example
//     leaves it out: that example is refused.
//   - Group names are unique among groups, tag names within their group,
//     compared after trimming spaces; a taken name is refused on create,
//     edit and batchAddTag's new group. Names are stored trimmed; a blank
//     one is refused.
//   - A tag needs a group: parent_id 0 or absent on a new tag, or an id
//     that is no group, is refused. On an edit, parent_id 0 keeps the
//     tag's group and another group moves it there, on top. A group with
//     a parent_id other than 0 is refused (groups do not nest).
//   - An edit whose id is not of the given type (a tag id with type 2) is
//     refused as not found; an edit keeps ctime and sets utime.
//   - Answers carry user_id 2, sub_user_id 0, corp_id 0, module 47,
//     is_delete 0 and extra null, as the example; a group's sort is 0;
//     ctime and utime are epoch seconds of [Config.Now].
//
// Deleting, batches and contacts:
//   - Deleting a group deletes its tags; a deleted tag comes off every
//     contact. An id that is neither is refused, so is a missing id.
//   - batchAddTag skips the names the group already has and repeats within
//     the call, so it can be repeated safely; group_id other than 0 must
//     be a group (group_name is then ignored); tag_names must not be empty
//     or hold a blank name.
//   - updateContact only knows contacts the account's WeCom accounts added
//     (seeded with [Server.AddContact] or [SeedDemo]): an unknown
//     rel_wxid/contact_wxid pair is refused. An id that is no tag (a group
//     id included) refuses the whole call. Ids given as strings are
//     refused, though the list gives tag ids as strings. Repeated ids
//     count once. rel_wxid and contact_wxid are matched exactly.
//   - updateContact answers the contact: {"rel_wxid", "contact_wxid",
//     "smart_tag_ids": [ids ascending]}.
//
// # Test controls
//
// [Server.IssueToken] issues a token without HTTP; [Server.ExpireTokens]
// and [Server.TokenCalls] drive and observe tokens; [Server.InjectFault]
// queues canned answers, delays and dropped connections (after the request
// took effect with Fault.AfterHandler), [ErrorJSON] builds a refusal body
// for one; [Server.Requests] and [Server.Calls] observe traffic;
// [Server.AddGroup], [Server.AddTag] and [Server.AddContact] seed data,
// [Server.Groups], [Server.Contact] and [Server.Contacts] read it back;
// [SeedDemo] fills the sandbox.
package miaokoltest

// Package meihua is the gateway's adapter for the Meihua (梅花, m1world)
// contact API. It is written from the vendor's docs
// (../shared/vendor-docs/meihua-api.txt and NOTES.md); where they are
// silent, the choices below are the gateway's, and the README's vendor
// notes repeat them.
//
// # Authorization
//
// Meihua grants access by OAuth2 authorization code. The tenant's
// account owner authorizes the gateway's app on Meihua's page
// (AuthorizeURL: {auth_url}/authorize with client_id, redirect_uri,
// response_type=code and the state of the admin API's connect flow, which
// Meihua sends back with the code); CompleteAuthorization exchanges the
// code (POST {auth_url}/access_token, grant_type authorization_code, the
// same redirect_uri) and stores the tokens through the connection's
// vendorhttp.TokenSource. A connection authorized elsewhere may instead
// give a bootstrap refresh_token in the tenants file.
//
//   - Hosts: OAuth2 at http://auth2.m1world.com (auth_url), the API at
//     http://api.m1world.com/v2 (base_url). redirect_uri has no default: it
//     is the gateway's callback URL registered with the app.
//   - The token call sends every parameter in the URL query, as the docs
//     say, and is sent once, never retried (Request.Once): Meihua may
//     rotate the refresh token on receipt, so a resend could only be
//     refused. The token source saves a rotated refresh token before its
//     access token is used, probes once after a lost answer, and ends the
//     authorization when Meihua answers invalid_grant
//     (vendorhttp.GrantRejected); the tenant must then be connected again.
//   - expires_in is the access token's absolute expiry in epoch
//     milliseconds (the docs' sample is a 2017 timestamp; they give the
//     lifetime as 24 hours). It is read exactly. Tokens are kept whatever
//     it says, since refusing an answer could lose a rotated refresh token:
//     an expiry that is missing, unreadable, past, or beyond the documented
//     24 hours counts as 24 hours from now (a small number as a lifetime in
//     seconds, the usual OAuth2 form). Meihua's E10101 then ends a token
//     that expires earlier.
//   - OAuth2 errors ({"error", "error_description"}, any status) are read
//     by their name only (the Code); error_description is never shown.
//     invalid_grant is the refresh token's end on a refresh and a
//     VendorRejected error (422) on a code exchange; invalid_client and
//     unauthorized_client are VendorAuth (the app key or secret is wrong).
//     An answer that is not JSON is a VendorBadResponse with its status
//     (504 a timeout), which tells the token source whether Meihua may have
//     taken the token: a success answer it cannot read may have been, an
//     error answer was not.
//
// # Calls and answers
//
// The access token goes in the token query parameter of every call.
// Scalar parameters go in the query; the JSON parameters (contacts,
// fields, ids, subpropertys: JSON text in one parameter) go in an
// application/x-www-form-urlencoded POST body, since a thousand contacts
// do not fit in a URL. GET calls send everything in the query. Answers are
// HTTP 200 with {"success": true, "data": …}; errors are HTTP 200 with
// success false. The docs list the error codes but show no error body, so
// the code is read from code, errorCode, error_code, errcode or errCode
// (a string E plus five digits), or found in msg or message; success false
// without a code is a VendorUnknown error. Business errors come with HTTP
// 200, so they never count against the breaker or cause retries; 5xx and
// 408 do. A 404 is a wrong base_url (Meihua documents none).
//
//	code            meaning                            gateway (HTTP answer)
//	E10001          server error                       VendorUnavailable (503)
//	E10101          token invalid                      dropped, refreshed, sent once more; VendorAuth (502) if it persists
//	E10102          no permission for the API          VendorAuth (502)
//	E10103          parameter missing                  VendorRejected (422)
//	E00001-E00004   plan's contact cap reached         VendorLimit (422)
//	E00005          more than 1000 contacts per call   VendorRejected (422; the adapter sends at most 1000)
//	E10104          hourly call quota spent            VendorRateLimited (429), Retry-After until the next full hour
//	other E-code    -                                  VendorUnknown (502) with the code
//	no code         -                                  VendorUnknown (502)
//
// Meihua counts its quota (2000 calls an hour on the gold plan, 4000 on
// diamond) per clock hour; the gateway counts calls against the
// connection's quota before sending (driver default 2000 an hour), and
// E10104's Retry-After runs to the end of the vendor's hour by the
// gateway's clock.
//
// Lists are paged by page number from 1 (page, limit); contacts at most 50
// a page. The docs give no limit for groups and tags: the adapter asks for
// pages of 50 there too.
//
// # Contacts
//
// Field by field, canonical ↔ Meihua (reads from /contact/all and
// /contact/detail; writes to /contact/add, and /contact/edit where the
// name differs):
//
//	id                    id (a 64-bit integer, read exactly)
//	name                  fullName
//	gender                gender (boolean) / gender_des; edit: 男 / 女
//	birthday              birthday (epoch ms) / birthday_des; edit: Java date text
//	email                 email
//	mobile_phone          mobilePhone
//	work_phone            workPhone
//	fax                   fax
//	website               website
//	company               companyName
//	job_title             jobTitle
//	wechat                weixin
//	qq                    qQ
//	weibo                 weibo
//	address.country       country
//	address.province      reads province_zh, else province_des; add province_zh; edit province
//	address.city          reads city_zh, else city_des; add city_zh; edit city
//	address.street        address
//	address.postal_code   postCode
//	note                  notes
//	custom_fields.<id>    propertys [{propertyId, label}], keyed by the property id ("159")
//	tags                  tags (read only: Meihua offers no call to tag a contact)
//	created_at            createTime (epoch ms)
//	updated_at            updateTime (epoch ms); also the contact's version (ETag)
//	(groups)              groups: GET /v1/contacts/{id}/groups
//
// Any other canonical field (first and last name, nickname, home phone,
// messaging handles other than WeChat, QQ and Weibo, department, industry,
// avatar, id card, time zone, external ids) has no place at Meihua and is
// refused by name rather than dropped. Meihua keeps no external ids, so
// every contact's set is loaded and empty.
//
//   - Blank values: Meihua writes " " where a field is not set; a value of
//     whitespace only reads as absent, and is never sent.
//   - Gender: true is male and false is female (the edit call's 男 and 女
//     are the same two). gender_des, Meihua's display of it, wins when the
//     record has it, and a blank one means not set: the docs' list sample
//     shows gender true with a blank gender_des on contacts that have
//     nothing but an email. A canonical unknown gender is not sent by an
//     add, and clears the gender on an update.
//   - Birthday: a date D is sent as the epoch milliseconds of D 00:00 in
//     China Standard Time (UTC+8); the docs' sample 1443628800000 is
//     2015-10-01 00:00 there. It reads back from birthday_des (yyyy-MM-dd)
//     when the record has one, otherwise from birthday as the date in China
//     Standard Time, so the date round-trips with no shift. The docs' list
//     sample (birthday 1451024631, birthday_des 1970-01-18) shows the list's
//     value is milliseconds too: 1451024631 ms is 1970-01-18 in China, and
//     the same number of seconds would be 2015. 0 is no birthday. Edit
//     takes Java's Date text: midnight of D written with the zone CST,
//     which gives D whether Meihua reads CST as China or, as Java's parser
//     does, as US Central time.
//   - Custom values are text (a dropdown's: the option's label); numbers
//     and booleans are sent as their JSON text.
//
// # Writing contacts
//
// Meihua matches contacts by email (without case) when it adds them: an
// add's opType says what happens to a match, 1 overwrite (the given
// fields replace the contact's, the others become blank), 2 merge (only
// the given non-blank fields are written) and 3 add-new (the match is left
// as it is). A contact without email never matches. Batch upserts map
// merge to 2, replace to 1 and skip to 3, up to 1000 contacts per call
// (BatchSize).
//
// An add answers no contact ids. The adapter first makes a temporary
// group (POST /contact/group/add, named cdpgw-tmp-<random>; its answer
// gives the group's id and Meihua's time), names it in the add (every
// contact the add names joins the group of that name), reads the group's
// members (GET /contact/all?groupIds=[id], 50 a page) and deletes the
// group keeping its contacts (flag false). A contact with an email is the
// member with that email; those without one are the members without one,
// matched by their fields and then in id order. A member created since
// the group was made is new; one created before existed and was matched.
// A cleanup that fails is logged with the group's id and name, for an
// operator to delete; a temporary group may show up in group lists while
// a write is under way. An add of n contacts thus costs about 3 + n/50
// calls. The add is sent once, even with an Idempotency-Key (a resend
// would add the contacts without email twice): when its answer is lost
// or it fails on the vendor's side, the group's members show whether it
// was done. When the add was done but the ids cannot be read, a batch
// answers its items upserted without ids, and a create answers an error
// saying the contact was stored.
//
// Create is an add in add-new mode (3): an existing contact is never
// overwritten or merged into silently; a contact whose email Meihua
// already has answers ALREADY_EXISTS (409) and is left as it was. The
// created contact is answered as GET /contact/detail reads it. In a batch,
// each item answers created (a new member), updated (merge and replace of
// an existing one) or skipped (skip, with the existing contact's id), and
// upserted without an id when Meihua took it but did not list it.
//
// Update (PATCH) uses /contact/edit, not an add with merge: edit writes
// exactly the columns it is given, so every other field (and a change
// made meanwhile by someone else) stays as it is, and a column given blank
// clears its field, which merge cannot (it skips blank values) and
// overwrite does only by rewriting the whole record from a read. Edit
// finds the contact by a unique column, the email: the adapter reads the
// contact first (GET /contact/detail: its email, and 404 for an unknown
// id), sends the email column marked unique followed by one column per
// changed field (custom values named by property id, with the property's
// name and type from POST /contact/property/all), then reads the contact
// again to answer it. So:
//
//   - a contact without an email cannot be updated (VendorRejected, 422);
//   - the email cannot be changed (400 naming body.email), except in case;
//   - null clears a field (its column is sent blank), custom values too.
//
// If-Match is honoured on update and delete with the contact's
// updateTime as its version, compared on the detail read before the
// write: a change landing between that read and the write is not
// detected. Delete reads the contact first (404) and then calls
// POST /contact/delete.
//
// # Groups, tags, custom fields
//
// Groups are static lists: listed with GET /contact/group/all (the name
// filter is Meihua's key search), read one by listing them until the id
// shows up (Meihua has no read of one group), created with
// POST /contact/group/add (a name Meihua already has answers
// ALREADY_EXISTS: members are added by group name, so names must stay
// unique), deleted with POST /contact/group/delete (flag
// false keeps the contacts; DeleteGroupWithContacts sends flag true), each
// delete after a lookup that answers 404 for an unknown id. Members are
// GET /contact/all?groupIds=[id]; Meihua answers an empty list for an
// unknown group, so an empty first page is followed by a lookup (404).
// Meihua has no member call: members are added by an add in merge mode
// naming the group, with each contact's email alone (read with
// GET /contact/detail, a call per contact), which writes nothing else.
// That needs the group's name to be unique (otherwise VendorRejected) and
// each contact to have an email (otherwise that contact fails alone).
// Meihua offers no way to remove members.
//
// Tags: GET /contact/tag/all lists them (Meihua has no tag groups: a
// tag group filter or parent is refused); POST /contact/tag/add answers
// no tag, so the adapter lists the tags of that name (key search) before
// and after and answers the new one (ALREADY_EXISTS when none appeared
// and one was there). Meihua offers no call to set a contact's tags.
//
// Custom fields are Meihua's properties: POST /contact/property/all
// (answered whole); key and id are the property id. Type 1 (single value)
// is text, type 2 (dropdown) select; the list shows no options. Created
// with POST /contact/property/add (text, or select with its options as
// subpropertys; Meihua requires a description, and has no other types:
// both are refused with 400 before any call) and found, like tags, by
// listing before and after. Editing and deleting properties, like EDM,
// are reachable through passthrough.
//
// # Passthrough
//
// Paths under /contact and /edm, relative to the API base; never the
// OAuth2 endpoints, which live on another host. A body must be a JSON
// object whose members are the parameters: they are sent as a form (a
// string as it is, any other value as its JSON text).
//
// Meihua has no events in the canonical sense (EDM behaviour is
// per-mailing), no call to remove group members, to tag contacts, or to
// rename or delete tags: those operations answer 501.
package meihua

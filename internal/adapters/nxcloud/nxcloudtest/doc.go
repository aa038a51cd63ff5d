// Package nxcloudtest is a strict, in-memory simulator of the NXCloud
// (牛信云) CDP customer API, written as an [http.Handler].
//
// It is an independent reading of the vendor's documentation (the customer
// query page and the facts of its common-conventions page: signing, codes,
// batch_create, fields), meant for the adapter's tests, the end-to-end
// tests and the sandbox. It serves, relative to its root (the vendor's
// host, https://api.nxcloud.com), POST /saas/cdp/openapi/customers/query,
// POST /saas/cdp/openapi/customers/batch_create and GET
// /saas/cdp/openapi/customers/fields. Tests mount it under a non-empty base
// path, so a URL that ignores the base URL fails:
//
//	sim := nxcloudtest.New(nxcloudtest.Config{Now: clock.Now})
//	base := vendortest.Start(t, "/nx", sim)
//	// POST base+"/saas/cdp/openapi/customers/query", signed
//
// Recording, faults, routing and body limits come from [vendortest]; what
// is NXCloud's is here. One access key, with its secret, owns one tenant
// and one app_key ([Config]); there are no tokens.
//
// # What the documentation specifies (implemented strictly)
//
//   - Every call carries the headers accessKey, ts (epoch milliseconds),
//     bizType ("2"), action ("mt") and sign, and optionally algorithm (md5,
//     the default, or sha256). sign is the lowercase hex digest of
//     accessKey=…&action=…&bizType=…&ts=…, then &body= and the body bytes
//     as received when there is a body, then &accessSecret= and the secret.
//   - Codes: 0 success; 1001 a common header missing; 1002 bizType or
//     action wrong, or a bad body parameter; 1003 sign wrong; 1004 ts more
//     than 60 000 ms from the server's clock; 1005 accessKey unknown or no
//     permission. Answers are HTTP 200 {"code", "message", "traceId",
//     "data"}.
//   - customers/query takes the documented body members and answers
//     {"paging": {after, before, previous, next}, "customer_list": […]}
//     with every documented customer member under its documented spelling
//     (whatsApp_phone, whatApp_subscribe, customize_field as a JSON
//     string, tags as objects), created_at and updated_at as
//     yyyy-MM-ddTHH:mm:ss in China Standard Time (UTC+8), ids as exact
//     JSON integers (they are far above 2^53). limit is 1 to 50.
//   - customers/batch_create takes type (0 replace, 1 merge/update, 2 keep
//     existing), tenant_id, app_key and at most 100 customers with the
//     write members first_name, last_name, full_name, sms_phone,
//     whats_app_phone, viber_phone, email, country, address, birthday
//     (yyyy-MM-dd), tagStr (tag names, comma-separated), remark,
//     time_zone, gender (1 male, 0 female) and customize_field (a JSON
//     string).
//   - customers/fields answers the field definitions, custom ones named
//     customize_N_M.
//
// # Choices made where the documentation is silent
//
// Admission (every endpoint):
//   - Checks run in this order: the five common headers present and not
//     blank (1001); bizType "2", action "mt", algorithm absent, "md5" or
//     "sha256", ts all ASCII digits (1002); accessKey known (1005); ts
//     within ±60 000 ms of the clock, both bounds accepted (1004); sign
//     (1003). Then the endpoint: Content-Type and body (1002); tenant_id
//     and app_key present (1002) and the access key's (1005); the other
//     parameters (1002). A refused call does nothing.
//   - algorithm values are lowercase only ("MD5" is 1002); sign is compared
//     exactly, so an uppercase hex digest is 1003.
//   - A ts in seconds (10 digits) is read as milliseconds of 1970: 1004.
//   - The body part of the signed string is the raw bytes received, never
//     re-serialised: any body of at least one byte (whitespace included,
//     and a GET's) is signed; an empty body adds no &body= part.
//   - Authentication runs before routing: a request to an unknown path or
//     with a wrong method gets the admission code when it is badly signed;
//     a well-signed one gets HTTP 404 with code 404, or HTTP 405 with code
//     405 and an Allow header, in the envelope. A body over 8 MiB is HTTP
//     413 with code 413.
//   - A POST whose Content-Type is not application/json (parameters such
//     as charset=UTF-8 allowed) is 1002, checked after authentication.
//   - Answers have Content-Type application/json;charset=UTF-8; message is
//     null on success (as in the sample) and an English text on failure;
//     data is null on failure; traceId is 32 lowercase hex digits, fresh
//     for every answer.
//   - A POST body must be one JSON object (1002 otherwise). Unknown
//     members are ignored; a null member is absent. An integer member must
//     be a JSON integer (a string of digits, a fraction or an exponent is
//     1002); a string member a JSON string.
//
// customers/query:
//   - Customers are listed newest first (id descending): the sample asks
//     after=1022100838976413697 and gets customer 1021110718827683840, a
//     lower id. after=X answers the customers listed after X: the highest
//     ids below X; before=X those listed just before X: the lowest ids
//     above X, still answered newest first. Cursors are
//     exclusive and need not be stored ids; they must be positive, and
//     giving both is 1002.
//   - paging: before is the first (highest) id answered, after the last
//     (lowest); previous is before when a matching customer is listed
//     before the page (null otherwise, the first page); next is after
//     when one is listed after it (null otherwise, the last page). Send
//     next as after and previous as before. An empty page has all four
//     null.
//   - limit absent is 25 (the documented example value); below 1 or above
//     50 is 1002, not clamped.
//   - start_time and end_time filter created_at: the listing is in
//     creation order (snowflake ids), so a creation window agrees with the
//     cursor, and it is the first time a customer has. Both are China
//     Standard Time; start is inclusive and end exclusive, so the
//     sample's midnight-to-midnight pair is one day. "" is absent; start
//     after end, or another format, is 1002.
//   - tags and his_tags are arrays of {id, tag_name}: id is required (an
//     integer), tag_name is type-checked and not used. An unknown id
//     matches nothing. his_tags are the tags a customer has or had (lost
//     by a replacing batch_create).
//   - tags_logic_type "and" needs every tag, "or" or "" any one (""
//     included when tags are given); another value, "AND" too, is 1002.
//     The logic applies to tags and to his_tags alike, and a customer must
//     satisfy both lists.
//   - name is a case-insensitive substring of first_name (the documented
//     field), not of last_name or full_name.
//   - sms_phone, whatsApp_phone, viber_phone and source_channel_key match
//     exactly; email exactly but for case. Empty strings are absent.
//     source_type must be 0 to 15 (1002).
//   - Unset text members are null, as in the sample; tags is [] when the
//     customer has none; customize_field is null when it has no custom
//     value, else a JSON object of its values in a string; gender is null
//     when unknown. address and time_zone are stored (batch_create writes
//     them) but not answered: the documented answer has no such members.
//   - A tag answers user_id 195 ([DefaultUserID]), the configured
//     tenant_id, group_id 0 and group_name null without a group, note ""
//     and updated_at equal to created_at.
//
// customers/batch_create:
//   - type is required; customers must hold 1 to 100 objects; any bad
//     customer refuses the whole call (1002 naming customers[i]) and
//     nothing is written.
//   - Members are the write spellings: whatsApp_phone (the read spelling)
//     is an unknown member and ignored. Text values are trimmed; "" and
//     null are no value.
//   - Each customer needs at least one of whats_app_phone, sms_phone,
//     viber_phone and email. Phones are 5 to 20 ASCII digits with the
//     country code ("8613800000000"; "+86…" is 1002); email needs an @;
//     birthday a real yyyy-MM-dd date; gender the integer 0 or 1.
//   - Matching: for the first of whats_app_phone, sms_phone, viber_phone
//     and email (in that order) that the incoming customer gives and a
//     stored customer has (email ignoring case), it matches the oldest
//     such customer. Customers are applied in order, so a later one can
//     match one created earlier in the same call.
//   - No match creates a customer, whatever the type: source_type 6
//     (third-party API), status 1, whatApp_subscribe and sms_subscribe
//     "1", created_at and updated_at now, the given values. full_name is
//     never derived from first_name and last_name.
//   - Type 0 gives the match exactly the given write values (the others
//     cleared), its tags from tagStr (the tags it loses become history)
//     and its custom values from customize_field. Type 1 writes only the
//     given values, adds the tags and sets the given custom fields. Both
//     set updated_at. Type 2 leaves the match untouched.
//   - Members batch_create cannot write (line, messenger, instagram,
//     source, status, subscriptions, weight) are never changed by it.
//   - tagStr is split on ASCII commas only ("，" is part of a name); names
//     are trimmed, empty ones skipped. A name no tag has creates the tag
//     (no group): the API has no other way to make one.
//   - customize_field is a string holding a JSON object (1002 otherwise);
//     a member that is not a custom field (a preset one included) is
//     1002. Values by field type: text a string, number a JSON number,
//     date a yyyy-MM-dd string, select an array of at most one option,
//     multi_select an array of options (the sample's ["1"]); null, "" and
//     [] are no value.
//   - The answer's data is {"total", "created", "updated", "skipped",
//     "customer_ids"}: customer_ids holds, in the order sent, the id each
//     customer created, updated or left untouched.
//
// customers/fields:
//   - tenant_id (an integer) and app_key come from the query, required
//     (1002) and the access key's (1005). is_preset 1 or true lists the
//     preset fields, 0 or false the custom ones, absent or empty both;
//     another value is 1002.
//   - data is an array of {"field_key", "field_name", "field_type",
//     "is_preset" (1 or 0), "options"}: the preset fields in a fixed order
//     (named as customers/query answers them, whatsApp_phone included,
//     plus address and time_zone), then the custom fields in the order
//     added. options lists a select or multi_select field's values and is
//     null for the others.
//   - Field types: preset text, phone, email, date, select (gender: "0",
//     "1"); custom text, number, date, select, multi_select.
//
// Ids: customers draw from one sequence starting at [Config.FirstID]
// (consecutive when created by the API), tags from another starting at
// 27001, as the sample's tag ids are small.
//
// # Test controls
//
// [Server.InjectFault] queues canned answers, delays and dropped
// connections (after the request took effect, with Fault.AfterHandler);
// [Server.Requests], [Server.Calls] and [Server.SignatureFailures] observe
// traffic; [Server.AddCustomer], [Server.AddTag], [Server.AddTagInGroup],
// [Server.TagCustomer] and [Server.AddField] seed data, [Server.Customer],
// [Server.Customers], [Server.Tags] and [Server.Fields] read it back;
// [SeedDemo] fills the sandbox. The paths ([PathQuery], [PathBatchCreate],
// [PathFields]), the answer codes ([CodeMissingHeader] and the others), the
// batch types ([BatchReplace], [BatchMerge], [BatchKeep]) and the field
// types ([FieldText] and the others) are exported for tests to name.
package nxcloudtest

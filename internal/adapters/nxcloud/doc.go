// Package nxcloud is the gateway's adapter for the NXCloud (牛信云) CDP
// customer API. It is written from the vendor's customer query page
// (../shared/vendor-docs/nxcloud-customer-query.txt) and the facts of its
// other pages in NOTES.md (signing, result codes, batch_create, fields,
// hosts); where they are silent, the choices below are the gateway's, and
// the README's vendor notes repeat them.
//
// # Connections and signing
//
// A connection is one CDP account, named by tenant_id (an option: a
// positive 64-bit integer) and app_key (a credential) in every request,
// and reached with an access key and secret. Hosts: https://api.nxcloud.com
// (base_url's default) and the newer https://api-hk.nxlink.ai, set per
// connection.
//
// NXCloud has no tokens: every request carries the headers accessKey, ts
// (the adapter's clock in epoch milliseconds), bizType "2" and action "mt"
// (the CDP's fixed values) and sign, the lowercase hex MD5 (or SHA-256,
// option algorithm) of those four headers as name=value pairs sorted by
// name and joined with "&", then "&body=" and the body's bytes when there
// is a body, then "&accessSecret=" and the secret. The body is encoded
// once and sent byte for byte as signed; each attempt is signed anew with
// a fresh ts (a retry too). The algorithm header is sent only for sha256:
// md5 is NXCloud's default and the query page's header table has no
// algorithm. The headers are sent in the docs' spelling (accessKey,
// bizType); every call also sends Content-Type: application/json. The
// secret is never sent, logged or put in an error.
//
// # The clock
//
// NXCloud refuses a ts more than 60 s off its own clock (1004). The
// adapter measures its clock against NXCloud's from the Date header of
// every answer and keeps the last measure (domain.ClockReporter, which the
// gateway's vendor_clock readiness check reads). It logs the first measure
// of a connection (a warning when beyond 30 s), a warning when the offset
// goes beyond 30 s and a note when it comes back, and a warning on a 1004,
// clock warnings at most once a minute per connection. A 1004 is a
// VendorClockSkew error whose detail names the measured offset ("the
// gateway's clock is 2m0s ahead of nxcloud's") and tells the operator to
// fix the host's clock (NTP); it is never retried, as a resend would be
// refused alike.
//
// # Answers and errors
//
// Answers are {code, message, data, traceId}: code 0 is success. Errors
// come with HTTP 200 and a code; the message is never shown (details are
// the gateway's), and the traceId is kept on every error (VendorError
// TraceID, problem vendor_trace_id) and on the call's span. A code is read
// as a number or a string of digits. An error status with one of the
// published codes is read by the code and does not count against the
// breaker or cause a retry; any other error status (a wrong base URL's
// 404, a proxy's 502, a body that is not NXCloud's) is read by its status.
//
//	code     meaning                                   gateway (HTTP answer)
//	1001     a common header is missing                VendorUnknown (502): the adapter always sends them, so a gateway fault
//	1002     bad bizType/action or body parameter      VendorRejected (422)
//	1003     bad signature                             VendorAuth (502), detail: check access_secret (and algorithm)
//	1004     ts outside NXCloud's 60 s                 VendorClockSkew (502), detail: the measured offset, fix the clock (NTP)
//	1005     bad accessKey or no permission            VendorAuth (502), detail: check access_key, tenant_id, app_key
//	other    -                                         VendorUnknown (502) with the code
//	(none)   HTML, wrong content type, cut JSON,       VendorBadResponse (502)
//	         no code, a list of another shape
//	5xx      without a published code                  VendorUnavailable (503; 504: VendorTimeout), retried when idempotent
//	404      without a published code                  VendorEndpointNotFound (502): check base_url
//
// NXCloud publishes no call quota; the driver sets none.
//
// # Contacts
//
// Field by field, canonical ↔ NXCloud (answers of /customers/query; the
// writes of /customers/batch_create where the name differs):
//
//	id                    id (a 64-bit integer, read exactly: ids are far beyond 2^53)
//	name                  full_name
//	first_name            first_name
//	last_name             last_name
//	gender                gender: 1 male, 0 female, null not set (an unknown gender is not sent)
//	birthday              birthday (yyyy-MM-dd)
//	email                 email
//	mobile_phone          sms_phone (the SMS number)
//	whatsapp_phone        whatsApp_phone; write whats_app_phone
//	viber_phone           viber_phone
//	line                  line (read only: batch_create does not take it)
//	messenger             messenger (read only)
//	instagram             instagram (read only)
//	address.country       country
//	address.street        address (write only: answers do not show it; read when one does)
//	time_zone             time_zone (write only, likewise)
//	note                  remark
//	custom_fields.<key>   customize_field, a JSON object in a string keyed customize_N_M; values exact (numbers stay json.Number)
//	tags                  tags [{id, tag_name, …}] (read only: the customer's whole set)
//	created_at            created_at, China Standard Time (yyyy-MM-ddTHH:mm:ss, or with a space), to UTC
//	updated_at            updated_at, likewise
//
// source_type, source_channel_key, status, the subscriptions
// (whatApp_subscribe, sms_subscribe), weight, tenant_id and the tags'
// other members have no canonical place: they are in include=raw only.
// NXCloud keeps the messaging handles as fields and no external ids, so
// every contact's external ids are loaded and empty, and external_ids in
// a write are refused. Writes refuse by name every other canonical field
// (nickname, other phones, company fields, WeChat, QQ, Weibo, the other
// address parts, line, messenger, instagram …). Values are sent as given;
// empty ones are not sent.
//
// Lists use POST /customers/query, pages of 1 to 50. It lists customers
// newest first, by descending id (the docs' sample asks after
// 1022100838976413697 and gets 1021110718827683840), and each customer's
// id is its cursor: a page is asked after the last id seen (exclusive),
// kept in the gateway's cursor as written (never through a float64), and
// the first page without one. The walker asks for one customer more than
// the page needs, so the last page says it is last without another call.
// The answer's paging member is not needed and not read.
//
// Filters, all taken together in one body (so ContactFilters lists every
// combination of them):
//
//   - email → email; phone → sms_phone (the canonical phone is the mobile,
//     SMS number); whatsapp_phone → whatsApp_phone; viber_phone →
//     viber_phone.
//   - q → name, which the docs describe as first_name: NXCloud matches the
//     first name only (not last_name or full_name), in its own way
//     (exactly or by part: the docs do not say).
//   - tag_id → tags [{id}] with tags_logic_type "and" (one tag: "and" and
//     "or" agree); without a tag tags_logic_type is "" as the docs ask.
//
// start_time and end_time are not used: the docs do not say which time
// they filter (most likely the creation time), and the canonical
// updated_since means the update time; updated_since is unsupported (501).
// his_tags, source_type and source_channel_key have no canonical filter;
// passthrough reaches them. NXCloud has no groups (group_id: 501).
//
// A contact is read (GET /v1/contacts/{id}) with the same query: NXCloud
// publishes no read of one customer, but since the id is the cursor, the
// one customer listed after id+1 is the customer with that id when
// NXCloud has it (a different one, or none, is 404).
//
// # Writing contacts
//
// POST /customers/batch_create takes at most 100 customers (BatchSize
// 100; a longer batch is sent in calls of 100) and a conflict type for
// customers it already has: replace → 0, merge → 1, skip → 2. The docs do
// not say how NXCloud matches an existing customer (the simulator: by a
// phone or the email), nor show the answer. The adapter reads from the
// answer one id per customer sent, in order (data an array of ids or of
// records with id or customer_id, or such an array under customer_ids,
// ids, customer_list, customers or list); failing that, it finds each
// customer as the newest one listed with all of its identity fields
// (email, sms_phone, whatsApp_phone and viber_phone, whichever it sets;
// else first_name), a query per distinct set, as many at a time as the
// connection's concurrency setting lets. A customer
// with none of them then answers no id.
//
// Whether a write created a customer or met one NXCloud had is told by
// ids: the adapter reads the newest customer's id before each
// batch_create (one query of one customer), and since the list is newest
// first, a customer created afterwards has a higher id. In a batch, an item
// whose customer has a higher id, and which no earlier item of the call
// named, is created; any other is updated (merge, replace) or skipped
// (skip); an item whose customer could not be found is upserted without
// an id. A batch costs two calls per 100 customers, plus the lookups when
// the answer names no customers.
//
// Create is a batch_create of one in keep mode (2), so that NXCloud never
// overwrites or merges into a customer it has: when the customer the write
// names is not newer than the newest before it, NXCloud kept one it had
// and the create answers ALREADY_EXISTS (409). A new one is answered as
// the query reads it (a create costs three calls). A contact with none of
// the identity fields or a first name is refused (400 naming body.email)
// before any call, as NXCloud's documented answer gives no id to find it
// by. A create whose customer was stored but cannot be read back answers
// an error that says so.
//
// batch_create writes are not retried unless the caller's request
// carried an Idempotency-Key: a customer NXCloud does not match would be
// added twice.
//
// Tags: tagStr (tag names, comma-separated) is never sent. The canonical
// contact input carries no tags, and NXCloud has no call to list tags or
// to tag a customer by id.
//
// Custom values go in customize_field as a JSON object in a string, each
// value exactly as given (numbers keep every digit, arrays stay arrays);
// null values are left out (a new customer has none to clear). Keys must
// have NXCloud's shape customize_N_M (400 otherwise); the gateway checks
// keys and values against ListFields first.
//
// # Custom fields
//
// GET /customers/fields?tenant_id=&app_key=&is_preset=0 (answered whole;
// is_preset 0 asks for the account's own fields). The docs show no answer:
// the list is data or the first array under list, fields, records,
// customer_fields, field_list or data, and a field's key is the first of
// its members field_key, key, field, field_name, column, name and code
// that has the customize_N_M shape; fields without one (preset fields)
// are left out. FieldDef id and key are that name; label the first other
// text of label, field_label, title, display_name, show_name, field_name
// and name; options the values of options, option_list or values. Types:
// text, number, date, datetime, boolean and multi_select (or
// multiselect, checkbox) map to the canonical types; anything else,
// select among them (its values are arrays of at most one option, as the
// docs' sample value ["1"] suggests), is unknown: not checked, rather than
// checked more strictly than NXCloud does.
//
// # Passthrough
//
// Paths under /saas/cdp/openapi (NXCloud's CDP open API), signed like
// every call over the exact bytes sent. The connection's account is always
// the one called: tenant_id and app_key are set in a JSON object body
// (replacing the caller's; other members are kept exactly) and in the
// query of a call without a body. NXCloud's answer is returned as it is,
// status included; it must be JSON.
//
// # Not supported
//
// NXCloud publishes no update or delete of a customer, and batch_create
// cannot be keyed by id (it takes no id and matches customers its own
// way), so update and delete answer 501 rather than guess. It publishes
// no tag list or tag writes (tags appear on customers only: listing them
// would mean reading every customer and would miss unused tags), no
// groups, no events and no field writes: those operations answer 501.
package nxcloud

// The client against a sandbox gateway. clients/typescript/client_test.go
// (go test, so make test) starts the gateway and runs this file with
// GATEWAY_URL, GATEWAY_API_KEY and GATEWAY_CONTACTS (the contacts each
// demo vendor is seeded with).

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  createGatewayClient,
  GatewayProblem,
  must,
  newIdempotencyKey,
  replayed,
  UnexpectedResponse,
  type GatewayClient,
} from "../src/index.js";

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through clients/typescript/client_test.go (go test)`);
  return v;
}

const baseUrl = env("GATEWAY_URL");
const apiKey = env("GATEWAY_API_KEY");
const seeded = Number(env("GATEWAY_CONTACTS"));

const client = (tenant: string): GatewayClient => createGatewayClient({ baseUrl, apiKey, tenant });

// How a problem the client throws is checked: a GatewayProblem with this
// status and code, and the fields every problem has.
async function rejectsWith(call: Promise<unknown>, status: number, code: GatewayProblem["code"]): Promise<GatewayProblem> {
  try {
    await call;
  } catch (err) {
    assert.ok(err instanceof GatewayProblem, `want a GatewayProblem, got ${String(err)}`);
    assert.equal(err.status, status);
    assert.equal(err.code, code);
    assert.match(err.type, /^urn:cdp-gateway:problem:/);
    assert.ok(err.title.length > 0 && err.request_id.length > 0, "title and request_id");
    return err;
  }
  assert.fail(`want ${status} ${code}, the call succeeded`);
}

test("paginate lists every contact once, page after page", async () => {
  const gw = client("demo-linkflow");
  const ids: string[] = [];
  for await (const c of gw.paginate("/v1/contacts", { params: { query: { limit: 7 } } })) {
    assert.equal(typeof c.id, "string");
    ids.push(c.id);
  }
  assert.equal(ids.length, seeded);
  assert.equal(new Set(ids).size, ids.length, "no contact twice");

  let pages = 0;
  let last: string | null = "";
  for await (const page of gw.pages("/v1/contacts", { params: { query: { limit: 7 } } })) {
    pages++;
    assert.ok(page.data.length <= 7);
    last = page.next_cursor;
  }
  assert.equal(pages, Math.ceil(seeded / 7));
  assert.equal(last, null);
});

test("ids above 2^53 stay exact strings", async () => {
  const gw = client("demo-nxcloud");
  const ids: string[] = [];
  for await (const c of gw.paginate("/v1/contacts", { params: { query: { limit: 50 } } })) ids.push(c.id);
  assert.equal(ids.length, seeded);
  assert.equal(new Set(ids).size, ids.length, "no contact twice");
  for (const id of ids) {
    assert.match(id, /^nx_[1-9][0-9]*$/);
    assert.ok(BigInt(id.slice(3)) > 2n ** 53n, `${id} is above 2^53`);
  }
  // Two ids a float would merge (consecutive ones) read back as themselves.
  const merged = ids.find((id, i) => ids.some((other, j) => j !== i && Number(id.slice(3)) === Number(other.slice(3))));
  assert.ok(merged, "the sandbox has ids that are equal as floats");
  const twin = ids.find((id) => id !== merged && Number(id.slice(3)) === Number(merged.slice(3)))!;
  for (const id of [merged, twin]) {
    const contact = await must(gw.api.GET("/v1/contacts/{contact_id}", { params: { path: { contact_id: id } } }));
    assert.equal(contact.id, id);
  }
});

test("paginate follows a member list's path parameters", async () => {
  const gw = client("demo-linkflow");
  const groups = await must(gw.api.GET("/v1/groups", { params: { query: { limit: 1 } } }));
  const group = groups.data[0];
  assert.ok(group, "the sandbox has a group");
  let members = 0;
  for await (const c of gw.paginate("/v1/groups/{group_id}/members", { params: { path: { group_id: group.id }, query: { limit: 3 } } })) {
    assert.match(c.id, /^lf_/);
    members++;
  }
  assert.ok(members > 0, "the group has members");
});

test("create with an Idempotency-Key, and its replay", async () => {
  const gw = client("demo-linkflow");
  const key = newIdempotencyKey();
  const body = {
    name: "张三",
    email: `ts-${key}@example.com`,
    external_ids: [{ channel: "ts.example.com", id: key }],
  };
  const first = await gw.api.POST("/v1/contacts", { params: { header: { "Idempotency-Key": key } }, body });
  assert.equal(first.response.status, 201);
  assert.ok(first.data, "a created contact");
  assert.equal(replayed(first.response), false);
  assert.equal(first.data.email, body.email);

  const again = await gw.api.POST("/v1/contacts", { params: { header: { "Idempotency-Key": key } }, body });
  assert.equal(again.response.status, 201);
  assert.equal(replayed(again.response), true);
  assert.equal(again.data?.id, first.data.id);

  // The same key with another body is refused, as a typed problem.
  await rejectsWith(
    must(gw.api.POST("/v1/contacts", { params: { header: { "Idempotency-Key": key } }, body: { ...body, name: "李四" } })),
    422,
    "IDEMPOTENCY_KEY_REUSED",
  );

  const read = await must(gw.api.GET("/v1/contacts/{contact_id}", { params: { path: { contact_id: first.data.id } } }));
  assert.equal(read.name, "张三");
});

test("problems arrive typed, with their code", async () => {
  const gw = client("demo-linkflow");
  const missing = await rejectsWith(
    must(gw.api.GET("/v1/contacts/{contact_id}", { params: { path: { contact_id: "lf_999999" } } })),
    404,
    "NOT_FOUND",
  );
  assert.equal(missing.vendor, "linkflow");

  // The raw openapi-fetch result carries the same problem, typed.
  const { error, response } = await gw.api.GET("/v1/contacts/{contact_id}", { params: { path: { contact_id: "mh_4338372" } } });
  assert.equal(response.status, 409);
  assert.equal(error?.code, "ID_VENDOR_MISMATCH");

  const invalid = await rejectsWith(must(gw.api.GET("/v1/contacts", { params: { query: { limit: 0 } } })), 400, "VALIDATION_FAILED");
  assert.deepEqual(
    invalid.errors.map((e) => e.field),
    ["query.limit"],
  );

  // A list that fails throws from the iterator.
  await rejectsWith(client("demo-miaokol").paginate("/v1/contacts").next(), 501, "UNSUPPORTED_OPERATION");

  // Retry-After is read from the answer (the sandbox's fault switch).
  const limited = await rejectsWith(
    must(gw.api.GET("/v1/tags", { params: { query: { limit: 1 } }, headers: { "X-Sandbox-Fault": "429" } })),
    429,
    "VENDOR_RATE_LIMITED",
  );
  assert.ok(limited.retryAfter !== undefined && limited.retryAfter >= 1, `Retry-After ${limited.retryAfter}`);
});

test("the tenant is set once, and a call may name another", async () => {
  await rejectsWith(must(client("no-such-tenant").api.GET("/v1/tags")), 403, "TENANT_FORBIDDEN");
  const gw = client("demo-linkflow");
  const res = await gw.api.GET("/v1/capabilities", { params: { header: { "X-Tenant-ID": "demo-meihua" } } });
  assert.equal(res.data?.vendor, "meihua");
  assert.equal(res.response.headers.get("X-Vendor"), "meihua");
  const own = await must(gw.api.GET("/v1/capabilities"));
  assert.equal(own.vendor, "linkflow");
});

test("a bad API key is UNAUTHENTICATED", async () => {
  const gw = createGatewayClient({ baseUrl, apiKey: "sk_wrong", tenant: "demo-linkflow" });
  await rejectsWith(must(gw.api.GET("/v1/tags")), 401, "UNAUTHENTICATED");
});

test("every request carries the key and tenant; an answer that is not a problem is UnexpectedResponse", async () => {
  const seen: Request[] = [];
  const gw = createGatewayClient({
    baseUrl: "http://gateway.invalid",
    apiKey: "sk_test",
    tenant: "demo-linkflow",
    fetch: async (req) => {
      seen.push(req);
      return new Response("<html>bad gateway</html>", { status: 502, headers: { "Content-Type": "text/html" } });
    },
  });
  await assert.rejects(must(gw.api.GET("/v1/tags")), (err) => {
    assert.ok(err instanceof UnexpectedResponse, `want an UnexpectedResponse, got ${String(err)}`);
    assert.equal(err.status, 502);
    assert.equal(err.body, "<html>bad gateway</html>");
    return true;
  });
  const req = seen[0];
  assert.ok(req);
  assert.equal(req.url, "http://gateway.invalid/v1/tags");
  assert.equal(req.headers.get("Authorization"), "Bearer sk_test");
  assert.equal(req.headers.get("X-Tenant-ID"), "demo-linkflow");
});

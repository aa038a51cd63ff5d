// Type-level tests: compiled under tsc --strict and never run. Every
// expect-error directive below must meet an error, or tsc fails with
// TS2578 ("Unused '@ts-expect-error' directive"): the types catch misuse.

import {
  createGatewayClient,
  must,
  newIdempotencyKey,
  type Contact,
  type GatewayProblem,
  type Item,
  type Page,
  type ProblemCode,
} from "../src/index.js";

export async function typeChecks(problem: GatewayProblem): Promise<void> {
  const gw = createGatewayClient({ baseUrl: "http://127.0.0.1:8080", apiKey: "k", tenant: "demo-linkflow" });

  // The tenant is set once: no call has to name it, one may.
  await gw.api.GET("/v1/contacts", { params: { query: { limit: 5 } } });
  await gw.api.GET("/v1/tags", { params: { header: { "X-Tenant-ID": "demo-meihua" } } });

  // Request bodies are the spec's.
  await gw.api.POST("/v1/contacts", {
    params: { header: { "Idempotency-Key": newIdempotencyKey() } },
    body: { name: "张三", gender: "female", external_ids: [{ channel: "shop", id: "u1" }] },
  });
  // @ts-expect-error gender is male, female or unknown
  await gw.api.POST("/v1/contacts", { body: { gender: "robot" } });
  // @ts-expect-error no such path
  await gw.api.GET("/v1/contact");
  // @ts-expect-error contact_id is a required path parameter
  await gw.api.GET("/v1/contacts/{contact_id}", {});
  // @ts-expect-error limit is a number
  await gw.api.GET("/v1/contacts", { params: { query: { limit: "5" } } });
  const gone: undefined = await must(gw.api.DELETE("/v1/groups/{group_id}", { params: { path: { group_id: "lf_1" } } }));
  void gone;
  // on_conflict is optional (the spec says absent means merge).
  await gw.api.POST("/v1/contacts/batch", { body: { items: [{ name: "x" }] } });

  // Ids are strings, never numbers (they exceed 2^53).
  const contact: Contact = await must(gw.api.GET("/v1/contacts/{contact_id}", { params: { path: { contact_id: "lf_4" } } }));
  const id: string = contact.id;
  // @ts-expect-error an id is not a number
  const n: number = contact.id;
  void id, n;

  // Problem codes are the spec's union.
  const code: ProblemCode = problem.code;
  // @ts-expect-error not a code the spec defines
  if (problem.code === "NOT_FOUNDD") return;
  // The raw openapi-fetch result's error is the typed Problem too.
  const { error } = await gw.api.GET("/v1/groups/{group_id}", { params: { path: { group_id: "lf_1" } } });
  if (error?.code === "NOT_FOUND") void code;

  // Lists: items and pages carry the list's own types.
  for await (const c of gw.paginate("/v1/contacts", { params: { query: { q: "wang" } } })) {
    const email: string | undefined = c.email;
    void email;
  }
  for await (const page of gw.pages("/v1/groups/{group_id}/members", { params: { path: { group_id: "lf_683" } } })) {
    const cursor: string | null = page.next_cursor;
    void cursor;
  }
  // @ts-expect-error a member list needs its group_id
  gw.paginate("/v1/groups/{group_id}/members");
  // @ts-expect-error a single read is not a list
  gw.paginate("/v1/contacts/{contact_id}");
  // @ts-expect-error the iterator owns the cursor
  gw.paginate("/v1/contacts", { params: { query: { cursor: "x" } } });

  const tag: Item<"/v1/tags"> = { id: "lf_1", name: "vip" };
  const page: Page<"/v1/tags"> = { data: [tag], next_cursor: null };
  void page;
}

// A thin typed client for cdp-gateway: openapi-fetch over the types that
// openapi-typescript generates from api/openapi.yaml (src/schema.ts).
// It adds what every caller would otherwise write: the API key and tenant
// set once, following next_cursor, problem+json answers as a typed error,
// and Idempotency-Key helpers. Everything else is openapi-fetch as is.

import createClient, { type Client, type HeadersOptions } from "openapi-fetch";
import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };

type Schemas = components["schemas"];
/** An RFC 9457 problem as the gateway answers it (application/problem+json). */
export type Problem = Schemas["Problem"];
/** The stable error codes the spec enumerates. */
export type ProblemCode = Schemas["ProblemCode"];
export type FieldError = Schemas["FieldError"];
export type Vendor = Schemas["Vendor"];
export type Contact = Schemas["Contact"];
export type ContactInput = Schemas["ContactInput"];

const tenantHeader = "X-Tenant-ID";

// The spec declares X-Tenant-ID a required header of every tenant
// operation, so the generated types would make every call repeat it. The
// client sends it on every request, so here it is optional (a call may
// still name another tenant); everything else about an operation is kept.
type TenantOptional<Op> = Op extends { parameters: { header: { [tenantHeader]: unknown } } }
  ? { [K in keyof Op]: K extends "parameters" ? TenantOptionalParams<Op[K]> : Op[K] }
  : Op;
type TenantOptionalParams<P> = P extends { header: infer H }
  ? { [K in keyof P as K extends "header" ? never : K]: P[K] } & {
      header?: { [K in keyof H as K extends typeof tenantHeader ? never : K]: H[K] } & {
        [tenantHeader]?: Schemas["TenantName"];
      };
    }
  : P;

/** The API's paths as the client takes them: X-Tenant-ID optional. */
export type GatewayPaths = {
  [P in keyof paths]: { [M in keyof paths[P]]: TenantOptional<paths[P][M]> };
};

/** The typed openapi-fetch client over GatewayPaths. */
export type GatewayAPI = Client<GatewayPaths>;

export interface GatewayClientOptions {
  /** The gateway's URL, e.g. http://127.0.0.1:8080 (no /v1). */
  baseUrl: string;
  /** An API key; sent as Authorization: Bearer <apiKey>. */
  apiKey: string;
  /** The tenant every call is for (X-Tenant-ID). */
  tenant: string;
  /** A fetch to use instead of globalThis.fetch (tests, proxies). */
  fetch?: (input: Request) => Promise<Response>;
}

// ---- pagination -----------------------------------------------------------

type JSONBody<R> = R extends { content: { "application/json": infer B } } ? B : never;
type ListPage = { data: unknown[]; next_cursor: string | null };
type GetOp<P extends keyof GatewayPaths> = GatewayPaths[P] extends { get: infer Op } ? Op : never;
type OkBody<Op> = Op extends { responses: { 200: infer R } } ? JSONBody<R> : never;

/** The paths whose GET answers a page with next_cursor. */
export type ListPath = {
  [P in keyof GatewayPaths]: OkBody<GetOp<P>> extends ListPage ? P : never;
}[keyof GatewayPaths];
/** One page of a list, as the spec defines it (data, next_cursor, truncated). */
export type Page<P extends ListPath> = OkBody<GetOp<P>>;
/** One item of a list. */
export type Item<P extends ListPath> = Page<P>["data"][number];

type Params<P extends ListPath> = GetOp<P> extends { parameters: infer X } ? X : never;
type Query<P extends ListPath> = Params<P> extends { query?: infer Q } ? NonNullable<Q> : never;
type Path<P extends ListPath> = Params<P> extends { path: infer X } ? X : never;
type Header<P extends ListPath> = Params<P> extends { header?: infer H } ? H : never;

/**
 * What a list takes: its path parameters (where it has any), its filters
 * and limit (the cursor is the iterator's), and request options.
 */
export type ListOptions<P extends ListPath> = {
  params?: { query?: Omit<Query<P>, "cursor">; header?: Header<P> };
  headers?: HeadersOptions;
  signal?: AbortSignal;
} & ([Path<P>] extends [never] ? { params?: unknown } : { params: { path: Path<P> } });

type ListArgs<P extends ListPath> = [Path<P>] extends [never] ? [options?: ListOptions<P>] : [options: ListOptions<P>];

// ---- problems -------------------------------------------------------------

/**
 * A problem+json answer of the gateway, thrown. Its fields are the
 * Problem schema's; retryAfter is the Retry-After header in seconds
 * (429 and 503 carry it).
 */
export class GatewayProblem extends Error {
  override readonly name = "GatewayProblem";
  readonly status: number;
  readonly code: ProblemCode;
  readonly type: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly instance: string | undefined;
  readonly vendor: Vendor | undefined;
  readonly vendor_code: string | undefined;
  readonly vendor_trace_id: string | undefined;
  readonly request_id: string;
  readonly errors: FieldError[];
  readonly retryAfter: number | undefined;
  /** The problem as the gateway sent it. */
  readonly problem: Problem;

  constructor(problem: Problem, response?: Response) {
    super(`${problem.status} ${problem.code}: ${problem.detail ?? problem.title}`);
    this.problem = problem;
    this.status = problem.status;
    this.code = problem.code;
    this.type = problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    this.instance = problem.instance;
    this.vendor = problem.vendor;
    this.vendor_code = problem.vendor_code;
    this.vendor_trace_id = problem.vendor_trace_id;
    this.request_id = problem.request_id;
    this.errors = problem.errors ?? [];
    const retry = Number(response?.headers.get("Retry-After") ?? NaN);
    this.retryAfter = Number.isFinite(retry) ? retry : undefined;
  }
}

/**
 * A failed answer that is not a gateway problem: something between the
 * caller and the gateway (a proxy's HTML page, an empty 502) answered.
 */
export class UnexpectedResponse extends Error {
  override readonly name = "UnexpectedResponse";
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`unexpected ${status} answer that is not application/problem+json`);
  }
}

/** The error a failed answer stands for: a GatewayProblem when it is one. */
export function problemOf(error: unknown, response: Response): GatewayProblem | UnexpectedResponse {
  const type = response.headers.get("Content-Type") ?? "";
  if (type.startsWith("application/problem+json") && isProblem(error)) {
    return new GatewayProblem(error, response);
  }
  return new UnexpectedResponse(response.status, error);
}

function isProblem(v: unknown): v is Problem {
  if (typeof v !== "object" || v === null) return false;
  const p = v as Record<string, unknown>;
  return typeof p.code === "string" && typeof p.status === "number" && typeof p.title === "string";
}

// The data type of a successful openapi-fetch result (undefined for a 204).
type Data<R> = R extends { data: infer D; error?: never } ? D : never;
type MustData<R> = [Data<R>] extends [never] ? undefined : Data<R>;

/**
 * The data of a successful call, or its problem thrown:
 * `const contact = await must(gw.api.GET("/v1/contacts/{contact_id}", …))`.
 */
export async function must<R extends { data?: unknown; error?: unknown; response: Response }>(call: Promise<R>): Promise<MustData<R>> {
  const result = await call;
  if (!result.response.ok) {
    throw problemOf(result.error, result.response);
  }
  return result.data as MustData<R>;
}

// ---- idempotency ----------------------------------------------------------

/** A fresh Idempotency-Key (a random UUID): send it in params.header and keep it for retries. */
export function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}

/** Whether an answer is the stored one of an earlier call with the same Idempotency-Key. */
export function replayed(response: Response): boolean {
  return response.headers.get("Idempotent-Replayed") === "true";
}

// ---- the client -----------------------------------------------------------

export interface GatewayClient {
  /** The typed openapi-fetch client: GET, POST, PATCH … on the spec's paths. */
  readonly api: GatewayAPI;
  readonly tenant: string;
  /** Every page of a list, following next_cursor until it is null; a problem is thrown. */
  pages<P extends ListPath>(path: P, ...options: ListArgs<P>): AsyncGenerator<Page<P>, void, undefined>;
  /** Every item of a list, page after page; a problem is thrown. */
  paginate<P extends ListPath>(path: P, ...options: ListArgs<P>): AsyncGenerator<Item<P>, void, undefined>;
}

/** A client with the API key and tenant set once. */
export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  const api: GatewayAPI = createClient<GatewayPaths>({
    baseUrl: options.baseUrl,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    headers: { Authorization: `Bearer ${options.apiKey}`, [tenantHeader]: options.tenant },
  });
  // GET with a path that is only known to be one of the lists: the public
  // signatures above carry the types, this call does not need them.
  const get = api.GET as unknown as (
    path: string,
    init: object,
  ) => Promise<{ data?: ListPage; error?: unknown; response: Response }>;

  async function* pages<P extends ListPath>(path: P, ...args: ListArgs<P>): AsyncGenerator<Page<P>, void, undefined> {
    const init = (args[0] ?? {}) as { params?: { query?: object } };
    let cursor: string | null = null;
    do {
      const query: object = cursor === null ? { ...init.params?.query } : { ...init.params?.query, cursor };
      const result = await get(path, { ...init, params: { ...init.params, query } });
      if (!result.response.ok || result.data === undefined) {
        throw problemOf(result.error, result.response);
      }
      yield result.data as Page<P>;
      cursor = result.data.next_cursor;
    } while (cursor !== null);
  }

  async function* paginate<P extends ListPath>(path: P, ...args: ListArgs<P>): AsyncGenerator<Item<P>, void, undefined> {
    for await (const page of pages(path, ...args)) {
      yield* (page as ListPage).data as Item<P>[];
    }
  }

  return { api, tenant: options.tenant, pages, paginate };
}

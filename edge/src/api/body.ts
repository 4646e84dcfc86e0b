// Reading request bodies: a size limit, JSON that must parse, and a schema that names every problem.
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { z } from "zod";
import { toIssues } from "../../../contract/index.ts";
import type { AppEnv } from "./context.ts";
import { ApiError } from "./errors.ts";

export const DEFAULT_BODY_LIMIT = 64 * 1024;

/** Middleware factory: refuses bodies over `maxBytes` with 413 before they are read. */
export function limitBody(maxBytes = DEFAULT_BODY_LIMIT): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError("payload_too_large", `the request body is larger than ${maxBytes} bytes`);
    },
  });
}

/** Deepest nesting a body may have: every schema here is a few levels deep; deeper is an attack on recursion. */
export const MAX_JSON_DEPTH = 32;

/** The nesting depth of a parsed JSON value, walked without recursion (so a hostile body cannot overflow the stack here). */
export function jsonDepth(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (d + 1 > max) max = d + 1;
    if (max > MAX_JSON_DEPTH) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

/** application/json, or a +json type (e.g. application/merge-patch+json), with any parameters. */
const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i;

export async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  if (!JSON_TYPE.test(type))
    throw new ApiError(
      "unsupported_media_type",
      type
        ? `the request body must be JSON, sent with content-type: application/json (not "${type.slice(0, 100)}")`
        : "the request body must be JSON, sent with content-type: application/json",
    );
  const text = await c.req.text();
  if (text.trim() === "") throw new ApiError("invalid_json", "the request body is empty; send a JSON object");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ApiError("invalid_json", `the request body is not valid JSON: ${(e as Error).message}`);
  }
  if (jsonDepth(value) > MAX_JSON_DEPTH) throw new ApiError("invalid_json", `the request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  return value;
}

export function validate<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issues = toIssues(r.error);
    throw new ApiError("invalid_input", `${what} is invalid: ${issues.length} problem${issues.length === 1 ? "" : "s"}`, issues);
  }
  return r.data;
}

export async function readBody<S extends z.ZodType>(c: Context<AppEnv>, schema: S, what: string): Promise<z.output<S>> {
  return validate(schema, await readJson(c), what);
}

/** A JSON merge patch (RFC 7396) body: a JSON object of the fields to change. */
export async function readPatch(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const patch = await readJson(c);
  if (patch === null || typeof patch !== "object" || Array.isArray(patch))
    throw new ApiError("invalid_input", "a PATCH body is a JSON object of the fields to change (JSON merge patch)", [
      { path: "", message: "must be an object" },
    ]);
  return patch as Record<string, unknown>;
}

// The API's one error shape: {"error":{"code","message","issues"}} with the matching status.
import type { Issue } from "../../../contract/index.ts";

export type ErrorCode =
  | "invalid_input"
  | "invalid_json"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "payload_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "config_invalid"
  | "unavailable"
  | "internal";

const STATUS: Record<ErrorCode, number> = {
  invalid_input: 400,
  invalid_json: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  config_invalid: 503,
  unavailable: 503,
  internal: 500,
};

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly issues: Issue[];
  readonly headers: Record<string, string>;
  constructor(code: ErrorCode, message: string, issues: Issue[] = [], headers: Record<string, string> = {}) {
    super(message);
    this.code = code;
    this.status = STATUS[code];
    this.issues = issues;
    this.headers = headers;
  }
}

export function errorResponse(err: ApiError): Response {
  return new Response(JSON.stringify({ error: { code: err.code, message: err.message, issues: err.issues } }), {
    status: err.status,
    headers: { "content-type": "application/json; charset=utf-8", ...err.headers },
  });
}

// PointStore on InfluxDB through the v1-compatible HTTP API (/write with line protocol, /query with InfluxQL): 1.x, 2.x, 3.x and Cloud.
import type { CheckResult } from "../../../contract/index.ts";
import type { InfluxConfig } from "../config/config.ts";
import { assembleReport, type BucketSums } from "./buckets.ts";
import { MEASUREMENTS, fromRow, toLines, type PointRow } from "./telegraf.ts";
import { PointStoreError, type CheckQuery, type PointStore, type StoredResult, type UptimeQuery, type UptimeReport } from "./store.ts";

export type InfluxStoreOptions = {
  /** Lines per /write request; larger writes are split. */
  maxLinesPerWrite?: number;
  /** Per-request timeout; an expired one counts as unreachable (retryable). */
  timeoutMs?: number;
};

/** An InfluxQL identifier: double-quoted, with backslash and quote escaped. */
export const quoteIdent = (s: string): string => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
/** An InfluxQL string literal: single-quoted, with backslash and quote escaped. */
export const quoteString = (s: string): string => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
/** An absolute time in InfluxQL: integer epoch milliseconds with the ms unit. */
const msLiteral = (ms: number): string => `${Math.trunc(ms)}ms`;

type Series = { name?: string; columns: string[]; values: unknown[][] };
type StatementResult = { statement_id?: number; series?: Series[]; error?: string };

function utf8Base64(s: string): string {
  let bin = "";
  for (const b of new TextEncoder().encode(s)) bin += String.fromCharCode(b);
  return btoa(bin);
}

function rows(series: Series[] | undefined): PointRow[] {
  const out: PointRow[] = [];
  for (const s of series ?? [])
    for (const values of s.values ?? []) {
      const row: PointRow = {};
      s.columns.forEach((c, i) => (row[c] = values[i]));
      out.push(row);
    }
  return out;
}

export class InfluxPointStore implements PointStore {
  readonly name = "influxdb" as const;
  readonly #config: InfluxConfig;
  readonly #fetch: typeof fetch;
  readonly #maxLines: number;
  readonly #timeoutMs: number;
  readonly #headers: Record<string, string>;

  constructor(config: InfluxConfig, fetchFn: typeof fetch, options: InfluxStoreOptions = {}) {
    this.#config = { ...config, url: config.url.replace(/\/+$/, "") };
    // Called as a plain function: workerd's fetch throws "Illegal invocation" when called as a method of another object.
    this.#fetch = (input, init) => fetchFn(input, init);
    this.#maxLines = options.maxLinesPerWrite ?? 5000;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    if (!(this.#maxLines >= 1)) throw new Error("maxLinesPerWrite must be at least 1");
    const auth = config.auth;
    this.#headers = !auth
      ? {}
      : "token" in auth
        ? { authorization: `Token ${auth.token}` }
        : { authorization: `Basic ${utf8Base64(`${auth.username}:${auth.password}`)}` };
  }

  async write(results: StoredResult[]): Promise<void> {
    if (results.length === 0) return;
    const params = new URLSearchParams({ db: this.#config.database, precision: "ms" });
    if (this.#config.retentionPolicy) params.set("rp", this.#config.retentionPolicy);
    const lines = results.flatMap(toLines);
    for (let i = 0; i < lines.length; i += this.#maxLines) {
      const body = lines.slice(i, i + this.#maxLines).join("\n") + "\n";
      await this.#request("write", `/write?${params}`, {
        method: "POST",
        headers: { "content-type": "text/plain; charset=utf-8" },
        body,
      });
    }
  }

  async checks(q: CheckQuery): Promise<CheckResult[]> {
    if (q.limit <= 0 || q.from >= q.to) return []; // InfluxQL's LIMIT 0 means "no limit"
    // Only checks' points carry "up": an x509_cert chain's further certificates (same time) are left out.
    const sql =
      `SELECT * FROM ${this.#from(q.kind)} WHERE "monitor" = ${quoteString(q.monitor)} ` +
      `AND time >= ${msLiteral(q.from)} AND time < ${msLiteral(q.to)} AND "up" >= 0 ORDER BY time DESC LIMIT ${Math.trunc(q.limit)}`;
    const [result] = await this.#query([sql]);
    return rows(result?.series).map((row) => fromRow(q.kind, row));
  }

  async uptime(q: UptimeQuery): Promise<UptimeReport> {
    if (q.from >= q.to) return assembleReport(q, []);
    const where = `WHERE "monitor" = ${quoteString(q.monitor)} AND time >= ${msLiteral(q.from)} AND time < ${msLiteral(q.to)}`;
    const group = q.bucket ? ` GROUP BY time(${q.bucket}) fill(none)` : "";
    const from = this.#from(q.kind);
    const [counts, latency] = await this.#query([
      `SELECT count("up") AS "checks", sum("up") AS "up" FROM ${from} ${where}${group}`,
      `SELECT sum("latency_ms") AS "latency_sum", count("latency_ms") AS "latency_count" FROM ${from} ${where} AND "up" = 1${group}`,
    ]);
    const sums = new Map<number, BucketSums>();
    const at = (start: number) => {
      let s = sums.get(start);
      if (!s) sums.set(start, (s = { start, checks: 0, up: 0, latencySum: 0, latencyCount: 0 }));
      return s;
    };
    const startOf = (row: PointRow) => (q.bucket ? Number(row.time) : q.from);
    for (const row of rows(counts?.series)) {
      const s = at(startOf(row));
      s.checks += Number(row.checks ?? 0);
      s.up += Number(row.up ?? 0);
    }
    for (const row of rows(latency?.series)) {
      const s = at(startOf(row));
      s.latencySum += Number(row.latency_sum ?? 0);
      s.latencyCount += Number(row.latency_count ?? 0);
    }
    return assembleReport(q, [...sums.values()]);
  }

  /** The server answers /ping, and the database (and retention policy, when set) exist. */
  async ping(): Promise<void> {
    await this.#request("ping", "/ping", { method: "GET" });
    const db = this.#config.database;
    const rp = this.#config.retentionPolicy;
    const [dbs] = await this.#query(["SHOW DATABASES"], false);
    const names = rows(dbs?.series).map((r) => r.name);
    if (!names.includes(db))
      throw new PointStoreError(
        `InfluxDB at ${this.#origin} has no database "${db}": create it (CREATE DATABASE ${quoteIdent(db)}) or fix INFLUX_DATABASE`,
        false,
      );
    if (rp) {
      const [rps] = await this.#query([`SHOW RETENTION POLICIES ON ${quoteIdent(db)}`], false);
      if (!rows(rps?.series).some((r) => r.name === rp))
        throw new PointStoreError(
          `InfluxDB database "${db}" has no retention policy "${rp}": create it or fix INFLUX_RETENTION_POLICY`,
          false,
        );
    }
  }

  get #origin(): string {
    try {
      return new URL(this.#config.url).origin;
    } catch {
      return this.#config.url;
    }
  }

  /** The kind's measurement, qualified with database and retention policy when one is configured. */
  #from(kind: CheckQuery["kind"]): string {
    const m = quoteIdent(MEASUREMENTS[kind]);
    const rp = this.#config.retentionPolicy;
    return rp ? `${quoteIdent(this.#config.database)}.${quoteIdent(rp)}.${m}` : m;
  }

  /** Runs statements in one request; a statement error (e.g. database not found, answered with 200) throws. */
  async #query(statements: string[], withDb = true): Promise<StatementResult[]> {
    const params = new URLSearchParams({ epoch: "ms", q: statements.join(";\n") });
    if (withDb) params.set("db", this.#config.database);
    const res = await this.#request("query", `/query?${params}`, { method: "GET" });
    let body: { results?: StatementResult[]; error?: string };
    try {
      body = (await res.json()) as typeof body;
    } catch (e) {
      throw new PointStoreError(`InfluxDB query answered ${res.status} with a body that is not JSON: ${(e as Error).message}`, true);
    }
    if (body.error) throw this.#refusal("query", res.status, body.error);
    const results = body.results ?? [];
    for (const r of results) if (r.error) throw this.#refusal("query", res.status, r.error);
    return statements.map((_, i) => results.find((r) => r.statement_id === i) ?? results[i] ?? {});
  }

  async #request(what: "write" | "query" | "ping", path: string, init: RequestInit): Promise<Response> {
    let res: Response;
    try {
      res = await this.#fetch(`${this.#config.url}${path}`, {
        ...init,
        headers: { ...this.#headers, ...(init.headers as Record<string, string> | undefined) },
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (e) {
      const why = (e as Error)?.name === "TimeoutError" ? `no answer within ${this.#timeoutMs} ms` : ((e as Error)?.message ?? String(e));
      throw new PointStoreError(`InfluxDB ${what} failed: ${this.#origin} is unreachable (${why})`, true);
    }
    if (res.ok) {
      if (what !== "query") await res.body?.cancel();
      return res;
    }
    const text = await res.text().catch(() => "");
    let message = text.trim();
    try {
      const parsed = JSON.parse(text) as { error?: unknown; message?: unknown };
      const said = parsed.error ?? parsed.message; // 1.x says "error", 2.x/3.x say "message"
      if (typeof said === "string" && said) message = said;
    } catch {
      /* not JSON: keep the text */
    }
    throw this.#refusal(what, res.status, message || res.statusText || "no error text");
  }

  #refusal(what: string, status: number, error: string): PointStoreError {
    const db = this.#config.database;
    // Statement errors arrive with 200; only name the status when it says something.
    const head = status >= 300 ? `InfluxDB ${what} failed with ${status}: ${error}` : `InfluxDB ${what} failed: ${error}`;
    if (/database not found|bucket .*not found/i.test(error))
      return new PointStoreError(
        `${head} — configuration problem: database "${db}" does not exist on ${this.#origin}; create it or fix INFLUX_DATABASE`,
        false,
      );
    if (/retention policy not found/i.test(error))
      return new PointStoreError(`${head} — configuration problem: fix INFLUX_RETENTION_POLICY or create the policy on "${db}"`, false);
    if (status === 401 || status === 403)
      return new PointStoreError(`${head} — check INFLUX_TOKEN or INFLUX_USERNAME/INFLUX_PASSWORD and the user's rights on "${db}"`, false);
    if (status === 404) return new PointStoreError(`${head} — check INFLUX_URL (${this.#origin})`, false);
    const retryable = status === 408 || status === 429 || status >= 500;
    return new PointStoreError(head, retryable);
  }
}

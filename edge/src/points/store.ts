// The PointStore interface: where every check result lands as a point (InfluxDB or embedded D1).
import type { CheckResult, Kind } from "../../../contract/index.ts";

/**
 * A result plus what the store needs to place it: the monitor's kind (measurement), target and,
 * for http, method (Telegraf's tags).
 */
export type StoredResult = CheckResult & {
  kind: Kind;
  target: string;
  method?: string;
  /** The monitor's state pack: the embedded store keeps a pack's points together (db/points.ts). */
  pack?: string;
};

/**
 * What identifies a result across sources: ids are unique per agent, not globally, so an agent's
 * result is "<agent>/<id>" ('/' appears in neither); an edge result (agent null) keeps its own id,
 * which the Worker made.
 */
export const resultKey = (r: { agent: string | null; id: string }): string => (r.agent === null ? r.id : `${r.agent}/${r.id}`);

/** Recent checks of one monitor: `from <= ts < to`, newest first, at most `limit`. */
export interface CheckQuery {
  monitor: string;
  kind: Kind;
  from: number;
  to: number;
  limit: number;
}

/**
 * Uptime of one monitor over `from <= ts < to` (epoch ms). Buckets are aligned to UTC hour or day
 * boundaries (multiples of 3 600 000 / 86 400 000 ms since the epoch); every bucket that overlaps
 * the window is listed, empty ones with `checks: 0` and `uptime: null`.
 */
export interface UptimeQuery {
  monitor: string;
  kind: Kind;
  from: number;
  to: number;
  bucket: "1h" | "1d" | null;
}

export interface UptimeBucket {
  start: number;
  checks: number;
  up: number;
  /** up / checks; null when there were no checks (never an invented 100%). */
  uptime: number | null;
  /** Mean latency of successful checks that measured one; null when there were none. */
  avg_latency_ms: number | null;
}

export interface UptimeReport {
  checks: number;
  up: number;
  uptime: number | null;
  avg_latency_ms: number | null;
  buckets: UptimeBucket[];
}

export class PointStoreError extends Error {
  /** True when retrying later may succeed (unreachable, 5xx, 429); false for a refusal that will repeat. */
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean) {
    super(message);
    this.name = "PointStoreError";
    this.retryable = retryable;
  }
}

export interface PointStore {
  readonly name: "influxdb" | "embedded";
  /**
   * Stores results; resolves only once the store acknowledged them, else throws PointStoreError.
   * Idempotent: writing the same result again (same id, monitor, location, ts) stores it once.
   */
  write(results: StoredResult[]): Promise<void>;
  checks(q: CheckQuery): Promise<CheckResult[]>;
  uptime(q: UptimeQuery): Promise<UptimeReport>;
  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;
}

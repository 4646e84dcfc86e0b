// The shapes the UI reads from the API: GET /api/v1/status and GET /api/v1/status/:id.
export type Status = "up" | "down" | "pending" | "paused" | "maintenance";
export type UptimeWindow = "24h" | "7d" | "30d" | "90d";
export type SeriesWindow = "24h" | "7d" | "30d";

/** The last 90 UTC days as parallel arrays; index 0 is the day `from`, the last is today. */
export type Days = { from: string; checks: number[]; up: number[] };

export type MonitorSummary = {
  id: string;
  name: string;
  group: string | null;
  kind: string;
  status: Status;
  since: string | null;
  last_check_at: string | null;
  latency_ms: number | null;
  uptime: Record<UptimeWindow, number | null>;
  days: Days;
};

/**
 * One page of the list (GET /api/v1/status?limit=): `total` and `counts` cover every monitor,
 * `next_cursor` asks for the page after this one (null on the last).
 */
export type StatusPayload = {
  generated_at: string;
  total: number;
  counts: Record<Status, number>;
  monitors: MonitorSummary[];
  next_cursor: string | null;
};

export type CheckError = { kind: string; message: string };

export type Series = { from: string; bucket_s: number; avg_latency_ms: Array<number | null>; checks: number[]; up: number[] };

export type RecentCheck = {
  ts: string;
  ok: boolean;
  latency_ms: number | null;
  location: string;
  error: CheckError | null;
  /** Heartbeat checks: what the job sent (or `missed`), and its message where the caller may read it. */
  event?: "success" | "fail" | "start" | "missed";
  message?: string | null;
};

export type MonitorPayload = {
  generated_at: string;
  /** `last_ping_at`: heartbeat monitors only, when the job last called in (null before its first ping). */
  monitor: MonitorSummary & { target: string | null; last_error: CheckError | null; last_ping_at?: string | null };
  latency: Record<SeriesWindow, Series>;
  checks: RecentCheck[] | null;
  checks_error: string | null;
};

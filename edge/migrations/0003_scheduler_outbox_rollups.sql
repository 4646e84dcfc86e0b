-- The scheduler's per-monitor cost, the durable point outbox, counters, and uptime rollups.

-- Redirect hops the last check followed: the scheduler plans each check's subrequests from it.
ALTER TABLE monitor_state ADD COLUMN last_hops INTEGER NOT NULL DEFAULT 0;

-- Points the point store has not acknowledged yet, oldest first. `result` is a StoredResult, JSON.
CREATE TABLE point_outbox (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  result       TEXT NOT NULL,
  enqueued_at  INTEGER NOT NULL
);

-- Monotonic counters and small bits of shared state (outbox backoff), by name.
CREATE TABLE counters (
  name        TEXT PRIMARY KEY,
  value       INTEGER NOT NULL DEFAULT 0,
  updated_at  INTEGER NOT NULL DEFAULT 0
);

-- Hourly and daily aggregates per monitor and location, kept as results arrive, so status and
-- uptime reads never scan raw points. latency_* cover successful checks that measured a latency.
CREATE TABLE rollups (
  monitor      TEXT NOT NULL,
  size         TEXT NOT NULL CHECK (size IN ('1h', '1d')),
  start        INTEGER NOT NULL,
  location     TEXT NOT NULL,
  checks       INTEGER NOT NULL,
  up           INTEGER NOT NULL,
  latency_sum  REAL NOT NULL,
  latency_n    INTEGER NOT NULL,
  PRIMARY KEY (monitor, size, start, location)
) WITHOUT ROWID;

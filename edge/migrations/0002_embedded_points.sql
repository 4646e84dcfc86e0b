-- Check results as points for the embedded PointStore (used when INFLUX_URL is unset).
-- Later changes add new migration files; this one is never edited once landed.

CREATE TABLE points (
  id             TEXT PRIMARY KEY,           -- the result's id: a retried result stores once
  monitor        TEXT NOT NULL,
  kind           TEXT NOT NULL,              -- http | tcp | icmp | tls (InfluxDB's measurement)
  location       TEXT NOT NULL,
  agent          TEXT,
  ts             INTEGER NOT NULL,           -- epoch ms
  up             INTEGER NOT NULL CHECK (up IN (0, 1)),
  latency_ms     REAL,
  error_kind     TEXT,
  error_message  TEXT,
  detail         TEXT                        -- the kind's block (http/tcp/icmp/tls) as the schema keeps it, JSON
);

-- "One monitor, a time range, newest first" walks this index backwards; the uptime aggregates
-- (count, sum(up), latency of successes) are answered from the index alone.
CREATE INDEX points_monitor_ts ON points (monitor, kind, ts, up, latency_ms);

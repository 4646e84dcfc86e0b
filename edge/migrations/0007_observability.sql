-- What /metrics and the daily trim need: each monitor's latest result per location, and indexes by age.
-- Later changes add new migration files; this one is never edited once landed.

-- The latest result of each monitor at each location, kept as results are recorded, so /metrics
-- reads one row per series instead of scanning points. No foreign key: results for a monitor
-- deleted meanwhile are still recorded (its row goes at the next daily trim).
CREATE TABLE latest_results (
  monitor         TEXT NOT NULL,
  location        TEXT NOT NULL,
  ts              INTEGER NOT NULL,          -- epoch ms of the check
  up              INTEGER NOT NULL CHECK (up IN (0, 1)),
  latency_ms      REAL,
  error_kind      TEXT,
  tls_expires_at  INTEGER,                   -- epoch ms; from the last tls check that read a certificate
  PRIMARY KEY (monitor, location)
) WITHOUT ROWID;

-- The daily trim deletes by age, in chunks: without these each chunk would scan the whole table.
CREATE INDEX points_ts ON points (ts);
CREATE INDEX rollups_age ON rollups (size, start);

-- Alerting: per-location state (quorum), degraded and certificate memory, incidents, maintenance.

-- Each location's own view of a monitor; the monitor's state is derived from these (quorum).
CREATE TABLE location_state (
  monitor_id             TEXT NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
  location               TEXT NOT NULL,
  status                 TEXT NOT NULL,
  since                  INTEGER NOT NULL,
  last_check_at          INTEGER,
  last_error             TEXT,
  last_latency_ms        REAL,
  consecutive_failures   INTEGER NOT NULL DEFAULT 0,
  consecutive_successes  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (monitor_id, location)
) WITHOUT ROWID;

ALTER TABLE monitor_state ADD COLUMN degraded INTEGER NOT NULL DEFAULT 0;
ALTER TABLE monitor_state ADD COLUMN slow_streak INTEGER NOT NULL DEFAULT 0;
ALTER TABLE monitor_state ADD COLUMN incident_id TEXT;
-- The certificate expiry (epoch ms) a warning was last sent for, so each certificate warns once.
ALTER TABLE monitor_state ADD COLUMN cert_warned_for INTEGER;

CREATE TABLE incidents (
  id                TEXT PRIMARY KEY,
  monitor           TEXT NOT NULL,
  opened_at         INTEGER NOT NULL,
  resolved_at       INTEGER,
  cause             TEXT NOT NULL,
  first_error       TEXT,
  last_error        TEXT,
  reminders_sent    INTEGER NOT NULL DEFAULT 0,
  last_reminder_at  INTEGER
);
CREATE INDEX incidents_monitor ON incidents (monitor, opened_at);
CREATE INDEX incidents_open ON incidents (resolved_at);

CREATE TABLE maintenance_windows (
  id          TEXT PRIMARY KEY,
  spec        TEXT NOT NULL,      -- the validated window, JSON
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

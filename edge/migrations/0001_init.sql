-- Configuration and state: monitors, their current state, API tokens and agents.
-- Later changes add new migration files; this one is never edited once landed.

CREATE TABLE monitors (
  id          TEXT PRIMARY KEY,
  spec        TEXT NOT NULL,              -- the validated Monitor, JSON
  kind        TEXT NOT NULL,
  runner      TEXT NOT NULL CHECK (runner IN ('edge', 'agent')),
  enabled     INTEGER NOT NULL DEFAULT 1,
  interval_s  INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,           -- epoch ms
  updated_at  INTEGER NOT NULL
);
CREATE INDEX monitors_runner ON monitors (runner, enabled);

CREATE TABLE monitor_state (
  monitor_id             TEXT PRIMARY KEY REFERENCES monitors (id) ON DELETE CASCADE,
  status                 TEXT NOT NULL DEFAULT 'pending',
  since                  INTEGER NOT NULL,
  last_check_at          INTEGER,
  last_error             TEXT,                       -- JSON {kind, message}
  last_latency_ms        REAL,
  consecutive_failures   INTEGER NOT NULL DEFAULT 0,
  consecutive_successes  INTEGER NOT NULL DEFAULT 0,
  next_due_at            INTEGER NOT NULL DEFAULT 0  -- epoch ms; the scheduler's cursor
);
CREATE INDEX monitor_state_due ON monitor_state (next_due_at);

CREATE TABLE api_tokens (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer', 'agent')),
  secret_hash   TEXT NOT NULL UNIQUE,       -- hex SHA-256 of the token; the token itself is never stored
  created_at    INTEGER NOT NULL,
  last_used_at  INTEGER
);

CREATE TABLE agents (
  id            TEXT PRIMARY KEY,
  location      TEXT NOT NULL,
  token_id      TEXT NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
  created_at    INTEGER NOT NULL,
  last_seen_at  INTEGER,
  version       TEXT,
  backlog       INTEGER
);
CREATE INDEX agents_location ON agents (location);
CREATE UNIQUE INDEX agents_token ON agents (token_id);

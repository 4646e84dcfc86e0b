-- Alert channels, the alert events handed to them, and the notification outbox with every attempt.

-- Where alerts go. `kind` is checked by the channel registry (edge/src/alerts/channels), not here,
-- so adding a kind needs no migration.
CREATE TABLE channels (
  id               TEXT PRIMARY KEY,
  name             TEXT NOT NULL,
  kind             TEXT NOT NULL,
  url              TEXT NOT NULL,
  secret           TEXT,                          -- webhook signing secret (whsec_…); the API never returns it after creation
  monitors         TEXT NOT NULL DEFAULT '[]',    -- JSON array of monitor ids; empty = every monitor
  events           TEXT NOT NULL,                 -- JSON array of event names (down, up, degraded, certificate, reminder)
  enabled          INTEGER NOT NULL DEFAULT 1,
  disabled_reason  TEXT,
  created_at       INTEGER NOT NULL,              -- epoch ms
  updated_at       INTEGER NOT NULL
);

-- Every event enqueued, once, whether or not a channel wanted it: delivery looks here to learn
-- whether an incident has recovered. `payload` is the AlertEvent, JSON.
CREATE TABLE alert_events (
  id           TEXT PRIMARY KEY,
  type         TEXT NOT NULL,
  monitor_id   TEXT NOT NULL,
  incident_id  TEXT,
  timestamp    INTEGER NOT NULL,
  payload      TEXT NOT NULL,
  created_at   INTEGER NOT NULL
);
CREATE INDEX alert_events_incident ON alert_events (incident_id, type);

-- One delivery per (event, channel): the unique key makes enqueueing the same event twice a no-op.
-- status: pending (due at next_attempt_at), delivered, dead (gave up or channel disabled), skipped
-- (not to be sent, e.g. a recovery whose "down" this channel never got). A sender holds a row
-- while `claimed_until` is in the future and only the holder of `claim` may record its outcome.
CREATE TABLE notifications (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id         TEXT NOT NULL REFERENCES alert_events (id) ON DELETE CASCADE,
  channel_id       TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
  status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead', 'skipped')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL DEFAULT 0,
  claim            TEXT,
  claimed_until    INTEGER NOT NULL DEFAULT 0,
  reason           TEXT,                          -- why it ended dead or skipped
  created_at       INTEGER NOT NULL,
  finished_at      INTEGER,
  UNIQUE (event_id, channel_id)
);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
CREATE INDEX notifications_channel ON notifications (channel_id, status);

-- Each attempt's answer: HTTP status (null when none came) and the error an operator needs.
CREATE TABLE notification_attempts (
  notification_id  INTEGER NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
  n                INTEGER NOT NULL,
  at               INTEGER NOT NULL,
  duration_ms      INTEGER NOT NULL,
  status           INTEGER,
  error            TEXT,
  PRIMARY KEY (notification_id, n)
) WITHOUT ROWID;

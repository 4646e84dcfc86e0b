-- The audit log: one row per change made through the API by a token, and per change refused for the
-- token's role (403). Written by the audit middleware (edge/src/api/audit.ts), read by GET /api/v1/audit,
-- trimmed after RETENTION_AUDIT_DAYS. Never a secret, never a request body: `detail` holds field names.

CREATE TABLE audit_log (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, also after the trim emptied the table
  at              INTEGER NOT NULL,                   -- epoch ms
  token_id        TEXT,                               -- null for the bootstrap admin (ADMIN_TOKEN); no foreign key: entries outlive their token
  token_name      TEXT NOT NULL,                      -- as it was at the time
  role            TEXT NOT NULL,
  action          TEXT NOT NULL,                      -- monitor.create, token.revoke, … (the table in edge/src/api/audit.ts)
  target_type     TEXT NOT NULL,                      -- monitor, token, agent, channel, maintenance
  target_id       TEXT,                               -- null when a create was refused before it had an id
  request_id      TEXT NOT NULL,                      -- cf-ray, else the caller's x-request-id, else a random one (x-request-id of the answer)
  source_address  TEXT,                               -- CF-Connecting-IP
  status          INTEGER NOT NULL,                   -- the answer's HTTP status: 2xx done, 403 refused
  detail          TEXT NOT NULL DEFAULT '{}'          -- JSON: names of the fields sent, and a few non-secret facts of the answer
);
-- Newest first, pages and time windows; the trim's cutoff.
CREATE INDEX audit_log_at ON audit_log (at);
-- What did this token do; what happened to this monitor (or channel, token, …).
CREATE INDEX audit_log_token ON audit_log (token_id, at);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, at);

-- Token lifecycle (issue 15): an expiry per token, rotation with a grace period (the secret a rotation
-- replaced stays valid until previous_expires_at), and the `status` role (the status API only). Adding a
-- role changes api_tokens' CHECK, which SQLite cannot alter, so the table is rebuilt, and agents with it:
-- DROP TABLE api_tokens deletes its rows first, and ON DELETE CASCADE would take every agent along. So
-- agents are copied to a table that references the new api_tokens, the old tables go (agents first,
-- leaving api_tokens without children), and the renames make the reference point at "api_tokens" again.
-- This file is never edited once landed.

CREATE TABLE api_tokens_new (
  id                   TEXT PRIMARY KEY,
  name                 TEXT NOT NULL,
  role                 TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer', 'status', 'agent')),
  secret_hash          TEXT NOT NULL UNIQUE,   -- hex SHA-256 of the current secret; the secret itself is never stored
  created_at           INTEGER NOT NULL,       -- epoch ms
  last_used_at         INTEGER,                -- epoch ms, to within TOUCH_EVERY_MS (edge/src/db/tokens.ts)
  expires_at           INTEGER,                -- epoch ms: the current secret is refused from then on; NULL: never
  rotated_at           INTEGER,                -- epoch ms of the last rotation; NULL: never rotated
  previous_hash        TEXT UNIQUE,            -- hex SHA-256 of the secret the last rotation replaced
  previous_expires_at  INTEGER                 -- epoch ms: previous_hash is refused from then on
);
INSERT INTO api_tokens_new (id, name, role, secret_hash, created_at, last_used_at)
SELECT id, name, role, secret_hash, created_at, last_used_at FROM api_tokens;

CREATE TABLE agents_new (
  id            TEXT PRIMARY KEY,
  location      TEXT NOT NULL,
  token_id      TEXT NOT NULL REFERENCES api_tokens_new (id) ON DELETE CASCADE,
  created_at    INTEGER NOT NULL,
  last_seen_at  INTEGER,
  version       TEXT,
  backlog       INTEGER
);
INSERT INTO agents_new (id, location, token_id, created_at, last_seen_at, version, backlog)
SELECT id, location, token_id, created_at, last_seen_at, version, backlog FROM agents;

DROP TABLE agents;
DROP TABLE api_tokens;
-- Renaming a table rewrites the foreign keys that name it: agents_new's now names api_tokens.
ALTER TABLE api_tokens_new RENAME TO api_tokens;
ALTER TABLE agents_new RENAME TO agents;
CREATE INDEX agents_location ON agents (location);
CREATE UNIQUE INDEX agents_token ON agents (token_id);

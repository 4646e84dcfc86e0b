-- Heartbeat monitors (issue 17): each one's ping key, the secret in its ping URL (/ping/<key>) that alone
-- names the monitor. Only SHA-256 hashes are stored, like API tokens; the key itself is shown once, when the
-- monitor is created or its key rotated. A rotation keeps the key it replaced valid until previous_until.
-- One row per heartbeat monitor, deleted with it (edge/src/db/ping-keys.ts). This file is never edited once landed.

CREATE TABLE ping_keys (
  monitor         TEXT PRIMARY KEY REFERENCES monitors (id) ON DELETE CASCADE,
  key_hash        TEXT NOT NULL UNIQUE,   -- hex SHA-256 of the current key
  created_at      INTEGER NOT NULL,       -- epoch ms the first key was made
  rotated_at      INTEGER,                -- epoch ms of the last rotation; NULL: never rotated
  previous_hash   TEXT UNIQUE,            -- hex SHA-256 of the key the last rotation replaced
  previous_until  INTEGER                 -- epoch ms: previous_hash is refused from then on
);

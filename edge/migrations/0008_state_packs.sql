-- State packs (issue 13): the per-monitor state that changes with every check — the monitor's
-- state, each location's state, the latest result per location, the scheduler's memory — kept for
-- up to 32 monitors in one row, so a batch of checks writes one row per pack instead of several
-- rows per check. Writers update a pack only if its version is still the one they read
-- (edge/src/db/packs.ts). Later changes add new migration files; this one is never edited once landed.

CREATE TABLE state_packs (
  pack     TEXT PRIMARY KEY,          -- "<runner>:<n>"
  version  INTEGER NOT NULL,          -- bumped by every write; a write naming an older one fails
  members  INTEGER NOT NULL,          -- monitors in the pack (a new monitor joins the first with room)
  body     TEXT NOT NULL              -- {"members": {"<monitor id>": Member}}, JSON
) WITHOUT ROWID;

ALTER TABLE monitors ADD COLUMN pack TEXT;

-- Existing monitors join packs of 32 per runner in id order, with their state, location states
-- and latest results carried over; the old per-monitor tables go.
UPDATE monitors SET pack = runner || ':' || ((SELECT COUNT(*) FROM monitors o WHERE o.runner = monitors.runner AND o.id < monitors.id) / 32);

INSERT INTO state_packs (pack, version, members, body)
SELECT m.pack, 1, COUNT(*), json_object('members', json_group_object(m.id, json_object(
    'spec', json(m.spec),
    'every', m.interval_s,
    'edge', m.runner = 'edge',
    'on', m.enabled,
    'ran', NULL,
    'hops', COALESCE(s.last_hops, 0),
    'state', json_object(
      'status', COALESCE(s.status, CASE WHEN m.enabled = 1 THEN 'pending' ELSE 'paused' END),
      'since', COALESCE(s.since, m.created_at),
      'last_check_at', s.last_check_at,
      'last_error', json(s.last_error),
      'last_latency_ms', s.last_latency_ms,
      'consecutive_failures', COALESCE(s.consecutive_failures, 0),
      'consecutive_successes', COALESCE(s.consecutive_successes, 0),
      'degraded', COALESCE(s.degraded, 0),
      'slow_streak', COALESCE(s.slow_streak, 0),
      'incident_id', s.incident_id,
      'cert_warned_for', s.cert_warned_for),
    'locations', COALESCE((SELECT json_group_object(l.location, json_object(
        'status', l.status, 'since', l.since, 'last_check_at', l.last_check_at, 'last_error', json(l.last_error),
        'last_latency_ms', l.last_latency_ms, 'consecutive_failures', l.consecutive_failures,
        'consecutive_successes', l.consecutive_successes)) FROM location_state l WHERE l.monitor_id = m.id), json('{}')),
    'latest', COALESCE((SELECT json_group_object(r.location, json_object(
        'ts', r.ts, 'up', r.up, 'latency_ms', r.latency_ms, 'error_kind', r.error_kind, 'tls_expires_at', r.tls_expires_at))
        FROM latest_results r WHERE r.monitor = m.id), json('{}')))))
FROM monitors m LEFT JOIN monitor_state s ON s.monitor_id = m.id
GROUP BY m.pack;

DROP TABLE location_state;
DROP TABLE latest_results;
DROP TABLE monitor_state;


-- Hourly and daily rollups per pack: {"<monitor>": {"<location>": [checks, up, latency_sum, latency_n]}}.
-- The current hour's counters stay in the state pack and move here when the hour closes, so a row
-- is written once per pack and hour (and merged again only for a result that arrives after its hour
-- closed). The `rollups` table keeps what was counted before this migration, read beside these rows.
CREATE TABLE rollup_packs (
  pack   TEXT NOT NULL,
  size   TEXT NOT NULL CHECK (size IN ('1h', '1d')),
  start  INTEGER NOT NULL,
  body   TEXT NOT NULL,
  PRIMARY KEY (pack, size, start)
) WITHOUT ROWID;

-- Rollups counted before packs move into them: one row per pack, size and start.
INSERT INTO rollup_packs (pack, size, start, body)
SELECT pack, size, start, json_group_object(monitor, json(locs)) FROM (
  SELECT m.pack AS pack, r.size AS size, r.start AS start, r.monitor AS monitor,
    json_group_object(r.location, json_array(r.checks, r.up, r.latency_sum, r.latency_n)) AS locs
  FROM rollups r JOIN monitors m ON m.id = r.monitor
  GROUP BY m.pack, r.size, r.start, r.monitor)
GROUP BY pack, size, start;
DROP TABLE rollups;

-- Embedded points (the D1 point store), packed: one row per pack and write, holding each monitor's
-- points of that write: {"<monitor>": [[key, kind, location, agent, ts, up, latency_ms, error_kind,
-- error_message, detail]...]}. `ts` is the newest point's time in the row, `first` the oldest; a
-- monitor's checks are read newest first through the primary key. `seq` comes from the row's result
-- keys, so writing the same results again stores nothing twice.
CREATE TABLE point_packs (
  pack   TEXT NOT NULL,
  ts     INTEGER NOT NULL,
  seq    TEXT NOT NULL,
  first  INTEGER NOT NULL,
  body   TEXT NOT NULL,
  PRIMARY KEY (pack, ts, seq)
) WITHOUT ROWID;

-- Points stored before packs move into them: one row per monitor and hour.
INSERT INTO point_packs (pack, ts, seq, first, body)
SELECT pack, MAX(ts), 'migrated:' || monitor || ':' || hour, MIN(ts), json_object(monitor, json_group_array(json(rec))) FROM (
  SELECT m.pack AS pack, p.monitor AS monitor, p.ts AS ts, p.ts / 3600000 AS hour,
    json_array(p.id, p.kind, p.location, p.agent, p.ts, p.up, p.latency_ms, p.error_kind, p.error_message, p.detail) AS rec
  FROM points p JOIN monitors m ON m.id = p.monitor ORDER BY p.ts)
GROUP BY pack, monitor, hour;
DROP TABLE points;

// Alert channels in D1. The signing secret is stored as is: signing needs it, a hash would not do.
import type { Channel, ChannelKind } from "../alerts/channels/types.ts";
import type { EventName } from "../alerts/events.ts";

type Row = {
  id: string;
  name: string;
  kind: ChannelKind;
  url: string;
  secret: string | null;
  previous_secret: string | null;
  previous_until: number | null;
  options: string;
  monitors: string;
  events: string;
  enabled: number;
  disabled_reason: string | null;
  created_at: number;
  updated_at: number;
};

export function channelFromRow(r: Row): Channel {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    url: r.url,
    secret: r.secret,
    rotation: r.previous_secret !== null && r.previous_until !== null ? { previous: r.previous_secret, until: r.previous_until } : null,
    options: JSON.parse(r.options) as Record<string, string>,
    monitors: JSON.parse(r.monitors) as string[],
    events: JSON.parse(r.events) as EventName[],
    enabled: r.enabled === 1,
    disabled_reason: r.disabled_reason,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

/** Inserts a channel; false if the id is taken. */
export async function insertChannel(db: D1Database, c: Channel): Promise<boolean> {
  const r = await db
    .prepare(
      `INSERT INTO channels (id, name, kind, url, secret, previous_secret, previous_until, monitors, events, enabled, disabled_reason, created_at, updated_at, options)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    )
    .bind(
      c.id,
      c.name,
      c.kind,
      c.url,
      c.secret,
      c.rotation?.previous ?? null,
      c.rotation?.until ?? null,
      JSON.stringify(c.monitors),
      JSON.stringify(c.events),
      c.enabled ? 1 : 0,
      c.disabled_reason,
      c.created_at,
      c.updated_at,
      JSON.stringify(c.options),
    )
    .run();
  return r.meta.changes > 0;
}

export function updateChannel(db: D1Database, c: Channel): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE channels SET name = ?2, url = ?3, secret = ?4, monitors = ?5, events = ?6, enabled = ?7, disabled_reason = ?8, updated_at = ?9,
         previous_secret = ?10, previous_until = ?11, options = ?12
       WHERE id = ?1`,
    )
    .bind(
      c.id,
      c.name,
      c.url,
      c.secret,
      JSON.stringify(c.monitors),
      JSON.stringify(c.events),
      c.enabled ? 1 : 0,
      c.disabled_reason,
      c.updated_at,
      c.rotation?.previous ?? null,
      c.rotation?.until ?? null,
      JSON.stringify(c.options),
    );
}

/**
 * Replaces the signing secret, keeping the one replaced while `rotation` says so; only if the secret is
 * still `expected`, so of two rotations at once one wins and the other learns it (false) rather than
 * handing out a secret nobody signs with.
 */
export async function rotateChannelSecret(
  db: D1Database,
  id: string,
  expected: string,
  next: Pick<Channel, "secret" | "rotation">,
  now: number,
): Promise<boolean> {
  const r = await db
    .prepare(
      `UPDATE channels SET secret = ?3, previous_secret = ?4, previous_until = ?5, updated_at = ?6
       WHERE id = ?1 AND secret = ?2`,
    )
    .bind(id, expected, next.secret, next.rotation?.previous ?? null, next.rotation?.until ?? null, now)
    .run();
  return r.meta.changes > 0;
}

export async function getChannel(db: D1Database, id: string): Promise<Channel | null> {
  const r = await db.prepare("SELECT * FROM channels WHERE id = ?").bind(id).first<Row>();
  return r ? channelFromRow(r) : null;
}

export async function listChannels(db: D1Database): Promise<Channel[]> {
  return (await db.prepare("SELECT * FROM channels ORDER BY id").all<Row>()).results.map(channelFromRow);
}

/** Deletes a channel and, with it, its notifications; false when there was none. */
export async function deleteChannel(db: D1Database, id: string): Promise<boolean> {
  const r = await db.prepare("DELETE FROM channels WHERE id = ?").bind(id).run();
  return r.meta.changes > 0;
}

/** Disables a channel (kept, with the reason shown to operators); pair with deadLetterChannel. */
export function disableChannel(db: D1Database, id: string, reason: string, now: number): D1PreparedStatement {
  return db.prepare("UPDATE channels SET enabled = 0, disabled_reason = ?2, updated_at = ?3 WHERE id = ?1").bind(id, reason, now);
}

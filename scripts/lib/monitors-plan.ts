// Monitors as code, the pure part: what `apply` would do to make the server match the file (create, change field
// by field, delete with --prune), in a safe order, and the plan as a person reads it. No I/O here.
import { Monitor } from "../../contract/monitor.ts";
import { type ChannelSpec, type MonitorsFile, type Section, SECTIONS } from "../../contract/monitors-file.ts";
import { toRfc3339 } from "../../contract/time.ts";
import { maskUrl } from "./monitors-worker.mjs";

type Json = Record<string, unknown>;

/** What the server holds, as `GET /api/v1/<section>` answers; a section the file leaves out is not managed. */
export type Remote = { monitors: Json[]; channels?: Json[]; maintenance?: Json[] };

export type Options = {
  /** Delete what the server has and the file lacks (sections present in the file only). */
  prune?: boolean;
  /** Send every channel's URL and write-only fields (a webhook's secret) again, though GET cannot show whether they changed. */
  rotateSecrets?: boolean;
};

/** One field that differs; `hidden` when its value may be a credential and is not printed. */
export type Change = { path: string; from?: unknown; to?: unknown; hidden?: boolean; note?: string };

export type Request = { method: "POST" | "PATCH" | "PUT" | "DELETE"; path: string; body?: unknown };

export type Step = {
  op: "create" | "update" | "delete" | "replace";
  section: Section;
  id: string;
  /** For a create: a line saying what it is; for a replace or a delete: why. */
  about?: string;
  changes?: Change[];
  /** What apply sends, in order (a replace deletes, then creates). */
  requests: Request[];
};

export type Plan = { steps: Step[]; kept: Array<{ section: Section; id: string }>; warnings: string[] };

/** The singular a person reads: "monitor", "channel", "maintenance window". */
export const NOUN: Record<Section, string> = { monitors: "monitor", channels: "channel", maintenance: "maintenance window" };

const API: Record<Section, string> = { monitors: "/api/v1/monitors", channels: "/api/v1/channels", maintenance: "/api/v1/maintenance" };
const itemPath = (section: Section, id: string) => `${API[section]}/${encodeURIComponent(id)}`;

/** The fields of a stored monitor (a GET view adds state and times, which are the server's, not the file's). */
const MONITOR_FIELDS = Object.keys(Monitor.in.shape);

/** Monitor fields that may hold credentials (the API hides the same ones from viewers): compared, never printed. */
const SENSITIVE = [/^http\.headers\./, /^http\.body$/, /^tcp\.send$/];
const sensitive = (path: string) => SENSITIVE.some((re) => re.test(path));

const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** Field-level differences from `from` (the server) to `to` (the file); objects are walked, arrays compared whole. */
export function diff(from: unknown, to: unknown, path = "", out: Change[] = []): Change[] {
  if (deepEqual(from, to)) return out;
  if (isObject(from) && isObject(to)) {
    const keys = [...new Set([...Object.keys(to), ...Object.keys(from)])];
    for (const k of keys) diff(from[k], to[k], path ? `${path}.${k}` : k, out);
    return out;
  }
  out.push(sensitive(path) ? { path, from, to, hidden: true } : { path, from, to });
  return out;
}

/**
 * An RFC 7396 merge patch that turns `from` into `to`: changed fields, objects merged key by key, and `null` for
 * a key `to` lacks or holds as null (the API then restores its default, which for this contract's nullable fields is null).
 */
export function mergePatchBetween(from: Json, to: Json): Json {
  const patch: Json = {};
  for (const k of new Set([...Object.keys(from), ...Object.keys(to)])) {
    const a = from[k];
    const b = to[k];
    if (deepEqual(a, b)) continue;
    if (b === undefined || b === null) patch[k] = null;
    else if (isObject(a) && isObject(b)) patch[k] = mergePatchBetween(a, b);
    else patch[k] = b;
  }
  return patch;
}

const pick = (o: Json, keys: readonly string[]): Json => Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));

function monitorAbout(m: Json): string {
  const disabled = m.enabled === false ? ", disabled" : "";
  if (m.kind === "heartbeat")
    return `heartbeat every ${m.interval_s} s, grace ${(m.heartbeat as Json | undefined)?.grace_s} s (apply prints its ping URL)${disabled}`;
  return `${m.kind} ${m.target}, ${m.runner}, every ${m.interval_s} s${disabled}`;
}

/** A heartbeat has no target (its job calls in; stored as ""): the API refuses one, so it is neither sent nor compared. */
const withoutTarget = (m: Json): Json => {
  if (m.kind !== "heartbeat") return m;
  const { target: _none, ...rest } = m;
  return rest;
};

/** A maintenance window with its times as the API shows them (RFC 3339), so the file's and the server's compare. */
function maintenanceComparable(w: Json): Json {
  const { active: _active, ...rest } = w;
  for (const k of ["starts_at", "ends_at"] as const) if (typeof rest[k] === "number") rest[k] = toRfc3339(rest[k] as number);
  return rest;
}

function maintenanceAbout(w: Json): string {
  const scope = Array.isArray(w.monitors) && w.monitors.length > 0 ? `${w.monitors.length} monitor(s)` : "every monitor";
  if (w.kind === "once") return `once, ${w.starts_at} to ${w.ends_at}, ${scope}`;
  return `weekly ${(w.days as string[]).join(",")} ${w.start} for ${w.duration_min} min (${w.time_zone}), ${scope}`;
}

/**
 * A channel's fields split by what GET shows: `shown` compares as is; `url` compares by its masked form (GET
 * masks it); `writeOnly` (a webhook's secret, anything GET does not show) is sent on create and with --rotate-secrets only.
 */
function channelParts(spec: ChannelSpec, remote: Json | undefined) {
  const { id: _id, url, ...rest } = spec as ChannelSpec & Json;
  const fields: Json = { ...rest, name: spec.name ?? spec.id };
  const shown: Json = {};
  const writeOnly: Json = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    if (k === "secret" || (remote && !(k in remote))) writeOnly[k] = v;
    else shown[k] = v;
  }
  return { url: url as string, shown, writeOnly };
}

/** The monitor ids channels and windows name that exist neither in the file nor (after the plan) on the server. */
function unknownReferences(file: MonitorsFile, remote: Remote, deleted: Set<string>): string[] {
  const known = new Set([
    ...(file.monitors ?? []).map((m) => m.id),
    ...remote.monitors.map((m) => String(m.id)).filter((id) => !deleted.has(id)),
  ]);
  const out: string[] = [];
  for (const section of ["channels", "maintenance"] as const)
    for (const item of file[section] ?? [])
      for (const m of item.monitors)
        if (!known.has(m)) out.push(`${NOUN[section]} ${item.id} names monitor "${m}", which is neither in the file nor on the server`);
  return out;
}

/** What `apply` would do. Order: windows, channels, then monitors (so a new monitor's first failure finds both), deletes last. */
export function plan(file: MonitorsFile, remote: Remote, opts: Options = {}): Plan {
  const writes: Record<Section, Step[]> = { maintenance: [], channels: [], monitors: [] };
  const deletes: Record<Section, Step[]> = { maintenance: [], channels: [], monitors: [] };
  const kept: Plan["kept"] = [];

  if (file.monitors) {
    const byId = new Map(remote.monitors.map((m) => [String(m.id), m]));
    for (const spec of file.monitors) {
      const want = withoutTarget(spec as unknown as Json);
      const have = byId.get(spec.id);
      if (!have) {
        writes.monitors.push({
          op: "create",
          section: "monitors",
          id: spec.id,
          about: monitorAbout(want),
          requests: [{ method: "POST", path: API.monitors, body: want }],
        });
        continue;
      }
      const current = withoutTarget(pick(have, MONITOR_FIELDS));
      const changes = diff(current, want);
      if (changes.length > 0)
        writes.monitors.push({
          op: "update",
          section: "monitors",
          id: spec.id,
          changes,
          requests: [{ method: "PATCH", path: itemPath("monitors", spec.id), body: mergePatchBetween(current, want) }],
        });
    }
  }

  if (file.channels && remote.channels) {
    const byId = new Map(remote.channels.map((c) => [String(c.id), c]));
    for (const spec of file.channels) {
      const have = byId.get(spec.id);
      const create: Request = { method: "POST", path: API.channels, body: spec };
      if (!have) {
        writes.channels.push({
          op: "create",
          section: "channels",
          id: spec.id,
          about: `${spec.kind} ${maskUrl(spec.url)}`,
          requests: [create],
        });
        continue;
      }
      if (have.kind !== spec.kind) {
        writes.channels.push({
          op: "replace",
          section: "channels",
          id: spec.id,
          about: `its kind changes from ${have.kind} to ${spec.kind}, which the API does not change in place: deleted, then created`,
          requests: [{ method: "DELETE", path: itemPath("channels", spec.id) }, create],
        });
        continue;
      }
      const { url, shown, writeOnly } = channelParts(spec, have);
      const changes = diff(pick(have, Object.keys(shown)), shown);
      const patch = mergePatchBetween(pick(have, Object.keys(shown)), shown);
      if (maskUrl(url) !== have.url) {
        changes.push({ path: "url", from: have.url, to: maskUrl(url), note: "compared masked" });
        patch.url = url;
      } else if (opts.rotateSecrets) {
        changes.push({ path: "url", hidden: true, note: "sent again (--rotate-secrets)" });
        patch.url = url;
      }
      if (opts.rotateSecrets)
        for (const [k, v] of Object.entries(writeOnly)) {
          changes.push({ path: k, hidden: true, note: "sent again (--rotate-secrets)" });
          patch[k] = v;
        }
      if (changes.length > 0)
        writes.channels.push({
          op: "update",
          section: "channels",
          id: spec.id,
          changes,
          requests: [{ method: "PATCH", path: itemPath("channels", spec.id), body: patch }],
        });
    }
  }

  if (file.maintenance && remote.maintenance) {
    const byId = new Map(remote.maintenance.map((w) => [String(w.id), w]));
    for (const spec of file.maintenance) {
      const want = maintenanceComparable(spec as unknown as Json);
      const have = byId.get(spec.id);
      if (!have) {
        writes.maintenance.push({
          op: "create",
          section: "maintenance",
          id: spec.id,
          about: maintenanceAbout(want),
          requests: [{ method: "POST", path: API.maintenance, body: want }],
        });
        continue;
      }
      const changes = diff(maintenanceComparable(have), want);
      if (changes.length > 0)
        writes.maintenance.push({
          op: "update",
          section: "maintenance",
          id: spec.id,
          changes,
          // PUT replaces the window whole.
          requests: [{ method: "PUT", path: itemPath("maintenance", spec.id), body: want }],
        });
    }
  }

  const deleted = new Set<string>();
  for (const section of SECTIONS) {
    const items = file[section];
    const current = section === "monitors" ? remote.monitors : remote[section];
    if (!items || !current) continue;
    const wanted = new Set(items.map((i) => i.id));
    for (const id of current.map((x) => String(x.id)).sort()) {
      if (wanted.has(id)) continue;
      if (!opts.prune) {
        kept.push({ section, id });
        continue;
      }
      if (section === "monitors") deleted.add(id);
      deletes[section].push({
        op: "delete",
        section,
        id,
        about: "not in the file",
        requests: [{ method: "DELETE", path: itemPath(section, id) }],
      });
    }
  }

  const steps = [
    ...writes.maintenance,
    ...writes.channels,
    ...writes.monitors,
    // Deletes last, monitors first: nothing a remaining monitor relies on goes before it does.
    ...deletes.monitors,
    ...deletes.channels,
    ...deletes.maintenance,
  ];
  return { steps, kept, warnings: unknownReferences(file, remote, deleted) };
}

/** Counts as terraform counts them: a replace is one create and one delete. */
export function counts(p: Plan): { create: number; change: number; delete: number } {
  const n = (op: Step["op"]) => p.steps.filter((s) => s.op === op).length;
  return { create: n("create") + n("replace"), change: n("update"), delete: n("delete") + n("replace") };
}

export function summaryLine(p: Plan): string {
  const c = counts(p);
  return `${c.create} to create, ${c.change} to change, ${c.delete} to delete`;
}

const show = (v: unknown) => (v === undefined ? "(none)" : JSON.stringify(v));

/** A value as the plan prints it: fields that may hold credentials replaced by "(hidden)". */
function shown(path: string, v: unknown): string {
  const scrub = (p: string, x: unknown): unknown =>
    sensitive(p) && x !== null && x !== undefined
      ? "(hidden)"
      : isObject(x)
        ? Object.fromEntries(Object.entries(x).map(([k, y]) => [k, scrub(`${p}.${k}`, y)]))
        : x;
  return show(scrub(path, v));
}

function changeLine(c: Change): string {
  if (c.note && c.hidden) return `${c.path}: ${c.note}`;
  if (c.hidden) return `${c.path}: changed (value hidden)`;
  return `${c.path}: ${shown(c.path, c.from)} → ${shown(c.path, c.to)}${c.note ? ` (${c.note})` : ""}`;
}

const SIGN: Record<Step["op"], string> = { create: "+", update: "~", delete: "-", replace: "-/+" };

/** The plan as lines: one per step, its changed fields under it, what is kept, warnings, and the summary. */
export function formatPlan(p: Plan): string[] {
  const lines: string[] = [];
  for (const s of p.steps) {
    const head = `  ${SIGN[s.op]} ${NOUN[s.section]} ${s.id}`;
    lines.push(s.about ? `${head}: ${s.about}` : head);
    for (const c of s.changes ?? []) lines.push(`      ${changeLine(c)}`);
  }
  for (const k of p.kept) lines.push(`  = ${NOUN[k.section]} ${k.id}: not in the file, kept (--prune deletes it)`);
  for (const w of p.warnings) lines.push(`warning: ${w}`);
  if (p.steps.length === 0) lines.push("No changes: the server matches the file.");
  lines.push(`Plan: ${summaryLine(p)}.`);
  return lines;
}

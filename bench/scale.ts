// Benchmark: horizontal scaling of probe-agent replicas. N HTTP monitors (BENCH_SCALE_MONITORS, default
// 3,000) at 60 s in one location, aimed at one local counting target, run by 1, 2 and 4 real agent
// processes (the shipped bundle) that share the location by rendezvous hashing (edge/src/agents/split.ts).
// The agents reach the Worker (wrangler dev) through a recording proxy, which notes every result the
// Worker accepted (monitor, replica, the check's ts) and every assignments answer (replica, time, monitors).
// - steady state, per replica count: checks/s per replica and in total over one interval, agent CPU ms
//   per check (each agent's process tree, /proc), the split (monitors per replica and its spread), coverage;
// - join: with 2 replicas a third starts: monitors moved, time until each is checked by its new owner,
//   and duplicate checks until the old owners let go of them (at their next assignments refresh);
// - die: one of the 3 is SIGKILLed: time until each of its monitors is checked again elsewhere, split into
//   the liveness timeout (Worker AGENT_LIVENESS_S), the survivors' refresh (agent ASSIGNMENTS_REFRESH_S)
//   and the monitor's next slot (a monitor keeps its phase across replicas);
// and writes docs/img/scale-{throughput,cpu,failover}.svg. BENCH_SCALE_INTERVAL_S, BENCH_SCALE_REFRESH_S,
// BENCH_SCALE_LIVENESS_S and BENCH_SCALE_WARMUP_S change the settings (defaults: 60, 30, 40, 10).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { split } from "../edge/src/agents/split.ts";
import { nextDue } from "../probe-agent/src/scheduler.ts";
import { startAgentProcess, type AgentProcess } from "../test/services/agent-process.ts";
import { startCountingTarget, type CountingTarget } from "../test/services/counting-target.ts";
import { listenLoopback } from "../test/services/http.ts";
import { cleanup, migrate, percentile, pool, round, tempState, treeCpuMs, waitUntil, worker, type BenchWorker } from "./lib.ts";
import { niceTicks, stackCharts, type Series } from "./svg-plot.ts";

const LOCATION = "scale";
const FIGURES = process.env.BENCH_SCALE_FIGURES ?? path.resolve(import.meta.dirname, "../docs/img");

type Settings = { monitors: number; intervalS: number; refreshS: number; livenessS: number; warmupS: number };

function settingsFrom(monitors: number): Settings {
  const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  return {
    monitors,
    intervalS: env("BENCH_SCALE_INTERVAL_S", 60),
    refreshS: env("BENCH_SCALE_REFRESH_S", 30), // the agent's default ASSIGNMENTS_REFRESH_S
    livenessS: env("BENCH_SCALE_LIVENESS_S", 40), // the Worker's default AGENT_LIVENESS_S
    warmupS: env("BENCH_SCALE_WARMUP_S", 10),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (text: string) => process.stdout.write(`scale: ${text}\n`);

// --- The recording proxy between the agents and the Worker ---------------------------------------

type Check = { monitor: string; agent: string; ts: number };
type Fetch = { agent: string; at: number; monitors: Set<string> };

type Recorder = {
  url: string;
  /** Results the Worker accepted, in arrival order. */
  checks: Check[];
  /** 200 answers to GET /api/v1/agents/me/assignments (a 304 keeps the previous one in force). */
  fetches: Fetch[];
  /** When each replica's last request reached the proxy: the Worker's last_seen_at, give or take its processing. */
  lastSeen: Map<string, number>;
  /** The newest check ts received from each replica (pushes go oldest first). */
  newest: Map<string, number>;
  name(token: string, agent: string): void;
  close(): Promise<void>;
};

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length"]);

async function startRecorder(upstream: string): Promise<Recorder> {
  const up = new URL(upstream);
  const byToken = new Map<string, string>();
  const keepAlive = new http.Agent({ keepAlive: true });
  const rec = { checks: [], fetches: [], lastSeen: new Map(), newest: new Map() } as Omit<Recorder, "url" | "name" | "close">;

  const note = (agent: string, method: string, url: string, body: Buffer, status: number, answer: Buffer, at: number) => {
    if (method === "POST" && url.startsWith("/api/v1/results") && status >= 200 && status < 300) {
      for (const r of JSON.parse(body.toString("utf8")).results as Array<{ monitor: string; ts: string | number }>) {
        const ts = typeof r.ts === "number" ? r.ts : Date.parse(r.ts);
        rec.checks.push({ monitor: r.monitor, agent, ts });
        if (ts > (rec.newest.get(agent) ?? 0)) rec.newest.set(agent, ts);
      }
    }
    if (method === "GET" && url.startsWith("/api/v1/agents/me/assignments") && status === 200) {
      const ids = (JSON.parse(answer.toString("utf8")).monitors as Array<{ id: string }>).map((m) => m.id);
      rec.fetches.push({ agent, at, monitors: new Set(ids) });
    }
  };

  const server = http.createServer((req, res) => {
    const at = Date.now();
    const agent = byToken.get(String(req.headers.authorization ?? "").replace(/^Bearer /, "")) ?? "?";
    rec.lastSeen.set(agent, at);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !HOP_BY_HOP.has(k)));
      const out = http.request(
        { host: up.hostname, port: up.port, method: req.method, path: req.url, headers: { ...headers, host: up.host }, agent: keepAlive },
        (answerStream) => {
          const parts: Buffer[] = [];
          answerStream.on("data", (c: Buffer) => parts.push(c));
          answerStream.on("end", () => {
            const answer = Buffer.concat(parts);
            try {
              note(agent, req.method!, req.url!, body, answerStream.statusCode!, answer, at);
            } catch (e) {
              say(`proxy could not read ${req.method} ${req.url}: ${e}`);
            }
            const back = Object.fromEntries(Object.entries(answerStream.headers).filter(([k]) => !HOP_BY_HOP.has(k)));
            res.writeHead(answerStream.statusCode!, { ...back, "content-length": answer.length });
            res.end(answer);
          });
        },
      );
      out.on("error", (e) => {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(String(e));
      });
      out.end(body);
    });
  });
  const listening = await listenLoopback(server);
  return {
    ...rec,
    url: listening.url,
    name: (token, agent) => byToken.set(token, agent),
    close: async () => {
      await listening.close();
      keepAlive.destroy();
    },
  };
}

/** Waits until every replica's results up to `t` have reached the Worker. */
function pushedUpTo(rec: Recorder, agents: string[], t: number, timeoutMs = 30_000) {
  return waitUntil(
    `results up to ${new Date(t).toISOString()} from ${agents.join(", ")}`,
    () => agents.every((a) => (rec.newest.get(a) ?? 0) >= t),
    timeoutMs,
    100,
  );
}

/** The assignments in force at a replica (its last 200 answer). */
function inForce(rec: Recorder, agent: string): Set<string> | null {
  for (let i = rec.fetches.length - 1; i >= 0; i--) if (rec.fetches[i]!.agent === agent) return rec.fetches[i]!.monitors;
  return null;
}

/** The first 200 assignments answer to `agent` after `since` that satisfies `cond`. */
function firstFetch(rec: Recorder, agent: string, since: number, cond: (f: Fetch) => boolean = () => true): Fetch | undefined {
  return rec.fetches.find((f) => f.agent === agent && f.at >= since && cond(f));
}

/** Each of `monitors`' first check at or after `since` by a replica `by` accepts: monitor → check. */
function firstChecks(rec: Recorder, monitors: Set<string>, since: number, by: (agent: string) => boolean): Map<string, Check> {
  const out = new Map<string, Check>();
  for (const c of rec.checks)
    if (c.ts >= since && monitors.has(c.monitor) && by(c.agent) && (!out.has(c.monitor) || out.get(c.monitor)!.ts > c.ts))
      out.set(c.monitor, c);
  return out;
}

// --- The replicas ------------------------------------------------------------------------------------

type Replica = { id: string; proc: AgentProcess; dataDir: string; alive: boolean };

type Ctx = {
  s: Settings;
  w: BenchWorker;
  rec: Recorder;
  target: CountingTarget;
  ids: string[];
  replicas: Replica[];
};

const live = (ctx: Ctx) => ctx.replicas.filter((r) => r.alive);
const liveIds = (ctx: Ctx) => live(ctx).map((r) => r.id);

async function addReplica(ctx: Ctx): Promise<Replica> {
  const id = `replica-${ctx.replicas.length + 1}`;
  const reg = await ctx.w.api("POST", "/api/v1/agents", { id, location: LOCATION });
  if (reg.status !== 201) throw new Error(`registering ${id}: ${JSON.stringify(reg.body)}`);
  ctx.rec.name(reg.body.token, id);
  const dataDir = mkdtempSync(path.join(tmpdir(), `ium-bench-scale-${id}-`));
  const proc = await startAgentProcess({
    edgeUrl: ctx.rec.url,
    token: reg.body.token,
    dataDir,
    env: {
      LOG_LEVEL: "info", // startAgentProcess waits for the "agent started" line
      ASSIGNMENTS_REFRESH_S: String(ctx.s.refreshS),
      EGRESS_ALLOW: "127.0.0.0/8,::1",
    },
  });
  const r = { id, proc, dataDir, alive: true };
  ctx.replicas.push(r);
  return r;
}

async function killReplica(r: Replica): Promise<void> {
  r.alive = false;
  await r.proc.kill("SIGKILL");
}

/** Waits until every live replica runs exactly its rendezvous share of the monitors. */
async function settled(ctx: Ctx, timeoutMs: number): Promise<Map<string, string[]>> {
  const want = split(ctx.ids, liveIds(ctx));
  await waitUntil(
    `the split among ${liveIds(ctx).join(", ")} to settle`,
    () =>
      [...want].every(([agent, mine]) => {
        const got = inForce(ctx.rec, agent);
        return got !== null && got.size === mine.length && mine.every((m) => got.has(m));
      }),
    timeoutMs,
    200,
  );
  return want;
}

async function targetTotal(target: CountingTarget): Promise<number> {
  return ((await (await fetch(`${target.url}/control/stats`)).json()) as { total: number }).total;
}

// --- Steady state ------------------------------------------------------------------------------------

function spreadOf(counts: number[]) {
  const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
  const sd = Math.sqrt(counts.reduce((a, b) => a + (b - mean) ** 2, 0) / counts.length);
  return {
    min: Math.min(...counts),
    max: Math.max(...counts),
    mean: round(mean, 1),
    /** (max − min) / mean. */
    spread_pct: round(((Math.max(...counts) - Math.min(...counts)) / mean) * 100, 1),
    stdev_pct: round((sd / mean) * 100, 1),
  };
}

/** Starts replicas until `n` are live, lets the split settle and warm up, then measures one interval. */
async function steady(ctx: Ctx, n: number) {
  while (live(ctx).length < n) await addReplica(ctx);
  const t = performance.now();
  const want = await settled(ctx, (ctx.s.livenessS + 2 * ctx.s.refreshS + 30) * 1000);
  const settleS = round((performance.now() - t) / 1000, 1);
  await sleep(Math.max(0, ctx.s.warmupS * 1000 - (performance.now() - t))); // the warm-up counts from the last replica's start
  const reps = live(ctx);
  const windowMs = ctx.s.intervalS * 1000;
  const hits0 = await targetTotal(ctx.target);
  const cpu0 = reps.map((r) => treeCpuMs(r.proc.pid!));
  const t0 = Date.now();
  await sleep(windowMs);
  const elapsed = Date.now() - t0; // CPU is measured over this; checks over exactly one interval, each monitor's slot once
  const t1 = t0 + windowMs;
  const cpu1 = reps.map((r) => treeCpuMs(r.proc.pid!));
  const hits1 = await targetTotal(ctx.target);
  await pushedUpTo(ctx.rec, liveIds(ctx), t1);
  const seconds = windowMs / 1000;
  const cpuSeconds = elapsed / 1000;
  const window = ctx.rec.checks.filter((c) => c.ts >= t0 && c.ts < t1);
  const perMonitor = new Map<string, Set<string>>();
  const times = new Map<string, number>();
  for (const c of window) {
    perMonitor.set(c.monitor, (perMonitor.get(c.monitor) ?? new Set()).add(c.agent));
    times.set(c.monitor, (times.get(c.monitor) ?? 0) + 1);
  }
  const owner = new Map([...want].flatMap(([a, ms]) => ms.map((m) => [m, a] as const)));
  const perReplica = reps.map((r, i) => {
    const checks = window.filter((c) => c.agent === r.id).length;
    const cpu = cpu1[i]! - cpu0[i]!;
    return {
      agent: r.id,
      monitors: want.get(r.id)!.length,
      checks,
      checks_per_s: round(checks / seconds, 2),
      cpu_ms: round(cpu, 0),
      cpu_ms_per_check: round(cpu / checks, 3),
      cpu_pct_of_a_core: round(cpu / cpuSeconds / 10, 2),
    };
  });
  const checks = window.length;
  const cpu = perReplica.reduce((a, r) => a + r.cpu_ms, 0);
  return {
    replicas: n,
    settle_s: settleS,
    window_s: round(seconds, 1),
    split: {
      per_replica: Object.fromEntries([...want].map(([a, ms]) => [a, ms.length])),
      ...spreadOf([...want.values()].map((ms) => ms.length)),
    },
    scheduled_checks_per_s: round(ctx.s.monitors / ctx.s.intervalS, 2),
    checks_per_s: round(checks / seconds, 2),
    checks_per_s_per_replica: round(checks / seconds / n, 2),
    target_hits_per_s: round((hits1 - hits0) / seconds, 2),
    cpu_ms_per_check: round(cpu / checks, 3),
    agents_cpu_pct_of_a_core: round(cpu / cpuSeconds / 10, 2),
    coverage: {
      checked_once: [...times.values()].filter((k) => k === 1).length,
      not_checked: ctx.ids.length - times.size,
      checked_more_than_once: [...times.values()].filter((k) => k > 1).length,
      checked_by_other_than_split_owner: [...perMonitor].filter(([m, agents]) => [...agents].some((a) => a !== owner.get(m))).length,
    },
    per_replica: perReplica,
  };
}

// --- Join and die ------------------------------------------------------------------------------------

const ownersOf = (ids: string[], agents: string[]) => new Map([...split(ids, agents)].flatMap(([a, ms]) => ms.map((m) => [m, a] as const)));

function dist(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: round(percentile(sorted, 50) / 1000, 1),
    p90: round(percentile(sorted, 90) / 1000, 1),
    max: round(sorted[sorted.length - 1]! / 1000, 1),
  };
}

/** A new replica joins the live ones: what moves, and how long until the new owner checks each moved monitor. */
async function join(ctx: Ctx) {
  const before = liveIds(ctx);
  const at = Date.now();
  const r = await addReplica(ctx);
  const after = [...before, r.id];
  const was = ownersOf(ctx.ids, before);
  const will = ownersOf(ctx.ids, after);
  const moved = new Set(ctx.ids.filter((m) => was.get(m) !== will.get(m)));
  const timeoutMs = (ctx.s.intervalS + ctx.s.refreshS + 60) * 1000;
  await waitUntil(
    `every moved monitor checked by ${r.id}`,
    () => firstChecks(ctx.rec, moved, at, (a) => a === r.id).size === moved.size,
    timeoutMs,
    500,
  );
  await settled(ctx, timeoutMs);
  const first = firstChecks(ctx.rec, moved, at, (a) => a === r.id);
  const own = firstFetch(ctx.rec, r.id, at)!;
  // An old owner lets go at its first answer without the monitors that moved (one that lost none gets no new answer).
  const without = (f: Fetch) => ![...moved].some((m) => f.monitors.has(m));
  const letGoAt = new Map(before.map((a) => [a, firstFetch(ctx.rec, a, at, without)?.at ?? null]));
  const letGo = Object.fromEntries([...letGoAt].map(([a, t]) => [a, t === null ? null : round((t - at) / 1000, 1)]));
  const lastLetGo = Math.max(own.at, ...[...letGoAt.values()].filter((t) => t !== null));
  // Old owners keep checking what moved until their own next refresh: those checks are doubles.
  const doubles = ctx.rec.checks.filter((c) => c.ts >= own.at && moved.has(c.monitor) && c.agent !== r.id);
  return {
    report: {
      from: before.length,
      to: after.length,
      joined: r.id,
      moved: moved.size,
      moved_to_new_replica: [...moved].filter((m) => will.get(m) === r.id).length,
      moved_per_old_owner: Object.fromEntries(before.map((a) => [a, [...moved].filter((m) => was.get(m) === a).length])),
      new_replica_first_assignments_s: round((own.at - at) / 1000, 1),
      first_check_by_new_owner_s: dist([...first.values()].map((c) => c.ts - at)),
      old_owners_let_go_s: letGo,
      duplicate_checks: doubles.length,
      monitors_checked_twice: new Set(doubles.map((c) => c.monitor)).size,
    },
    at,
    first,
    lastLetGo,
    joined: r.id,
  };
}

/** Slots of `monitor` in [from, to): the checks its owner would have run. */
function slotsBetween(monitor: string, intervalMs: number, from: number, to: number): number {
  let n = 0;
  for (let t = nextDue(monitor, intervalMs, from - 1); t < to; t += intervalMs) n++;
  return n;
}

/** The oldest live replica is SIGKILLed: how long until each of its monitors is checked elsewhere, and why. */
async function die(ctx: Ctx) {
  const before = liveIds(ctx);
  const victim = live(ctx)[0]!;
  const survivors = before.filter((a) => a !== victim.id);
  const orphans = new Set(split(ctx.ids, before).get(victim.id)!);
  const at = Date.now();
  await killReplica(victim);
  const timeoutMs = (ctx.s.livenessS + ctx.s.refreshS + ctx.s.intervalS + 60) * 1000;
  await waitUntil(
    `every monitor of ${victim.id} checked again`,
    () => firstChecks(ctx.rec, orphans, at, (a) => a !== victim.id).size === orphans.size,
    timeoutMs,
    500,
  );
  await settled(ctx, timeoutMs);
  const first = firstChecks(ctx.rec, orphans, at, (a) => a !== victim.id);
  const lastSeen = ctx.rec.lastSeen.get(victim.id)!;
  const deadAt = lastSeen + ctx.s.livenessS * 1000;
  // A survivor takes over at its first answer that holds orphans (one that got none has no such answer).
  const takeover = new Map(
    survivors.flatMap((a) => {
      const f = firstFetch(ctx.rec, a, at, (x) => [...orphans].some((m) => x.monitors.has(m)));
      return f ? [[a, f.at] as const] : [];
    }),
  );
  const was = ownersOf(ctx.ids, before);
  const will = ownersOf(ctx.ids, survivors);
  const intervalMs = ctx.s.intervalS * 1000;
  const checks = [...first.values()];
  return {
    report: {
      from: before.length,
      to: survivors.length,
      killed: victim.id,
      orphaned: orphans.size,
      orphans_per_survivor: Object.fromEntries(survivors.map((a) => [a, [...orphans].filter((m) => will.get(m) === a).length])),
      others_moved: ctx.ids.filter((m) => !orphans.has(m) && was.get(m) !== will.get(m)).length,
      last_seen_before_kill_s: round((at - lastSeen) / 1000, 1),
      declared_dead_after_s: round((deadAt - at) / 1000, 1),
      survivors_took_over_after_s: Object.fromEntries([...takeover].map(([a, t]) => [a, round((t - at) / 1000, 1)])),
      checked_again_after_s: dist(checks.map((c) => c.ts - at)),
      parts_s: {
        until_declared_dead: round((deadAt - at) / 1000, 1),
        until_survivor_refreshed: dist(checks.map((c) => Math.max(0, takeover.get(c.agent)! - deadAt))),
        until_next_slot: dist(checks.map((c) => c.ts - takeover.get(c.agent)!)),
      },
      bound_s: ctx.s.livenessS + ctx.s.refreshS + ctx.s.intervalS,
      missed_checks: checks.reduce((a, c) => a + slotsBetween(c.monitor, intervalMs, at, c.ts - 500), 0),
    },
    at,
    deadAt,
    first,
    takeover,
    victim: victim.id,
  };
}

// --- Figures -----------------------------------------------------------------------------------------

type SteadyRow = Awaited<ReturnType<typeof steady>>;

function throughputFigure(rows: SteadyRow[], s: Settings): string {
  const xTicks = rows.map((r) => r.replicas);
  return stackCharts([
    {
      title: `Checks per second, ${s.monitors.toLocaleString("en-US")} HTTP monitors at ${s.intervalS} s`,
      xLabel: "agent replicas (one location)",
      yLabel: `checks / s (each monitor once per ${s.intervalS} s)`,
      xTicks,
      series: [
        { name: "total, measured", points: rows.map((r) => [r.replicas, r.checks_per_s]), dots: true },
        { name: "per replica (mean)", points: rows.map((r) => [r.replicas, r.checks_per_s_per_replica]), dots: true },
        {
          name: "per replica, busiest",
          points: rows.map((r) => [r.replicas, Math.max(...r.per_replica.map((p) => p.checks_per_s))]),
          dots: true,
          dashed: true,
        },
        // Last, dashed over the measured total it should match.
        { name: "scheduled (monitors / interval)", points: rows.map((r) => [r.replicas, r.scheduled_checks_per_s]), dashed: true },
      ],
    },
  ]);
}

/** CPU % of a core = idle + per check × checks/s, least squares over every replica of every run. */
function cpuModel(rows: SteadyRow[]) {
  const pts = rows.flatMap((r) => r.per_replica.map((p) => [p.checks_per_s, p.cpu_pct_of_a_core] as const));
  const mx = pts.reduce((a, p) => a + p[0], 0) / pts.length;
  const my = pts.reduce((a, p) => a + p[1], 0) / pts.length;
  const sxx = pts.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  if (pts.length < 2 || sxx === 0) return null;
  const slope = pts.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0) / sxx;
  return {
    note: "one replica's CPU (% of one core) ≈ idle + ms_per_check/10 × its checks per second, fitted over every replica of every run",
    idle_pct_of_a_core: round(my - slope * mx, 2),
    ms_per_check: round(slope * 10, 3),
    points: pts.map(([x, y]) => [round(x, 2), round(y, 2)] as [number, number]),
  };
}

function cpuFigure(rows: SteadyRow[], s: Settings): string {
  const xTicks = rows.map((r) => r.replicas);
  const model = cpuModel(rows);
  const most = Math.max(...(model?.points.map((p) => p[0]) ?? [1]));
  const fit: Series[] = model
    ? [
        { name: "each replica in each run", points: model.points, noLine: true },
        {
          name: `fit: ${model.idle_pct_of_a_core} % + ${model.ms_per_check} ms per check`,
          points: [
            [0, model.idle_pct_of_a_core],
            [most, model.idle_pct_of_a_core + (model.ms_per_check / 10) * most],
          ],
          dashed: true,
        },
      ]
    : [];
  return stackCharts([
    {
      title: `Agent CPU per check (${s.monitors.toLocaleString("en-US")} HTTP monitors at ${s.intervalS} s)`,
      xLabel: "agent replicas (one location)",
      yLabel: "CPU ms per check",
      xTicks,
      height: 320,
      series: [
        { name: "all replicas together", points: rows.map((r) => [r.replicas, r.cpu_ms_per_check]), dots: true },
        {
          name: "per replica, lowest",
          points: rows.map((r) => [r.replicas, Math.min(...r.per_replica.map((p) => p.cpu_ms_per_check))]),
          dots: true,
          dashed: true,
        },
        {
          name: "per replica, highest",
          points: rows.map((r) => [r.replicas, Math.max(...r.per_replica.map((p) => p.cpu_ms_per_check))]),
          dots: true,
          dashed: true,
        },
      ],
    },
    {
      title: "Agents' CPU time, % of one core",
      xLabel: "agent replicas (one location)",
      yLabel: "% of one core",
      xTicks,
      height: 320,
      series: [
        { name: "all replicas together", points: rows.map((r) => [r.replicas, r.agents_cpu_pct_of_a_core]), dots: true },
        { name: "per replica (mean)", points: rows.map((r) => [r.replicas, r.agents_cpu_pct_of_a_core / r.replicas]), dots: true },
      ],
    },
    ...(model
      ? [
          {
            title: "One replica's CPU against its load: a fixed cost plus a cost per check",
            xLabel: "the replica's checks / s",
            yLabel: "% of one core",
            height: 320,
            series: fit,
          },
        ]
      : []),
  ]);
}

type Dynamics = { join: Awaited<ReturnType<typeof join>>; die: Awaited<ReturnType<typeof die>>; end: number };

/** Checks per second by replica around the join and the kill (bins of interval/12), and the monitors waiting for a new owner. */
function timeline(rec: Recorder, d: Dynamics, s: Settings) {
  const binMs = Math.max(1000, Math.round((s.intervalS * 1000) / 12));
  const from = d.join.at - s.intervalS * 500;
  const bins = Math.floor((d.end - from) / binMs); // whole bins only
  const to = from + bins * binMs;
  const agents = [...new Set(rec.checks.filter((c) => c.ts >= from && c.ts < to).map((c) => c.agent))].sort();
  const counts = new Map(agents.map((a) => [a, new Array<number>(bins).fill(0)]));
  for (const c of rec.checks) if (c.ts >= from && c.ts < to) counts.get(c.agent)![Math.floor((c.ts - from) / binMs)]! += 1;
  const x = (t: number) => round((t - d.join.at) / 1000, 1);
  const perSecond = (arr: number[]) => arr.map((k, i): [number, number] => [x(from + (i + 0.5) * binMs), round(k / (binMs / 1000), 2)]);
  const rates: Series[] = agents.map((a) => ({ name: a, points: perSecond(counts.get(a)!) }));
  const total = new Array<number>(bins).fill(0).map((_, i) => agents.reduce((acc, a) => acc + counts.get(a)![i]!, 0));
  rates.push({ name: "total", points: perSecond(total), dashed: true });
  const waiting = (first: Map<string, Check>, start: number, end: number): Array<[number, number]> => {
    const done = [...first.values()].map((c) => c.ts).sort((a, b) => a - b);
    const out: Array<[number, number]> = [[x(start), done.length]];
    done.forEach((t, i) => out.push([x(t), done.length - i - 1]));
    out.push([x(end), 0]);
    return out;
  };
  return {
    bin_s: binMs / 1000,
    t0: new Date(d.join.at).toISOString(),
    rates: rates.map((r) => ({ name: r.name, points: r.points })),
    waitingJoin: waiting(d.join.first, d.join.at, d.die.at),
    waitingDie: waiting(d.die.first, d.die.at, d.end),
    x,
  };
}

function failoverFigure(d: Dynamics, s: Settings, tl: ReturnType<typeof timeline>): string {
  // Both panels on one time axis, so the marks line up.
  const xs = tl.rates.flatMap((r) => r.points.map((p) => p[0])).concat(tl.waitingDie.map((p) => p[0]));
  const xTicks = niceTicks(Math.min(...xs), Math.max(...xs), 10);
  const marks = [
    { x: 0, label: `${d.join.joined} starts` },
    { x: tl.x(d.join.lastLetGo), label: "old owners refreshed" },
    { x: tl.x(d.die.at), label: `${d.die.victim} SIGKILLed` },
    { x: tl.x(d.die.deadAt), label: `declared dead (+${s.livenessS} s)` },
    { x: tl.x(Math.max(...d.die.takeover.values())), label: "survivors refreshed" },
  ];
  return stackCharts([
    {
      title: `Checks per second by replica: one joins, then one is killed (bins of ${tl.bin_s} s)`,
      xLabel: "seconds since the third replica started",
      yLabel: "checks / s",
      series: tl.rates,
      marks,
      xTicks,
      width: 860,
      height: 380,
    },
    {
      title: "Monitors not yet checked by their new owner",
      xLabel: "seconds since the third replica started",
      yLabel: "monitors",
      series: [
        { name: "moved to the new replica", points: tl.waitingJoin, step: true },
        { name: `orphaned by ${d.die.victim}`, points: tl.waitingDie, step: true },
      ],
      marks,
      xTicks,
      width: 860,
      height: 320,
    },
  ]);
}

function writeFigures(rows: SteadyRow[], rec: Recorder, d: Dynamics | null, s: Settings): Record<string, string> {
  mkdirSync(FIGURES, { recursive: true });
  const out: Record<string, string> = {};
  const put = (name: string, svg: string) => {
    const file = path.join(FIGURES, name);
    writeFileSync(file, svg);
    out[name] = file;
  };
  if (rows.length) {
    put("scale-throughput.svg", throughputFigure(rows, s));
    put("scale-cpu.svg", cpuFigure(rows, s));
  }
  if (d) put("scale-failover.svg", failoverFigure(d, s, timeline(rec, d, s)));
  return out;
}

// --- The benchmark -----------------------------------------------------------------------------------

async function createMonitors(w: BenchWorker, target: CountingTarget, s: Settings): Promise<string[]> {
  const ids = Array.from({ length: s.monitors }, (_, i) => `m${String(i).padStart(5, "0")}`);
  await pool(ids, 8, async (id) => {
    const body = {
      id,
      kind: "http",
      target: `${target.url}/hit/${id}`,
      interval_s: s.intervalS,
      timeout_ms: 5000,
      runner: "agent",
      locations: [LOCATION],
    };
    // A 5xx is retried (twice): a 409 then means the first attempt did create it.
    for (let attempt = 1; ; attempt++) {
      const r = await w.api("POST", "/api/v1/monitors", body);
      if (r.status === 201 || (r.status === 409 && attempt > 1)) return;
      if (r.status < 500 || attempt === 3) throw new Error(`creating ${id}: ${r.status} ${JSON.stringify(r.body)}`);
    }
  });
  return ids;
}

function summary(rows: SteadyRow[], d: Dynamics | null, s: Settings) {
  say(
    `${s.monitors.toLocaleString("en-US")} http monitors at ${s.intervalS} s; ASSIGNMENTS_REFRESH_S=${s.refreshS}, AGENT_LIVENESS_S=${s.livenessS}`,
  );
  for (const r of rows)
    say(
      `${r.replicas} replica(s): ${r.checks_per_s} checks/s (${r.checks_per_s_per_replica} per replica; scheduled ${r.scheduled_checks_per_s}), ` +
        `${r.cpu_ms_per_check} CPU ms/check, agents ${r.agents_cpu_pct_of_a_core} % of a core, split ${r.split.min}-${r.split.max} (spread ${r.split.spread_pct} %)`,
    );
  const model = cpuModel(rows);
  if (model) say(`a replica costs about ${model.idle_pct_of_a_core} % of a core idle plus ${model.ms_per_check} CPU ms per check`);
  if (!d) return;
  const j = d.join.report;
  say(
    `join ${j.from}→${j.to}: ${j.moved} moved (${j.moved_to_new_replica} to ${j.joined}); first check by the new owner p50 ${j.first_check_by_new_owner_s.p50} s, ` +
      `max ${j.first_check_by_new_owner_s.max} s; old owners let go after ${Object.values(j.old_owners_let_go_s).join(" / ")} s; ${j.duplicate_checks} duplicate checks`,
  );
  const k = d.die.report;
  say(
    `die ${k.from}→${k.to}: ${k.orphaned} orphaned; checked again after p50 ${k.checked_again_after_s.p50} s, max ${k.checked_again_after_s.max} s ` +
      `(declared dead after ${k.declared_dead_after_s} s, bound ${k.bound_s} s = liveness + refresh + interval); ${k.missed_checks} missed checks`,
  );
}

export async function benchScale(o: { monitors: number; replicas: number[] }) {
  const s = settingsFrom(o.monitors);
  const counts = [...new Set(o.replicas)].sort((a, b) => a - b);
  const started = performance.now();
  const target = await startCountingTarget();
  const state = tempState("ium-bench-scale-");
  await migrate(state);
  const w = await worker(state, {
    LOG_LEVEL: "warn",
    AGENT_LIVENESS_S: String(s.livenessS),
    MAX_MONITORS: String(Math.max(10_000, s.monitors)),
  });
  const rec = await startRecorder(w.url);
  const ctx: Ctx = { s, w, rec, target, ids: [], replicas: [] };
  try {
    const creating = performance.now();
    ctx.ids = await createMonitors(w, target, s);
    const setupS = round((performance.now() - started) / 1000, 1);
    say(
      `Worker up and ${s.monitors} monitors created in ${setupS} s (creating them: ${round((performance.now() - creating) / 1000, 1)} s)`,
    );
    const rows: SteadyRow[] = [];
    let dynamics: Dynamics | null = null;
    for (const n of counts) {
      say(`${n} replica(s): settling, warming up ${s.warmupS} s, measuring ${s.intervalS} s`);
      rows.push(await steady(ctx, n));
      if (!dynamics && n >= 2) {
        say(`join: a replica joins ${n}`);
        const j = await join(ctx);
        say(`die: one of ${n + 1} is SIGKILLed`);
        const k = await die(ctx);
        dynamics = { join: j, die: k, end: Date.now() };
      }
    }
    const figures = writeFigures(rows, rec, dynamics, s);
    summary(rows, dynamics, s);
    return {
      note:
        "real agent processes (the shipped bundle) against the Worker under wrangler dev, one location, HTTP checks of one local target; " +
        "checks counted from the results the Worker accepted (by the check's ts), CPU from /proc (each agent's process tree); " +
        "the Worker, the target and the agents share this machine's cores",
      settings: {
        monitors: s.monitors,
        kind: "http",
        interval_s: s.intervalS,
        ASSIGNMENTS_REFRESH_S: s.refreshS,
        AGENT_LIVENESS_S: s.livenessS,
        CONCURRENCY: 256,
        warmup_s: s.warmupS,
      },
      setup_s: setupS,
      steady: rows,
      cpu_model: cpuModel(rows),
      join: dynamics?.join.report ?? null,
      die: dynamics?.die.report ?? null,
      figures,
      total_s: round((performance.now() - started) / 1000, 1),
    };
  } finally {
    for (const r of ctx.replicas) if (r.alive) await r.proc.kill("SIGTERM");
    for (const r of ctx.replicas) rmSync(r.dataDir, { recursive: true, force: true });
    await rec.close();
    await w.stop();
    await target.close();
    cleanup(state);
  }
}

#!/usr/bin/env node
// `npm run influx:setup`: creates the InfluxDB 1.x database and its retention policy, idempotently, and says what it did.
import { parseArgs } from "node:util";

const HELP = `Usage: npm run influx:setup -- [options]

Creates the database the Worker writes to and its retention policy on InfluxDB 1.x, or brings an
existing policy to the configured duration. Run it as often as you like: what is right is left alone.
The policy becomes the database's DEFAULT, so Grafana's queries (which name no policy) read it.

Options (each falls back to the environment variable, then the default):
  --url URL            INFLUX_URL                  (required)
  --database NAME      INFLUX_DATABASE             default: uptime
  --policy NAME        INFLUX_RETENTION_POLICY     default: autogen (the policy InfluxDB creates anyway)
  --duration DURATION  INFLUX_RETENTION_DURATION   default: 400d (InfluxQL: 400d, 52w, 720h, ... or INF)
  --dry-run            print what would be done, change nothing
Authentication as the Worker's: INFLUX_TOKEN (Authorization: Token ...) or INFLUX_USERNAME and
INFLUX_PASSWORD (basic auth; the user needs admin rights to create databases and policies).`;

const UNIT_MS = { ns: 1e-6, u: 1e-3, µ: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** An InfluxQL duration literal (or INF) in ms; INF and 0 are both "keep forever" (0). null when it is not one. */
export function durationMs(text) {
  if (/^inf$/i.test(text)) return 0;
  if (!/^(\d+(ns|u|µ|ms|s|m|h|d|w))+$/.test(text)) return null;
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ns|u|µ|ms|s|m|h|d|w)/g)) ms += Number(n) * UNIT_MS[unit];
  return ms;
}

/** Go's duration string as SHOW RETENTION POLICIES prints it ("9600h0m0s", "0s") in ms. */
function goDurationMs(text) {
  let ms = 0;
  for (const [, n, unit] of String(text).matchAll(/([\d.]+)(ns|us|µs|ms|s|m|h)/g))
    ms += Number(n) * (unit === "us" || unit === "µs" ? 1e-3 : UNIT_MS[unit]);
  return ms;
}

const ident = (s) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
const human = (ms) =>
  ms === 0 ? "infinite" : ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : `${ms / 1000}s`;

function settings(argv, env) {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: "string" },
      database: { type: "string" },
      policy: { type: "string" },
      duration: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const pick = (flag, name, def) => values[flag] ?? (env[name] || undefined) ?? def;
  return {
    help: values.help,
    dryRun: values["dry-run"],
    url: pick("url", "INFLUX_URL", undefined)?.replace(/\/+$/, ""),
    database: pick("database", "INFLUX_DATABASE", "uptime"),
    policy: pick("policy", "INFLUX_RETENTION_POLICY", "autogen"),
    duration: pick("duration", "INFLUX_RETENTION_DURATION", "400d"),
    token: env.INFLUX_TOKEN || undefined,
    username: env.INFLUX_USERNAME || undefined,
    password: env.INFLUX_PASSWORD || undefined,
  };
}

export async function setup(s, say = (m) => process.stdout.write(`${m}\n`)) {
  const problems = [];
  if (!s.url || !/^https?:\/\//.test(s.url)) problems.push("INFLUX_URL (or --url) must be the server's http:// or https:// URL");
  const wanted = durationMs(s.duration);
  if (wanted === null) problems.push(`duration "${s.duration}" is not an InfluxQL duration such as 400d, 52w, 720h or INF`);
  else if (wanted !== 0 && wanted < 3_600_000) problems.push(`duration "${s.duration}" is below InfluxDB's minimum of 1h`);
  if (s.token && (s.username || s.password)) problems.push("set either INFLUX_TOKEN or INFLUX_USERNAME/INFLUX_PASSWORD, not both");
  if (!!s.username !== !!s.password) problems.push("INFLUX_USERNAME and INFLUX_PASSWORD go together");
  if (problems.length) throw new Error(problems.join("\n"));

  const headers = s.token
    ? { authorization: `Token ${s.token}` }
    : s.username
      ? { authorization: `Basic ${Buffer.from(`${s.username}:${s.password}`).toString("base64")}` }
      : {};
  /** One InfluxQL statement: GET for reads, POST for changes (1.x refuses CREATE/ALTER over GET). */
  const request = async (q, write = false) => {
    const res = await fetch(
      write ? `${s.url}/query` : `${s.url}/query?${new URLSearchParams({ q })}`,
      write
        ? { method: "POST", headers: { ...headers, "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ q }) }
        : { headers },
    ).catch((e) => {
      throw new Error(`cannot reach InfluxDB at ${s.url}: ${e.cause?.code ?? e.message}`);
    });
    const text = await res.text();
    let parsed = {};
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON: the text is the error */
    }
    const error = parsed.error ?? parsed.message ?? parsed.results?.find((r) => r.error)?.error;
    if (!res.ok || error) {
      const hint =
        res.status === 401 || res.status === 403
          ? " (check INFLUX_USERNAME/INFLUX_PASSWORD or INFLUX_TOKEN; the user must be an admin)"
          : "";
      throw new Error(`InfluxDB answered ${res.status} to ${q}: ${error ?? text.trim()}${hint}`);
    }
    return parsed.results?.[0]?.series ?? [];
  };
  const get = (q) => request(q);

  const ping = await fetch(`${s.url}/ping`, { headers }).catch((e) => {
    throw new Error(`cannot reach InfluxDB at ${s.url}: ${e.cause?.code ?? e.message}`);
  });
  const version = ping.headers.get("x-influxdb-version") ?? "unknown";
  if (/^v?[23]\./.test(version))
    throw new Error(
      `InfluxDB ${version} at ${s.url} has buckets, not databases: create the bucket "${s.database}" with its retention there ` +
        `(influx bucket create --name ${s.database} --retention ${s.duration}) and map it for the v1 API (influx v1 dbrp create); this command is for 1.x`,
    );
  say(`InfluxDB ${version} at ${s.url}`);

  const post = async (q) => {
    if (s.dryRun) say(`  would run: ${q}`);
    else await request(q, true);
  };

  const dbs = (await get("SHOW DATABASES")).flatMap((x) => x.values ?? []).map((v) => v[0]);
  const db = ident(s.database);
  const rp = ident(s.policy);
  const durationLit = wanted === 0 ? "INF" : s.duration;
  if (!dbs.includes(s.database)) {
    await post(`CREATE DATABASE ${db} WITH DURATION ${durationLit} REPLICATION 1 NAME ${rp}`);
    say(
      `${s.dryRun ? "would create" : "created"} database "${s.database}" with retention policy "${s.policy}" (${human(wanted)}, default)`,
    );
    return { database: "created", policy: "created" };
  }
  say(`database "${s.database}" exists`);
  const series = (await get(`SHOW RETENTION POLICIES ON ${db}`))[0];
  const cols = series?.columns ?? [];
  const policies = (series?.values ?? []).map((v) => Object.fromEntries(cols.map((c, i) => [c, v[i]])));
  const current = policies.find((p) => p.name === s.policy);
  if (!current) {
    await post(`CREATE RETENTION POLICY ${rp} ON ${db} DURATION ${durationLit} REPLICATION 1 DEFAULT`);
    say(`${s.dryRun ? "would create" : "created"} retention policy "${s.policy}" on "${s.database}" (${human(wanted)}, default)`);
    const others = policies.filter((p) => p.name !== s.policy).map((p) => `"${p.name}"`);
    if (others.length) say(`note: points already in ${others.join(", ")} stay there; queries without a policy now read "${s.policy}"`);
    return { database: "kept", policy: "created" };
  }
  const have = goDurationMs(current.duration);
  const changes = [];
  if (have !== wanted) changes.push(`duration ${human(have)} → ${human(wanted)}`);
  if (!current.default) changes.push("made default");
  if (changes.length === 0) {
    say(`retention policy "${s.policy}" on "${s.database}" is already ${human(wanted)} and the default: nothing to do`);
    return { database: "kept", policy: "kept" };
  }
  await post(`ALTER RETENTION POLICY ${rp} ON ${db}${have !== wanted ? ` DURATION ${durationLit}` : ""} DEFAULT`);
  say(`${s.dryRun ? "would alter" : "altered"} retention policy "${s.policy}" on "${s.database}": ${changes.join(", ")}`);
  return { database: "kept", policy: "altered" };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let s;
  try {
    s = settings(process.argv.slice(2), process.env);
  } catch (e) {
    process.stderr.write(`${e.message}\n\n${HELP}\n`);
    process.exit(2);
  }
  if (s.help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  setup(s).catch((e) => {
    process.stderr.write(`influx:setup failed: ${e.message}\n`);
    process.exit(1);
  });
}

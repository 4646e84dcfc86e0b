// Monitors as code: the example file and the editors' JSON Schema (checked with ajv); the plan's pure parts (diff,
// merge patch, order, what is printed); then `npm run monitors` run as a process against the real Worker under
// `wrangler dev`: plan, apply, plan again (nothing), a change, a removal (kept, then pruned), an invalid file,
// channels and maintenance windows, an editor's token, and a partial failure.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse, stringify } from "yaml";
import { monitorsFileJsonSchema, type MonitorsFile } from "../contract/monitors-file.ts";
import { expandEnv, loadMonitorsFile } from "../scripts/lib/monitors-load.ts";
import { MonitorsFile as FileSchema } from "../scripts/lib/monitors-worker.mjs";
import { deepEqual, diff, formatPlan, mergePatchBetween, plan, summaryLine, type Remote } from "../scripts/lib/monitors-plan.ts";
// @ts-expect-error plain ESM helper without types
import { ROOT, nodeBinary } from "../scripts/lib/proc.mjs";
// @ts-expect-error plain ESM helper without types
import { LOOPBACK_EGRESS_ALLOW, applyMigrations, startWorker } from "../scripts/lib/wrangler-dev.mjs";
import { apiClient, listenLoopback } from "./services/http.ts";
import { ApiFailure, apiClient as monitorsApi } from "../scripts/lib/monitors-api.ts";

const CLI = path.join(ROOT, "scripts/monitors.mjs");
const EXAMPLE = path.join(ROOT, "deploy/monitors.example.yaml");
const SCHEMA = path.join(ROOT, "deploy/monitors.schema.json");
const EXAMPLE_ENV = {
  API_HEALTH_TOKEN: "t0ken",
  SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T000/B000/abcdefghijkl",
  RELEASES_WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 7).toString("base64")}`,
};
const SECRET_A = `whsec_${Buffer.alloc(32, 1).toString("base64")}`;
const SECRET_B = `whsec_${Buffer.alloc(32, 2).toString("base64")}`;

describe("deploy/monitors.example.yaml and deploy/monitors.schema.json", () => {
  const schema = JSON.parse(readFileSync(SCHEMA, "utf8"));
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  const validate = ajv.compile(schema);
  const errors = (value: unknown) => (validate(value) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}`));
  const http = (id: string, extra: Record<string, unknown> = {}) => ({ id, kind: "http", target: "https://example.com/", ...extra });

  it("accepts the example in deploy/ once its environment variables are set", () => {
    const loaded = loadMonitorsFile(readFileSync(EXAMPLE, "utf8"), "monitors.example.yaml", EXAMPLE_ENV);
    expect(loaded.ok ? [] : loaded.problems).toEqual([]);
    if (!loaded.ok) return;
    expect(loaded.file.monitors!.map((m) => m.id)).toEqual([
      "homepage",
      "api-health",
      "db-primary",
      "core-router",
      "mail-certificate",
      "mail-mx",
      "nightly-backup",
    ]);
    expect(loaded.file.channels!.map((c) => c.url)).toContain(EXAMPLE_ENV.SLACK_WEBHOOK_URL);
  });

  it("is what zod generates from the schema (regenerate: npm run monitors -- schema)", () => {
    expect(schema).toEqual(monitorsFileJsonSchema(FileSchema));
  });

  it("validates the example file as written, its environment references included", () => {
    expect(errors(parse(readFileSync(EXAMPLE, "utf8")))).toEqual([]);
  });

  it("refuses unknown keys, wrong types and kinds, and missing required fields", () => {
    expect(errors({ monitors: [http("a", { intervall: 60 })] })).toContain("/monitors/0 must NOT have additional properties");
    expect(errors({ monitors: [http("a", { interval_s: "60" })] })).toContain("/monitors/0/interval_s must be integer");
    expect(errors({ monitors: [{ kind: "http", target: "https://example.com/" }] })).toContain(
      "/monitors/0 must have required property 'id'",
    );
    // `target` is required by kind (a heartbeat takes none): a rule between fields, which the zod schema judges.
    expect(FileSchema.safeParse({ monitors: [{ id: "a", kind: "http" }] }).error?.issues[0]).toMatchObject({
      path: ["monitors", 0, "target"],
      message: "is required for http monitors",
    });
    expect(errors({ monitors: [http("a", { kind: "gopher" })] })).toContain("/monitors/0/kind must be equal to one of the allowed values");
    expect(errors({ channels: [{ id: "x", kind: "carrier-pigeon", url: "https://example.com/" }] })).not.toEqual([]);
    expect(
      errors({ maintenance: [{ id: "m", name: "M", kind: "weekly", days: ["someday"], start: "02:00", duration_min: 60 }] }),
    ).not.toEqual([]);
    expect(errors({ monitor: [] })).toContain(" must NOT have additional properties");
  });
});

describe("the plan, without a server", () => {
  const file = (f: unknown): MonitorsFile => FileSchema.parse(f);
  const stored = (m: Record<string, unknown>) => ({
    ...FileSchema.parse({ monitors: [m] }).monitors![0],
    created_at: "x",
    state: { status: "up" },
  });

  it("expands references from the environment, keeps $$ before a brace literal, and names an unset or malformed one", () => {
    // "$" + "{": the file's reference syntax, written so that it is not mistaken for a template literal's.
    const open = "$" + "{";
    const ref = (name: string) => `${open}${name}}`;
    const r = expandEnv({ a: [`x-${ref("A")}-${ref("B")}`, `$${ref("A")}`], b: { c: ref("UNSET"), d: ref(" A ") } }, { A: "1", B: "" });
    expect(r.value).toEqual({ a: ["x-1-", ref("A")], b: { c: ref("UNSET"), d: ref(" A ") } });
    expect(r.problems.map((p) => `${p.path.join(".")}: ${p.message}`)).toEqual([
      "b.c: names the environment variable UNSET, which is not set",
      `b.d: has a "${open}" that is not a reference like ${ref("NAME")} (write "$${open}" for a literal "${open}")`,
    ]);
  });

  it("walks objects field by field, compares arrays whole, and builds the merge patch that closes the gap", () => {
    const from = { a: 1, tags: { team: "web", old: "x" }, list: [1, 2], gone: 5 };
    const to = { a: 2, tags: { team: "web", new: "y" }, list: [2, 1] };
    expect(diff(from, to).map((c) => c.path)).toEqual(["a", "tags.new", "tags.old", "list", "gone"]);
    expect(mergePatchBetween(from, to)).toEqual({ a: 2, tags: { old: null, new: "y" }, list: [2, 1], gone: null });
    expect(deepEqual({ a: undefined, b: [1] }, { b: [1] })).toBe(true);
  });

  it("compares against the server's normalised form, so omitted defaults are no change", () => {
    const remote: Remote = { monitors: [stored({ id: "web", kind: "http", target: "HTTPS://Example.com" })] };
    const p = plan(file({ monitors: [{ id: "web", kind: "http", target: "https://example.com/" }] }), remote);
    expect(p.steps).toEqual([]);
    expect(summaryLine(p)).toBe("0 to create, 0 to change, 0 to delete");
  });

  it("orders windows, channels, monitors, then deletes (monitors first), and keeps what the file lacks unless pruning", () => {
    const remote: Remote = {
      monitors: [stored({ id: "old", kind: "http", target: "https://old.example.com/" })],
      channels: [{ id: "gone", kind: "slack", url: "https://hooks.slack.com/…", name: "gone", monitors: [], events: [], enabled: true }],
      maintenance: [],
    };
    const f = file({
      monitors: [{ id: "new", kind: "http", target: "https://example.com/" }],
      channels: [{ id: "ops", kind: "slack", url: "https://hooks.slack.com/services/T0/B0/secretpart" }],
      maintenance: [{ id: "w", name: "W", kind: "weekly", days: ["sat"], start: "02:00", duration_min: 60 }],
    });
    const kept = plan(f, remote);
    expect(kept.steps.map((s) => `${s.op} ${s.section} ${s.id}`)).toEqual([
      "create maintenance w",
      "create channels ops",
      "create monitors new",
    ]);
    expect(kept.kept).toEqual([
      { section: "channels", id: "gone" },
      { section: "monitors", id: "old" },
    ]);
    const pruned = plan(f, remote, { prune: true });
    expect(pruned.steps.slice(3).map((s) => `${s.op} ${s.section} ${s.id}`)).toEqual(["delete monitors old", "delete channels gone"]);
    expect(summaryLine(pruned)).toBe("3 to create, 0 to change, 2 to delete");
    // The masked URL is printed, never the URL.
    expect(formatPlan(kept).join("\n")).not.toContain("secretpart");
  });

  it("prints header values, bodies and tcp payloads as hidden, and names unknown monitors a channel lists", () => {
    const remote: Remote = {
      monitors: [
        stored({ id: "api", kind: "http", target: "https://api.example.com/", http: { headers: { authorization: "Bearer old" } } }),
      ],
      channels: [],
    };
    const f = file({
      monitors: [
        { id: "api", kind: "http", target: "https://api.example.com/", http: { headers: { authorization: "Bearer new" }, body: "pw" } },
      ],
      channels: [{ id: "ops", kind: "slack", url: "https://hooks.slack.com/services/x", monitors: ["api", "apj"] }],
    });
    const text = formatPlan(plan(f, remote)).join("\n");
    expect(text).toContain("http.headers.authorization: changed (value hidden)");
    expect(text).toContain("http.body: changed (value hidden)");
    expect(text).not.toMatch(/Bearer|"pw"/);
    expect(text).toContain('warning: channel ops names monitor "apj", which is neither in the file nor on the server');
  });

  it("replaces a channel whose kind changed, and sends secrets again only with --rotate-secrets", () => {
    const url = "https://hooks.example.com/hooks/abcdefghijkl";
    const remote: Remote = {
      monitors: [],
      channels: [
        {
          id: "hook",
          name: "hook",
          kind: "webhook",
          url: "https://hooks.example.com/…ijkl",
          url_set: true,
          monitors: [],
          events: ["down", "up", "degraded", "certificate", "reminder"],
          enabled: true,
          secret_set: true,
        },
      ],
    };
    const same = file({ channels: [{ id: "hook", kind: "webhook", url, secret: SECRET_A }] });
    expect(plan(same, remote).steps).toEqual([]);
    const rotated = plan(same, remote, { rotateSecrets: true });
    expect(rotated.steps[0]!.requests).toEqual([{ method: "PATCH", path: "/api/v1/channels/hook", body: { url, secret: SECRET_A } }]);
    expect(formatPlan(rotated).join("\n")).not.toContain(SECRET_A);
    const slack = plan(file({ channels: [{ id: "hook", kind: "slack", url }] }), remote);
    expect(slack.steps.map((s) => [s.op, s.requests.map((r) => r.method)])).toEqual([["replace", ["DELETE", "POST"]]]);
    expect(summaryLine(slack)).toBe("1 to create, 0 to change, 1 to delete");
  });
});

describe("the API client", () => {
  it("waits out a 429 for its Retry-After, and reports a refusal with the API's code, message and issues", async () => {
    const answers = [
      new Response('{"error":{"code":"rate_limited","message":"too many requests for this token"}}', {
        status: 429,
        headers: { "retry-after": "7" },
      }),
      new Response('{"monitors":[]}', { status: 200 }),
      new Response(
        '{"error":{"code":"invalid_input","message":"monitor is invalid: 1 problem","issues":[{"path":"interval_s","message":"too small"}]}}',
        {
          status: 400,
        },
      ),
    ];
    const waits: number[] = [];
    const seen: Array<string | null> = [];
    const call = monitorsApi({
      url: "http://127.0.0.1:1",
      token: "tok",
      fetch: async (_url, init) => {
        seen.push(new Headers(init?.headers).get("authorization"));
        return answers.shift()!;
      },
      sleep: async (ms) => void waits.push(ms),
    });
    expect(await call("GET", "/api/v1/monitors")).toEqual({ monitors: [] });
    expect(waits).toEqual([7000]);
    expect(seen).toEqual(["Bearer tok", "Bearer tok"]);
    const refused = await call("POST", "/api/v1/monitors", {}).catch((e: ApiFailure) => e);
    expect(refused).toBeInstanceOf(ApiFailure);
    expect((refused as ApiFailure).describe()).toBe("HTTP 400 invalid_input: monitor is invalid: 1 problem (interval_s: too small)");
  });
});

describe("npm run monitors against the Worker", () => {
  const ADMIN = "mac-admin-token-0123456789abcdef";
  let worker: { url: string; stop(): Promise<void> };
  let receiver: { url: string; port: number; close(): Promise<void> };
  let dir: string;
  let state: string;
  let editorToken = "";
  const api = apiClient(() => worker.url, ADMIN);

  type Run = { code: number; out: string; err: string };
  /** Runs the CLI as a user would, from `dir`, with the token in the environment. */
  function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, UPTIME_URL: worker.url, UPTIME_TOKEN: ADMIN, HOOK_SECRET: SECRET_A, ...env };
    // npm sets INIT_CWD to where it was run; this run starts in `dir` without npm.
    delete childEnv.INIT_CWD;
    for (const [k, v] of Object.entries(childEnv)) if (v === undefined) delete childEnv[k];
    return new Promise((resolve, reject) => {
      const child = spawn(nodeBinary(), [CLI, ...args], { cwd: dir, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (err += d));
      child.on("error", reject);
      child.on("exit", (code) => resolve({ code: code ?? -1, out, err }));
    });
  }

  const hour = 3_600_000;
  const windowStart = new Date(Math.ceil(Date.now() / hour) * hour + 24 * hour);
  /** The file the tests edit: a spec per section, written as YAML (or JSON) before each run. */
  let spec: Record<string, any>;
  const write = (name = "monitors.yaml", content: unknown = spec) => {
    writeFileSync(path.join(dir, name), name.endsWith(".json") ? JSON.stringify(content) : stringify(content));
    return name;
  };

  beforeAll(async () => {
    receiver = await listenLoopback(createServer((_, res) => res.end("ok")));
    dir = mkdtempSync(path.join(tmpdir(), "ium-mac-"));
    state = mkdtempSync(path.join(tmpdir(), "ium-mac-state-"));
    await applyMigrations({ persistTo: state });
    worker = await startWorker({ persistTo: state, vars: { ADMIN_TOKEN: ADMIN, LOG_LEVEL: "warn", EGRESS_ALLOW: LOOPBACK_EGRESS_ALLOW } });
    const tok = await api("POST", "/api/v1/tokens", { name: "mac-editor", role: "editor" });
    expect(tok.status, tok.text).toBe(201);
    editorToken = tok.body.token;
    spec = {
      monitors: [
        { id: "web", name: "Web", kind: "http", target: `${worker.url}/healthz`, tags: { team: "web" } },
        { id: "db", kind: "tcp", target: `127.0.0.1:${receiver.port}`, interval_s: 30, locations: ["lab"] },
      ],
      channels: [
        { id: "ops", kind: "slack", url: `${receiver.url}/slack/ops-channel-aaaa`, events: ["down", "up"] },
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a reference the CLI expands from its environment
        { id: "hook", kind: "webhook", url: `${receiver.url}/webhook/releases`, secret: "${HOOK_SECRET}", monitors: ["web"] },
      ],
      maintenance: [
        { id: "patching", name: "Patching", kind: "weekly", days: ["sat"], start: "02:00", duration_min: 120, time_zone: "Europe/Berlin" },
        {
          id: "migration",
          name: "DB migration",
          kind: "once",
          starts_at: windowStart.toISOString(),
          ends_at: new Date(windowStart.getTime() + 2 * hour).toISOString(),
          monitors: ["db"],
        },
      ],
    };
  }, 240_000);

  afterAll(async () => {
    await worker?.stop();
    await receiver?.close();
    for (const d of [dir, state]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it("plans every item as a create on an empty Worker, exiting 2", async () => {
    const r = await cli(["plan", "-f", write()]);
    expect(r.code, r.err).toBe(2);
    for (const line of [
      "+ maintenance window patching",
      "+ maintenance window migration",
      "+ channel ops: slack",
      "+ channel hook",
      "+ monitor web",
      "+ monitor db",
    ])
      expect(r.out).toContain(line);
    expect(r.out).toContain("Plan: 6 to create, 0 to change, 0 to delete.");
    expect((await api("GET", "/api/v1/monitors")).body.monitors).toEqual([]);
  });

  it("applies them, and then plans and applies nothing: apply is idempotent", async () => {
    const r = await cli(["apply", "-f", write()]);
    expect(r.code, r.err + r.out).toBe(0);
    expect(r.out).toContain("created channel hook");
    expect(r.out).toContain("Apply complete: 6 created, 0 changed, 0 deleted.");
    const web = (await api("GET", "/api/v1/monitors/web")).body;
    expect(web).toMatchObject({ name: "Web", interval_s: 60, runner: "edge", tags: { team: "web" } });
    const hook = (await api("GET", "/api/v1/channels/hook")).body;
    expect(hook).toMatchObject({ kind: "webhook", secret_set: true, monitors: ["web"] });
    const again = await cli(["plan", "-f", "monitors.yaml"]);
    expect(again.code, again.out + again.err).toBe(0);
    expect(again.out).toContain("No changes");
    expect(again.out).toContain("Plan: 0 to create, 0 to change, 0 to delete.");
    const reapply = await cli(["apply", "-f", "monitors.yaml"]);
    expect(reapply.code).toBe(0);
    expect(reapply.out).not.toContain("Applying");
  });

  it("plans a changed field as one change naming it, and applies it", async () => {
    spec.monitors[0].interval_s = 120;
    spec.monitors[0].tags = { team: "platform" };
    const r = await cli(["plan", "-f", write()]);
    expect(r.code).toBe(2);
    expect(r.out).toContain("~ monitor web");
    expect(r.out).toContain("interval_s: 60 → 120");
    expect(r.out).toContain('tags.team: "web" → "platform"');
    expect(r.out).toContain("Plan: 0 to create, 1 to change, 0 to delete.");
    expect((await cli(["apply", "-f", "monitors.yaml"])).code).toBe(0);
    expect((await api("GET", "/api/v1/monitors/web")).body).toMatchObject({ interval_s: 120, tags: { team: "platform" } });
    expect((await cli(["plan", "-f", "monitors.yaml"])).code).toBe(0);
  });

  it("diffs channels by what GET shows (events, the masked URL) and maintenance windows field by field", async () => {
    spec.channels[0].events = ["down"];
    spec.channels[0].url = `${receiver.url}/slack/ops-channel-bbbb`;
    spec.maintenance[0].duration_min = 90;
    const r = await cli(["plan", "-f", write()]);
    expect(r.code).toBe(2);
    expect(r.out).toContain("~ channel ops");
    expect(r.out).toContain('events: ["down","up"] → ["down"]');
    expect(r.out).toMatch(/url: ".*…aaaa" → ".*…bbbb" \(compared masked\)/);
    expect(r.out).toContain("~ maintenance window patching");
    expect(r.out).toContain("duration_min: 120 → 90");
    expect(r.out).toContain("Plan: 0 to create, 2 to change, 0 to delete.");
    expect((await cli(["apply", "-f", "monitors.yaml"])).code).toBe(0);
    expect((await api("GET", "/api/v1/channels/ops")).body.url).toMatch(/…bbbb$/);
    expect((await cli(["plan", "-f", "monitors.yaml"])).code).toBe(0);
  });

  it("sends a webhook's secret only on create, or again with --rotate-secrets", async () => {
    const quiet = await cli(["plan", "-f", "monitors.yaml"], { HOOK_SECRET: SECRET_B });
    expect(quiet.code, quiet.out).toBe(0);
    const r = await cli(["apply", "--rotate-secrets", "-f", "monitors.yaml"], { HOOK_SECRET: SECRET_B });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("secret: sent again (--rotate-secrets)");
    expect(r.out + r.err).not.toContain(SECRET_B);
    expect((await api("GET", "/api/v1/channels/hook")).body.secret_set).toBe(true);
  });

  it("keeps what the file no longer has, and deletes it with --prune", async () => {
    spec.monitors = spec.monitors.filter((m: { id: string }) => m.id !== "db");
    spec.maintenance = spec.maintenance.filter((w: { id: string }) => w.id !== "migration");
    const kept = await cli(["plan", "-f", write()]);
    expect(kept.code, kept.out).toBe(0);
    expect(kept.out).toContain("= monitor db: not in the file, kept (--prune deletes it)");
    expect(kept.out).toContain("= maintenance window migration: not in the file, kept");
    expect(kept.out).toContain("Plan: 0 to create, 0 to change, 0 to delete.");
    const plan = await cli(["plan", "--prune", "-f", "monitors.yaml"]);
    expect(plan.code).toBe(2);
    expect(plan.out).toContain("- monitor db: not in the file");
    expect(plan.out).toContain("Plan: 0 to create, 0 to change, 2 to delete.");
    const r = await cli(["apply", "--prune", "-f", "monitors.yaml"]);
    expect(r.code, r.err).toBe(0);
    expect(r.out.indexOf("deleted monitor db")).toBeLessThan(r.out.indexOf("deleted maintenance window migration"));
    expect((await api("GET", "/api/v1/monitors/db")).status).toBe(404);
    expect((await api("GET", "/api/v1/maintenance/migration")).status).toBe(404);
    expect((await cli(["plan", "--prune", "-f", "monitors.yaml"])).code).toBe(0);
  });

  it("refuses an invalid file with exit 1, naming the line and the path, and changes nothing", async () => {
    const bad = structuredClone(spec);
    bad.monitors.push({ id: "fast", kind: "http", target: "https://example.com/", interval_s: 30, retries: 3 });
    const r = await cli(["apply", "-f", write("bad.yaml", bad)]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.yaml:\d+:\d+: monitors\[1\]\.interval_s: must be at least 60 for edge monitors/);
    expect(r.err).toMatch(/bad\.yaml:\d+:\d+: monitors\[1\]\.retries: is not a known field/);
    expect(r.err).toContain("error: bad.yaml is invalid: 2 problems");
    expect(r.out).toBe("");
    expect((await api("GET", "/api/v1/monitors/fast")).status).toBe(404);
    const missing = await cli(["plan", "-f", "monitors.yaml"], { HOOK_SECRET: undefined });
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(
      /monitors\.yaml:\d+:\d+: channels\[1\]\.secret: names the environment variable HOOK_SECRET, which is not set/,
    );
  });

  it("needs an admin's token for channels, and manages the rest with an editor's (JSON file)", async () => {
    const withChannels = await cli(["plan", "-f", "monitors.yaml"], { UPTIME_TOKEN: editorToken });
    expect(withChannels.code).toBe(1);
    expect(withChannels.err).toContain("reading channels: HTTP 403 forbidden");
    expect(withChannels.err).toContain("channels need an admin token");
    const { channels: _channels, ...rest } = spec;
    const r = await cli(["plan", "-f", write("no-channels.json", rest)], { UPTIME_TOKEN: editorToken });
    expect(r.code, r.err).toBe(0);
    expect(r.out).not.toMatch(/[-+~=] channel/);
    expect(r.out).toContain("No changes");
    const anonymous = await cli(["plan", "-f", "monitors.yaml"], { UPTIME_TOKEN: "" });
    expect(anonymous.code).toBe(1);
    expect(anonymous.err).toContain("set UPTIME_TOKEN");
  });

  it("shows the API's refusal with the item's id, stops, and says what was applied", async () => {
    const next = structuredClone(spec);
    next.maintenance.push({ id: "later", name: "Later", kind: "weekly", days: ["sun"], start: "03:00", duration_min: 30 });
    // The Worker's egress policy refuses link-local addresses (cloud metadata): a 400 only the server can give.
    next.channels.push({ id: "metadata", kind: "slack", url: "http://169.254.169.254/latest/hook" });
    next.monitors.push({ id: "api", kind: "http", target: `${worker.url}/readyz` });
    const r = await cli(["apply", "-f", write("partial.yaml", next)]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("created maintenance window later");
    expect(r.err).toMatch(/error: create channel metadata: HTTP 400 invalid_input: channel is invalid: .*\(url: /);
    expect(r.err).toContain("applied before the failure: create maintenance window later (1 of 3 steps)");
    expect(r.err).toContain("not applied: create channel metadata, create monitor api");
    expect((await api("GET", "/api/v1/monitors/api")).status).toBe(404);
    next.channels.pop();
    const fixed = await cli(["apply", "-f", write("partial.yaml", next)]);
    expect(fixed.code, fixed.err).toBe(0);
    expect(fixed.out).toContain("Apply complete: 1 created, 0 changed, 0 deleted.");
  });

  it("creates a heartbeat monitor (no target) and prints its ping URL once; plan then sees no change, and a grace change patches", async () => {
    spec.monitors.push({ id: "nightly", kind: "heartbeat", interval_s: 86400, heartbeat: { grace_s: 3600 } });
    const planned = await cli(["plan", "-f", write()]);
    expect(planned.code, planned.err).toBe(2);
    expect(planned.out).toContain("+ monitor nightly: heartbeat every 86400 s, grace 3600 s");
    const r = await cli(["apply", "-f", "monitors.yaml"]);
    expect(r.code, r.err + r.out).toBe(0);
    expect(r.out).toContain("created monitor nightly");
    const url = /ping URL \(shown once[^)]*\): (\S+)/.exec(r.out)?.[1];
    expect(url, r.out).toMatch(new RegExp(`^${worker.url}/ping/[A-Za-z0-9_-]{32}$`));
    // The URL works, and the plan compares the heartbeat without its (empty) target: nothing to change.
    expect((await fetch(url!, { method: "POST", body: "from the test" })).status).toBe(200);
    expect((await api("GET", "/api/v1/monitors/nightly")).body.state.status).toBe("up");
    const again = await cli(["plan", "-f", "monitors.yaml"]);
    expect(again.code, again.out).toBe(0);
    spec.monitors.at(-1).heartbeat.grace_s = 600;
    const changed = await cli(["apply", "-f", write()]);
    expect(changed.code, changed.err).toBe(0);
    expect(changed.out).toContain("changed monitor nightly (heartbeat.grace_s)");
    expect(changed.out).not.toContain("ping URL");
    expect((await api("GET", "/api/v1/monitors/nightly")).body.heartbeat).toEqual({ grace_s: 600 });
    // The key did not change with the monitor.
    expect((await fetch(url!)).status).toBe(200);
  });
});

// docker-compose.yml: `docker-compose config` accepts it, every path it mounts or builds from exists, images are
// pinned, start order waits on health, and .env.example holds every setting it reads (the Worker's included).
import { execFile } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { TRIM_CRON } from "../edge/src/scheduler/crons.ts";
// @ts-expect-error plain ESM helper without types
import { TRIM_CRON as LOCAL_TRIM_CRON, WORKER_SETTINGS } from "../scripts/lib/wrangler-dev.mjs";

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "..");
const read = (p: string) => readFileSync(path.join(ROOT, p), "utf8");
const SECRETS = {
  ADMIN_TOKEN: "compose-test-token-0123456789",
  INFLUX_PASSWORD: "p",
  INFLUX_READ_PASSWORD: "r",
  GRAFANA_ADMIN_PASSWORD: "g",
};

/** `docker-compose config` with .env.example and the given environment (Debian's docker-compose 1.29; npm test installs it). */
async function config(env: Record<string, string>) {
  const base = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" };
  try {
    const r = await run("docker-compose", ["-f", "docker-compose.yml", "--env-file", ".env.example", "config"], {
      cwd: ROOT,
      env: { ...base, ...env },
    });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as NodeJS.ErrnoException & { code: number | string; stdout: string; stderr: string };
    if (x.code === "ENOENT")
      throw new Error("docker-compose is not installed: npm test installs Debian's docker-compose (scripts/lib/provision.mjs)");
    return { code: Number(x.code), out: x.stdout, err: x.stderr };
  }
}

const vars = (text: string) => new Set([...text.matchAll(/\$\{(\w+)(?::?[-?][^}]*)?\}/g)].map((m) => m[1]!));
const envExample = new Map(
  read(".env.example")
    .split("\n")
    .filter((l) => /^\w+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as const),
);
const wranglerVars = [...(/\[vars\]\n([\s\S]*?)(\n\[|$)/.exec(read("wrangler.toml"))?.[1] ?? "").matchAll(/^(\w+) = "/gm)].map(
  (m) => m[1]!,
);

describe("docker-compose.yml", () => {
  it("is refused without the secrets, naming the missing one", async () => {
    const r = await config({});
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/set (ADMIN_TOKEN|INFLUX_PASSWORD|INFLUX_READ_PASSWORD|GRAFANA_ADMIN_PASSWORD) in \.env/);
  });

  it("is accepted by docker-compose config; every mounted path, build context and Dockerfile exists", async () => {
    const r = await config(SECRETS);
    expect(r.code, r.err).toBe(0);
    const c = parse(r.out);
    expect(Object.keys(c.services).sort()).toEqual(["agent-register", "edge", "grafana", "influx-setup", "influxdb", "probe-agent"]);
    const named = new Set(Object.keys(c.volumes ?? {}));
    let binds = 0;
    for (const [name, s] of Object.entries<any>(c.services)) {
      for (const v of s.volumes ?? []) {
        const source = typeof v === "string" ? v.split(":")[0]! : v.source;
        if (source.startsWith("/")) {
          binds++;
          expect(existsSync(source), `${name} mounts ${source}`).toBe(true);
        } else expect(named.has(source), `${name}: volume ${source} is declared`).toBe(true);
      }
      if (s.build) {
        expect(statSync(s.build.context).isDirectory(), `${name} build context`).toBe(true);
        const dockerfile = path.join(s.build.context, s.build.dockerfile);
        expect(existsSync(dockerfile), dockerfile).toBe(true);
        expect(existsSync(`${dockerfile}.dockerignore`), `${dockerfile}.dockerignore keeps the root context small`).toBe(true);
      }
    }
    expect(binds).toBe(2);
  });

  it("pins every image and base image, and mounts Grafana's provisioning where it reads it", async () => {
    const c = parse((await config(SECRETS)).out);
    for (const [name, s] of Object.entries<any>(c.services)) if (!s.build) expect(s.image, name).toMatch(/^[\w./-]+:\d+\.\d+\.\d+$/);
    for (const f of ["docker/edge/Dockerfile", "probe-agent/Dockerfile"])
      for (const [, image] of read(f).matchAll(/^FROM (\S+)/gm)) expect(image, f).toMatch(/:\d+\.\d+\.\d+-[\w-]+$/);
    const provider = parse(read("dashboards/provisioning/dashboards/uptime.yaml")).providers[0].options.path;
    const mounts = c.services.grafana.volumes.filter((v: unknown) => typeof v === "string").map((v: string) => v.split(":"));
    expect(mounts).toContainEqual([path.join(ROOT, "dashboards"), provider, "ro"]);
    expect(mounts).toContainEqual([path.join(ROOT, "dashboards/provisioning"), "/etc/grafana/provisioning", "ro"]);
    expect(c.services.grafana.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(`${provider}/overview.json`);
    for (const v of vars(read("dashboards/provisioning/datasources/influxdb.yaml")))
      expect(c.services.grafana.environment, v).toHaveProperty(v);
    expect(c.services["probe-agent"].cap_add).toEqual(["NET_RAW"]);
  });

  it("starts in order: each dependency waits for health or completion, and long-running services have healthchecks", async () => {
    const c = parse((await config(SECRETS)).out);
    for (const [name, s] of Object.entries<any>(c.services)) {
      const oneShot = s.restart === "no";
      if (!oneShot) expect(s.healthcheck?.test, `${name} healthcheck`).toBeDefined();
      for (const [dep, d] of Object.entries<any>(s.depends_on ?? {})) {
        const depOneShot = c.services[dep].restart === "no";
        expect(d.condition, `${name} → ${dep}`).toBe(depOneShot ? "service_completed_successfully" : "service_healthy");
      }
    }
    expect(Object.keys(c.services.edge.depends_on)).toEqual(["influx-setup"]);
    expect(Object.keys(c.services["probe-agent"].depends_on)).toEqual(["agent-register"]);
  });

  it("reads every setting from .env.example, which lists nothing it does not use", () => {
    const used = vars(read("docker-compose.yml"));
    expect([...used].filter((v) => !envExample.has(v))).toEqual([]);
    expect([...envExample.keys()].filter((v) => !used.has(v))).toEqual([]);
    for (const secret of Object.keys(SECRETS)) expect(envExample.get(secret), `${secret} has no default in .env.example`).toBe("");
  });

  it("gives the edge every Worker setting that wrangler.toml and npm start know", async () => {
    const edge = parse((await config(SECRETS)).out).services.edge.environment;
    expect(wranglerVars.length).toBeGreaterThan(10);
    // The stack's InfluxDB is 1.x with users; INFLUX_TOKEN is for 2.x/3.x and cannot go with them.
    for (const v of [...wranglerVars, ...WORKER_SETTINGS].filter((v) => v !== "INFLUX_TOKEN")) expect(edge, v).toHaveProperty(v);
    for (const v of wranglerVars) expect(WORKER_SETTINGS, `npm start passes ${v}`).toContain(v);
  });

  it("has the trim's cron in wrangler.toml, where the edge and npm start expect it", () => {
    expect(LOCAL_TRIM_CRON).toBe(TRIM_CRON);
    expect(read("wrangler.toml")).toMatch(new RegExp(`crons = \\[[^\\]]*"${TRIM_CRON.replace(/\*/g, "\\*")}"`));
  });
});

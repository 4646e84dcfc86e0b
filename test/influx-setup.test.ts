// `npm run influx:setup` against a real InfluxDB with authentication: idempotent, says what it did, follows its settings.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, influxQuery, startInflux, type InfluxServer } from "./services/influxdb.ts";

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "..");
let influx: InfluxServer;

beforeAll(async () => {
  influx = await startInflux({ auth: true });
}, 60_000);
afterAll(async () => {
  await influx?.destroy();
});

/** Runs the npm script's command with the Worker's settings as environment variables. */
async function setup(env: Record<string, string>, args: string[] = []) {
  try {
    const r = await run(process.execPath, [path.join(ROOT, "scripts/influx-setup.mjs"), ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        INFLUX_URL: influx.url,
        INFLUX_USERNAME: influx.username!,
        INFLUX_PASSWORD: influx.password!,
        ...env,
      },
    });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

const admin = () => ({ username: influx.username, password: influx.password });
type Policy = { name: string; duration: string; default: boolean };

async function databases(): Promise<string[]> {
  const r = (await influxQuery(influx.url, "SHOW DATABASES", admin())) as any;
  return (r.results[0].series?.[0]?.values ?? []).map((v: string[]) => v[0]).filter((n: string) => n !== "_internal");
}
async function policies(db: string): Promise<Policy[]> {
  const r = (await influxQuery(influx.url, `SHOW RETENTION POLICIES ON "${db}"`, admin())) as any;
  const s = r.results[0].series[0];
  return s.values
    .map((v: unknown[]) => Object.fromEntries(s.columns.map((c: string, i: number) => [c, v[i]])))
    .map((p: any) => ({ name: p.name, duration: p.duration, default: p.default }));
}

describe("influx:setup", () => {
  it("run twice leaves exactly one database and one policy with the configured duration, and says so", async () => {
    const env = { INFLUX_DATABASE: "uptime_setup", INFLUX_RETENTION_DURATION: "30d" };
    const first = await setup(env);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toContain('created database "uptime_setup" with retention policy "autogen" (30d, default)');
    const second = await setup(env);
    expect(second.code, second.err).toBe(0);
    expect(second.out).toContain('retention policy "autogen" on "uptime_setup" is already 30d and the default: nothing to do');
    expect(await databases()).toEqual(["uptime_setup"]);
    expect(await policies("uptime_setup")).toEqual([{ name: "autogen", duration: "720h0m0s", default: true }]);
  });

  it("defaults to 400 days and brings an existing policy to it; a named policy is created as the default", async () => {
    await createDatabase(influx, "uptime_existing"); // autogen, infinite: what CREATE DATABASE gives
    const altered = await setup({ INFLUX_DATABASE: "uptime_existing" });
    expect(altered.code, altered.err).toBe(0);
    expect(altered.out).toContain('altered retention policy "autogen" on "uptime_existing": duration infinite → 400d');
    expect(await policies("uptime_existing")).toEqual([{ name: "autogen", duration: "9600h0m0s", default: true }]);

    const named = await setup({ INFLUX_DATABASE: "uptime_existing", INFLUX_RETENTION_POLICY: "one_year" }, ["--duration", "52w"]);
    expect(named.code, named.err).toBe(0);
    expect(named.out).toContain('created retention policy "one_year" on "uptime_existing" (364d, default)');
    expect(await policies("uptime_existing")).toEqual([
      { name: "autogen", duration: "9600h0m0s", default: false },
      { name: "one_year", duration: "8736h0m0s", default: true },
    ]);
  });

  it("changes nothing with --dry-run, and refuses bad settings and bad credentials with a clear message", async () => {
    const dry = await setup({ INFLUX_DATABASE: "uptime_dry" }, ["--dry-run"]);
    expect(dry.code, dry.err).toBe(0);
    expect(dry.out).toContain('would run: CREATE DATABASE "uptime_dry" WITH DURATION 400d REPLICATION 1 NAME "autogen"');
    expect(await databases()).not.toContain("uptime_dry");

    const bad = await setup({ INFLUX_DATABASE: "uptime_bad", INFLUX_RETENTION_DURATION: "10 days" });
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('duration "10 days" is not an InfluxQL duration');
    const denied = await setup({ INFLUX_DATABASE: "uptime_denied", INFLUX_PASSWORD: "wrong" });
    expect(denied.code).toBe(1);
    expect(denied.err).toMatch(/InfluxDB answered 401 .*check INFLUX_USERNAME\/INFLUX_PASSWORD/);
  });
});

// The agent's image (probe-agent/Dockerfile) and the edge's (docker/edge/Dockerfile, which docker-compose.yml builds),
// built for real with Debian's buildah (chroot isolation) on a locally made stand-in for the official Node base image
// (test/services/image-build.ts), then run: what the images hold, who they run as, the agent's ICMP checks with
// NET_RAW and without it, and the compose stack's edge, agent-register job and agent talking to each other.
// A missing prerequisite fails the tests with the reason; nothing is skipped.
import { chownSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { CheckResult } from "../contract/index.ts";
import { EdgeStub, idsDueSoon, waitFor } from "../probe-agent/test/helpers.ts";
import {
  BASE_IMAGE,
  buildImage,
  ensureBaseImage,
  exec,
  freePort,
  fromImage,
  imageToolsUnavailable,
  jsonLines,
  linkedNetns,
  type LinkedNetns,
  removeContainers,
  ROOT,
  runIn,
  startIn,
  tail,
} from "./services/image-build.ts";

const AGENT_IMAGE = "localhost/uptime-probe-agent:test";
const EDGE_IMAGE = "localhost/uptime-edge:test";
const ADMIN_TOKEN = "test-admin-token-0123456789";
const MINUTES = 60_000;

const timings: string[] = [];
const dirs: string[] = [];
const cleanups: Array<() => Promise<void>> = [];

/** A directory for a volume, owned by the images' `node` user (uid and gid 1000), as a fresh named volume would be. */
function volumeDir(prefix: string): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  chownSync(d, 1000, 1000);
  dirs.push(d);
  return d;
}

type ImageConfig = {
  User: string;
  Cmd: string[];
  Env: string[];
  WorkingDir: string;
  ExposedPorts: Record<string, object>;
  Volumes: Record<string, object> | null;
  Healthcheck: { Test: string[] };
};

async function imageConfig(image: string): Promise<ImageConfig> {
  const r = await exec("buildah", ["inspect", "--type", "image", image]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).Docker.config as ImageConfig;
}

/** The exec-form CMD and HEALTHCHECK CMD of a Dockerfile. */
function dockerfileCommands(file: string): { cmd: string[]; health: string[] } {
  const text = readFileSync(path.join(ROOT, file), "utf8");
  const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(text)![1]!) as string[];
  const health = JSON.parse(/^\s*CMD (\[.*\])$/m.exec(text.slice(text.indexOf("HEALTHCHECK")))![1]!) as string[];
  return { cmd, health };
}

beforeAll(async () => {
  const why = await imageToolsUnavailable();
  if (why) throw new Error(`cannot build the images here: ${why}`);
  const t = Date.now();
  const how = await ensureBaseImage();
  timings.push(`base image ${BASE_IMAGE}: ${how} in ${((Date.now() - t) / 1000).toFixed(0)} s`);
}, 30 * MINUTES);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  await removeContainers();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  if (timings.length) process.stdout.write(`[images] ${timings.join("; ")}\n`);
}, 2 * MINUTES);

describe("probe-agent/Dockerfile, built and run", () => {
  beforeAll(async () => {
    const { ms } = await buildImage("probe-agent/Dockerfile", AGENT_IMAGE);
    timings.push(`agent image built in ${(ms / 1000).toFixed(0)} s`);
  }, 30 * MINUTES);

  it("is configured as the Dockerfile says: user node, the bundle's CMD and HEALTHCHECK, the data volume, port 9464", async () => {
    const config = await imageConfig(AGENT_IMAGE);
    const { cmd, health } = dockerfileCommands("probe-agent/Dockerfile");
    expect(config.User).toBe("node");
    expect(config.WorkingDir).toBe("/app");
    expect(config.Cmd).toEqual(cmd);
    expect(config.Healthcheck.Test).toEqual(["CMD", ...health]);
    expect(config.Env).toEqual(
      expect.arrayContaining(["NODE_ENV=production", "AGENT_DATA_DIR=/var/lib/probe-agent", "AGENT_LISTEN=0.0.0.0:9464"]),
    );
    expect(Object.keys(config.ExposedPorts)).toEqual(["9464/tcp"]);
    expect(Object.keys(config.Volumes ?? {})).toEqual(["/var/lib/probe-agent"]);
  });

  it("runs as uid 1000 with Node 24 and only the two bundled files; ping and fping hold CAP_NET_RAW as a file capability, not setuid", async () => {
    const ctr = await fromImage(AGENT_IMAGE);
    const sh = async (script: string, user?: string) => {
      const r = await runIn(ctr, ["sh", "-c", script], { user });
      expect(r.code, `${script}\n${r.stdout}${r.stderr}`).toBe(0);
      return r.stdout.trim();
    };
    expect(await sh("id -u; id -g; node --version")).toBe("1000\n1000\nv24.21.0");
    expect(await sh("ls -A /app")).toBe("agent.mjs\nhealthcheck.mjs");
    expect(await sh("stat -c '%U:%G %a' /var/lib/probe-agent")).toBe("node:node 755");
    // getcap comes with libcap2-bin, which both packages depend on.
    expect(await sh('getcap /usr/bin/fping "$(readlink -f /bin/ping)"')).toBe("/usr/bin/fping cap_net_raw=ep\n/usr/bin/ping cap_net_raw=p");
    expect(await sh('stat -c "%a %U %n" /usr/bin/fping "$(readlink -f /bin/ping)"')).toBe(
      "755 root /usr/bin/fping\n755 root /usr/bin/ping",
    );
    expect(await sh("find / -xdev -perm -4000 -name '*ping*'", "root")).toBe("");
  });

  it("starts the agent from its CMD and exits 1 on a missing configuration, naming it", async () => {
    const ctr = await fromImage(AGENT_IMAGE);
    const { cmd } = dockerfileCommands("probe-agent/Dockerfile");
    const r = await runIn(ctr, cmd);
    expect(r.code, r.stderr).toBe(1);
    const fatal = jsonLines(r.stdout).at(-1)!;
    expect(fatal).toMatchObject({ level: "fatal", service: "probe-agent" });
    expect(fatal.msg).toMatch(/^invalid configuration/);
    expect(fatal.issues.map((i: { path: string }) => i.path)).toContain("EDGE_URL");
  });

  /**
   * ping and fping as the agent's user in a network namespace of their own, whose ping_group_range is `range`
   * ("1 0" allows no group: the kernel's default; "0 2147483647" allows all: what the restricted overlay sets).
   */
  async function icmpTools(caps: { capAdd?: string[]; capDrop?: string[] }, range: string) {
    const ns = await linkedNetns(range);
    cleanups.push(() => ns.destroy());
    const ctr = await fromImage(AGENT_IMAGE);
    // Through a shell, which reports a refused execve as 126 "Operation not permitted", as an engine's exec would fail.
    const run = (command: string) => runIn(ctr, ["sh", "-c", `${command}; exit $?`], { ...caps, wrap: ns.command([]) });
    const [ping, fping] = [await run("ping -c1 -W2 127.0.0.1"), await run("fping -c1 -t1000 127.0.0.1")];
    await ns.destroy();
    return {
      ping: { code: ping.code, out: `${ping.stdout}${ping.stderr}` },
      fping: { code: fping.code, out: `${fping.stdout}${fping.stderr}` },
    };
  }

  it(
    "pings with NET_RAW: ping and fping both work, whatever ping_group_range says",
    async () => {
      const r = await icmpTools({ capAdd: ["CAP_NET_RAW"] }, "1 0");
      expect(r.ping.code, r.ping.out).toBe(0);
      expect(r.ping.out).toContain("1 received");
      expect(r.fping.code, r.fping.out).toBe(0);
      expect(r.fping.out).toContain("xmt/rcv/%loss = 1/1/0%");
    },
    2 * MINUTES,
  );

  it(
    "without NET_RAW: fping cannot even start (its +ep capability is not grantable); ping starts but gets no socket",
    async () => {
      const r = await icmpTools({ capDrop: ["CAP_NET_RAW"] }, "1 0");
      // A file whose capabilities are effective (+ep) is refused by execve when the bounding set lacks one of them.
      expect(r.fping.code, r.fping.out).toBe(126);
      expect(r.fping.out).toContain("Operation not permitted");
      expect(r.ping.code, r.ping.out).toBe(2);
      expect(r.ping.out).toContain("missing cap_net_raw+p capability or setuid?");
    },
    2 * MINUTES,
  );

  it(
    "without NET_RAW but with ping_group_range allowing the agent's group: ping works on an unprivileged ICMP socket",
    async () => {
      const r = await icmpTools({ capDrop: ["CAP_NET_RAW"] }, "0 2147483647");
      expect(r.ping.code, r.ping.out).toBe(0);
      expect(r.ping.out).toContain("1 received");
      expect(r.fping.code, r.fping.out).toBe(126);
    },
    2 * MINUTES,
  );

  /** The agent (the image's CMD) in a namespace of its own, assigned one ICMP check of 127.0.0.1 by a stand-in edge. */
  async function agentIcmp(caps: { capAdd?: string[]; capDrop?: string[] }, range: string) {
    const ns: LinkedNetns = await linkedNetns(range);
    cleanups.push(() => ns.destroy());
    const edge = await new EdgeStub().start();
    cleanups.push(() => edge.close());
    const [id] = idsDueSoon(`icmp-${range.replace(/\D+/g, "-")}`, 1, 10_000, 1000, 4000);
    edge.assignments.monitors = [{ id, kind: "icmp", target: "127.0.0.1", interval_s: 10, timeout_ms: 2000, confirm_failures: false }];
    const edgePort = await ns.forward(Number(new URL(edge.url).port));
    const ctr = await fromImage(AGENT_IMAGE);
    const { cmd, health } = dockerfileCommands("probe-agent/Dockerfile");
    const agent = startIn(ctr, cmd, {
      ...caps,
      wrap: ns.command([]),
      env: {
        EDGE_URL: `http://${ns.hostAddress}:${edgePort}`,
        AGENT_TOKEN: "test-agent-token",
        AGENT_LISTEN: "127.0.0.1:0",
        ASSIGNMENTS_REFRESH_S: "1",
      },
      volumes: [`${volumeDir("ium-image-agent-")}:/var/lib/probe-agent`],
    });
    cleanups.push(() => agent.stop());
    try {
      const result = await waitFor(
        () => [...edge.stored.values()].find((r: CheckResult) => r.monitor === id),
        45_000,
        `the agent's result for ${id}`,
      ).catch((e: Error) => {
        throw new Error(`${e.message}; the agent said:\n${tail(agent.output(), 20)}`);
      });
      // The image's HEALTHCHECK, run beside the agent as an engine would.
      const listen = jsonLines(agent.output()).find((l) => l.msg === "agent started")!.listen as string;
      const probe = await runIn(await fromImage(AGENT_IMAGE), health, {
        wrap: ns.command([]),
        env: { AGENT_LISTEN: new URL(listen).host },
      });
      return { result, health: probe, logs: jsonLines(agent.output()) };
    } finally {
      await agent.stop();
      await edge.close();
      await ns.destroy();
    }
  }

  it(
    "the agent's ICMP checks: batched fping with NET_RAW; a permission error without it; iputils ping with ping_group_range",
    async () => {
      const [withRaw, without, unprivileged] = await Promise.all([
        agentIcmp({ capAdd: ["CAP_NET_RAW"] }, "1 0"),
        agentIcmp({ capDrop: ["CAP_NET_RAW"] }, "1 0"),
        agentIcmp({ capDrop: ["CAP_NET_RAW"] }, "0 2147483647"),
      ]);
      expect(withRaw.result).toMatchObject({ ok: true, error: null, icmp: { sent: 3, received: 3, loss: 0 } });
      expect(withRaw.health.code, withRaw.health.stdout).toBe(0);
      expect(without.result.ok).toBe(false);
      expect(without.result.error).toMatchObject({ kind: "permission" });
      expect(without.result.error!.message).toContain("Grant it the CAP_NET_RAW capability");
      expect(without.result.error!.message).toContain('the range is now "1 0", which allows no group');
      // An agent that cannot ping is still healthy: the check reports the problem, not the agent.
      expect(without.health.code, without.health.stdout).toBe(0);
      // One iputils ping per check, its echo requests a second apart within the check's 2 s: fewer than fping's 3.
      expect(unprivileged.result).toMatchObject({ ok: true, error: null, icmp: { loss: 0 } });
      expect(unprivileged.result.icmp!.received).toBeGreaterThanOrEqual(1);
      expect(unprivileged.health.code, unprivileged.health.stdout).toBe(0);
    },
    5 * MINUTES,
  );
});

describe("docker/edge/Dockerfile (docker-compose.yml's edge image), built and run with the agent's", () => {
  const compose = parse(readFileSync(path.join(ROOT, "docker-compose.yml"), "utf8"), { merge: true }) as {
    services: Record<
      string,
      { build?: { dockerfile: string }; command?: string[]; cap_add?: string[]; environment?: Record<string, string> }
    >;
  };

  beforeAll(async () => {
    expect(compose.services.edge!.build!.dockerfile).toBe("docker/edge/Dockerfile");
    expect(compose.services["probe-agent"]!.build!.dockerfile).toBe("probe-agent/Dockerfile");
    const { ms } = await buildImage("docker/edge/Dockerfile", EDGE_IMAGE);
    timings.push(`edge image built in ${(ms / 1000).toFixed(0)} s`);
  }, 30 * MINUTES);

  it("holds the Worker's sources and its npm ci, nothing else of the repository, and runs as node with Node 24", async () => {
    const config = await imageConfig(EDGE_IMAGE);
    const { cmd, health } = dockerfileCommands("docker/edge/Dockerfile");
    expect(config).toMatchObject({ User: "node", WorkingDir: "/app", Cmd: cmd });
    expect(config.Healthcheck.Test).toEqual(["CMD", ...health]);
    const ctr = await fromImage(EDGE_IMAGE);
    const r = await runIn(ctr, [
      "sh",
      "-c",
      "id -u; node --version; ls -A /app | sort | tr '\\n' ' '; echo; find /app -path /app/node_modules -prune -o -name '*.test.ts' -print; " +
        "test -x node_modules/.bin/wrangler && test -d node_modules/@cloudflare/workerd-linux-64 && echo deps",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual([
      "1000",
      "v24.21.0",
      "contract docker edge node_modules package-lock.json package.json scripts tsconfig.base.json tsconfig.json ui wrangler.toml ",
      "deps",
    ]);
  });

  it(
    "runs the compose stack's edge, agent-register and probe-agent: the agent's ICMP results reach the edge",
    async () => {
      const port = await freePort();
      const edge = startIn(await fromImage(EDGE_IMAGE), dockerfileCommands("docker/edge/Dockerfile").cmd, {
        // No InfluxDB here: the Worker's embedded point store in D1 keeps the results.
        env: { PORT: String(port), ADMIN_TOKEN, UPTIME_SEED: "false" },
        volumes: [`${volumeDir("ium-image-edge-")}:/data`],
      });
      cleanups.push(() => edge.stop());
      const base = `http://127.0.0.1:${port}`;
      await waitFor(() => edge.output().includes("[start] ready:") || edge.child.exitCode !== null, 3 * MINUTES, "the edge container").then(
        () => {
          if (!edge.output().includes("[start] ready:")) throw new Error(`the edge container exited:\n${tail(edge.output())}`);
        },
      );
      expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: "ready" });
      const health = await runIn(await fromImage(EDGE_IMAGE), dockerfileCommands("docker/edge/Dockerfile").health, {
        env: { PORT: String(port) },
      });
      expect(health.code, `${health.stdout}${health.stderr}`).toBe(0);

      // agent-register: compose's command, in the edge image, the token left in the shared volume.
      const tokenDir = volumeDir("ium-image-token-");
      const register = compose.services["agent-register"]!;
      const reg = await runIn(await fromImage(EDGE_IMAGE), register.command!, {
        env: {
          EDGE_URL: base,
          ADMIN_TOKEN,
          AGENT_ID: "image-1",
          AGENT_LOCATION: "image",
          AGENT_TOKEN_FILE: register.environment!.AGENT_TOKEN_FILE!,
          UPTIME_SEED: "false",
        },
        volumes: [`${tokenDir}:/run/agent`],
      });
      expect(reg.code, `${reg.stdout}${reg.stderr}`).toBe(0);
      expect(reg.stdout).toContain('registered agent "image-1" in location "image"');

      const api = (method: string, p: string, body?: unknown) =>
        fetch(`${base}${p}`, {
          method,
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      const created = await api("POST", "/api/v1/monitors", {
        id: "image-icmp",
        kind: "icmp",
        target: "127.0.0.1",
        interval_s: 10,
        timeout_ms: 2000,
        locations: ["image"],
      });
      expect(created.status).toBe(201);

      // probe-agent: compose's command (the token read from the volume) and capabilities.
      const service = compose.services["probe-agent"]!;
      expect(service.cap_add).toEqual(["NET_RAW"]);
      const agent = startIn(
        await fromImage(AGENT_IMAGE),
        service.command!.map((a) => a.replaceAll("$$", "$")),
        {
          capAdd: service.cap_add!.map((c) => `CAP_${c}`),
          env: { EDGE_URL: base, AGENT_LISTEN: "127.0.0.1:0", ASSIGNMENTS_REFRESH_S: "2" },
          volumes: [`${tokenDir}:/run/agent:ro`, `${volumeDir("ium-image-agent-")}:/var/lib/probe-agent`],
        },
      );
      cleanups.push(() => agent.stop());
      const check = await waitFor(
        async () => {
          await new Promise((r) => setTimeout(r, 500));
          const r = await api("GET", "/api/v1/monitors/image-icmp/checks");
          const body = (await r.json()) as { checks?: Array<Record<string, any>> };
          return body.checks?.find((c) => c.ok);
        },
        90_000,
        "an ICMP result of the agent container in the edge container",
      ).catch((e: Error) => {
        throw new Error(`${e.message}; the agent said:\n${tail(agent.output(), 15)}\nthe edge said:\n${tail(edge.output(), 15)}`);
      });
      expect(check).toMatchObject({ monitor: "image-icmp", agent: "image-1", location: "image", error: null, icmp: { received: 3 } });
      await agent.stop();
      await edge.stop();
    },
    8 * MINUTES,
  );
});

// probe-agent/Dockerfile without a container engine: its build stage is replayed on the files its
// .dockerignore lets into the context (the repository's node_modules standing in for `npm ci` from
// the same lock), and the final stage's files are run from a directory with no node_modules around
// them, as in the image: the bundle must start on its own, and CMD and HEALTHCHECK must name it.
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "..");
const NODE = path.join(ROOT, "node_modules/.bin/node");
const DOCKERFILE = readFileSync(path.join(ROOT, "probe-agent/Dockerfile"), "utf8");

/** .dockerignore semantics for the patterns used here: the last matching pattern decides; a match covers a directory's contents. */
function ignoredBy(patterns: string[]): (rel: string) => boolean {
  const rules = patterns.map((p) => {
    const negate = p.startsWith("!");
    const body = (negate ? p.slice(1) : p).replace(/\/$/, "");
    const re = body
      .split(/(\*\*\/?|\*)/)
      .map((part) => (part === "**" || part === "**/" ? ".*" : part === "*" ? "[^/]*" : part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")))
      .join("");
    return { negate, re: new RegExp(`^${re}(/.*)?$`) };
  });
  return (rel) => {
    let ignored = false;
    for (const r of rules) if (r.re.test(rel)) ignored = !r.negate;
    return ignored;
  };
}

/** The build context as BuildKit would send it: every file of the repository its .dockerignore does not exclude. */
function contextFiles(): string[] {
  const patterns = readFileSync(path.join(ROOT, "probe-agent/Dockerfile.dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  const ignored = ignoredBy(patterns);
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(ROOT, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      if (r === "node_modules" || r === ".git") continue;
      if (statSync(path.join(ROOT, r)).isDirectory()) walk(r);
      else if (!ignored(r)) out.push(r);
    }
  };
  walk("");
  return out;
}

type Stage = {
  name: string | null;
  workdir: string;
  copies: Array<{ from: string | null; sources: string[]; dest: string }>;
  runs: string[];
};

function stages(): Stage[] {
  const out: Stage[] = [];
  const lines = DOCKERFILE.replace(/\\\n/g, " ").split("\n");
  for (const line of lines) {
    const [op, ...rest] = line.trim().split(/\s+/);
    if (op === "FROM") out.push({ name: /\bAS\s+(\S+)/i.exec(line)?.[1] ?? null, workdir: "/", copies: [], runs: [] });
    const stage = out.at(-1);
    if (!stage) continue;
    if (op === "WORKDIR") stage.workdir = rest[0]!;
    if (op === "RUN") stage.runs.push(rest.join(" "));
    if (op === "COPY") {
      const from = rest[0]!.startsWith("--from=") ? rest.shift()!.slice(7) : null;
      const dest = rest.pop()!;
      stage.copies.push({ from, sources: rest, dest });
    }
  }
  return out;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("probe-agent/Dockerfile", () => {
  it("builds the bundle from its context and the image's two files run on their own", async () => {
    const [build, final] = stages();
    expect(build!.name).toBe("build");
    expect(final!.name).toBeNull();
    const context = contextFiles();
    // Tests, test helpers and the rest of the repository stay out of the context.
    expect(context.some((f) => f.endsWith(".test.ts"))).toBe(false);
    expect(context.some((f) => f.startsWith("edge/") || f.startsWith("test/") || f.startsWith("ui/"))).toBe(false);

    // Build stage: its COPYs, from the context only, into a scratch root; then its RUNs.
    const scratch = mkdtempSync(path.join(tmpdir(), "ium-agent-image-"));
    dirs.push(scratch);
    const at = (stageRoot: string, p: string, workdir: string) =>
      path.join(stageRoot, path.posix.isAbsolute(p) ? p : path.posix.join(workdir, p));
    const buildRoot = path.join(scratch, "build");
    for (const c of build!.copies) {
      expect(c.from).toBeNull();
      for (const src of c.sources) {
        const files = context.filter((f) => f === src.replace(/\/$/, "") || f.startsWith(src.endsWith("/") ? src : `${src}/`));
        expect(files.length, `COPY ${src}: nothing in the build context`).toBeGreaterThan(0);
        for (const f of files) {
          const dest = c.dest.endsWith("/")
            ? at(
                buildRoot,
                path.posix.join(c.dest, src.endsWith("/") ? path.posix.relative(src, f) : path.posix.basename(f)),
                build!.workdir,
              )
            : at(buildRoot, c.dest, build!.workdir);
          mkdirSync(path.dirname(dest), { recursive: true });
          cpSync(path.join(ROOT, f), dest);
        }
      }
    }
    const workdir = at(buildRoot, ".", build!.workdir);
    expect(build!.runs).toEqual(["npm ci --ignore-scripts --no-audit --no-fund", "node scripts/build-agent.mjs"]);
    symlinkSync(path.join(ROOT, "node_modules"), path.join(workdir, "node_modules")); // npm ci from the same lock
    await run(NODE, ["scripts/build-agent.mjs"], { cwd: workdir });

    // Final stage: only what it copies from the build stage, somewhere with no node_modules above it.
    const app = path.join(scratch, "image");
    for (const c of final!.copies) {
      expect(c.from).toBe("build");
      for (const src of c.sources) {
        const file = at(buildRoot, src, "/");
        expect(existsSync(file), `COPY --from=build ${src}`).toBe(true);
        mkdirSync(at(app, c.dest, final!.workdir), { recursive: true });
        cpSync(file, path.join(at(app, c.dest, final!.workdir), path.basename(src)));
      }
    }
    const appDir = at(app, ".", final!.workdir);
    expect(readdirSync(appDir).sort()).toEqual(["agent.mjs", "healthcheck.mjs"]);
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(DOCKERFILE)![1]!) as string[];
    const health = JSON.parse(/^\s*CMD (\[.*\])$/m.exec(DOCKERFILE.slice(DOCKERFILE.indexOf("HEALTHCHECK")))![1]!) as string[];
    expect(cmd[0]).toBe("node");
    expect(health[0]).toBe("node");
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: tmpdir(), NODE_PATH: "" };

    // CMD: the agent starts, validates its (missing) configuration and exits 1 naming both settings.
    const agent = await run(NODE, cmd.slice(1), { cwd: appDir, env }).then(
      () => ({ code: 0, stdout: "" }),
      (e: { code: number; stdout: string }) => e,
    );
    expect(agent.code).toBe(1);
    const fatal = JSON.parse(agent.stdout.trim().split("\n").pop()!);
    expect(fatal).toMatchObject({ level: "fatal", service: "probe-agent", msg: "invalid configuration: 2 problems; see issues" });
    expect(fatal.issues.map((i: { path: string }) => i.path)).toEqual(["EDGE_URL", "AGENT_TOKEN"]);

    // HEALTHCHECK: exits 1 when nothing answers at AGENT_LISTEN, saying where it asked.
    const probe = await run(NODE, health.slice(1), { cwd: appDir, env: { ...env, AGENT_LISTEN: "127.0.0.1:9" } }).then(
      () => ({ code: 0, stdout: "" }),
      (e: { code: number; stdout: string }) => e,
    );
    expect(probe.code).toBe(1);
    expect(probe.stdout).toContain("http://127.0.0.1:9/healthz");
  });
});

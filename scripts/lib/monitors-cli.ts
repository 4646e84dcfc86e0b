// `npm run monitors -- plan|apply|validate|schema`: monitors as code against a running Worker. The flow of a run
// reads top to bottom in main(): arguments → file → server's state → plan → (apply) → exit code.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { monitorsFileJsonSchema } from "../../contract/monitors-file.ts";
import { MonitorsFile } from "./monitors-worker.mjs";
import { ApiFailure, ApplyFailure, apiClient, applyPlan, readRemote } from "./monitors-api.ts";
import { loadMonitorsFile } from "./monitors-load.ts";
import { counts, formatPlan, NOUN, plan } from "./monitors-plan.ts";

/** Exit codes, as `terraform plan -detailed-exitcode`: 0 nothing to do (or done), 1 an error, 2 a plan with changes. */
export const EXIT = { ok: 0, error: 1, changes: 2 } as const;

export const SCHEMA_PATH = path.resolve(import.meta.dirname, "../../deploy/monitors.schema.json");

export const USAGE = `usage: npm run monitors -- <command> [options]

commands:
  plan -f FILE       show what apply would create, change and delete (exit 0: no changes, 2: changes, 1: an error)
  apply -f FILE      make the server match the file; a second apply does nothing
  validate -f FILE   check the file alone, without a server
  schema [-o FILE]   write the file's JSON Schema (default deploy/monitors.schema.json; "-o -" prints it)

options:
  -f, --file FILE      the monitors file, YAML or JSON (default monitors.yaml)
  --url URL            the Worker's address (default: the UPTIME_URL environment variable)
  --prune              delete what the server has and the file lacks, in the sections the file has
  --rotate-secrets     send channel URLs and webhook secrets again (the API never shows them, so they cannot be compared)
  -h, --help           this text

environment:
  UPTIME_TOKEN   an editor's token, or an admin's when the file has channels (never given as a flag)
  UPTIME_URL     the Worker's address, when --url is not given
  ...            any variable the file names as \${NAME}
`;

export type Io = {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  out: (line: string) => void;
  err: (line: string) => void;
  fetch?: typeof fetch;
};

function baseUrl(given: string | undefined): string {
  if (!given) throw new Error("no Worker address: give --url or set UPTIME_URL");
  let u: URL;
  try {
    u = new URL(given);
  } catch {
    throw new Error(`--url ${JSON.stringify(given)} is not a URL`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`--url must be an http:// or https:// URL`);
  return u.href.replace(/\/+$/, "");
}

export async function main(argv: string[], io: Io): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (e) {
    io.err(`error: ${(e as Error).message}`);
    io.err(USAGE);
    return EXIT.error;
  }
  const { values, positionals } = args;
  const command = positionals[0];
  if (values.help || command === undefined || command === "help") {
    (command === undefined && !values.help ? io.err : io.out)(USAGE);
    return command === undefined && !values.help ? EXIT.error : EXIT.ok;
  }
  if (!["plan", "apply", "validate", "schema"].includes(command) || positionals.length > 1) {
    io.err(`error: unknown command ${JSON.stringify(positionals.join(" "))}`);
    io.err(USAGE);
    return EXIT.error;
  }

  if (command === "schema") {
    const text = `${JSON.stringify(monitorsFileJsonSchema(MonitorsFile), null, 2)}\n`;
    if (values.out === "-") io.out(text.trimEnd());
    else {
      const to = values.out ? path.resolve(io.cwd, values.out) : SCHEMA_PATH;
      writeFileSync(to, text);
      io.out(`wrote ${path.relative(io.cwd, to) || to}`);
    }
    return EXIT.ok;
  }

  const fileName = values.file ?? "monitors.yaml";
  let text: string;
  try {
    text = readFileSync(path.resolve(io.cwd, fileName), "utf8");
  } catch (e) {
    io.err(`error: cannot read ${fileName}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    return EXIT.error;
  }
  const loaded = loadMonitorsFile(text, fileName, io.env);
  if (!loaded.ok) {
    for (const p of loaded.problems) io.err(p);
    io.err(`error: ${fileName} is invalid: ${loaded.problems.length} problem${loaded.problems.length === 1 ? "" : "s"}`);
    return EXIT.error;
  }
  const file = loaded.file;
  if (command === "validate") {
    const n = (items: unknown[] | undefined, what: string) => (items ? `${items.length} ${what}` : `no ${what} (not managed)`);
    io.out(
      `${fileName} is valid: ${n(file.monitors, "monitors")}, ${n(file.channels, "channels")}, ${n(file.maintenance, "maintenance windows")}`,
    );
    return EXIT.ok;
  }

  try {
    const url = baseUrl(values.url ?? io.env.UPTIME_URL);
    const token = io.env.UPTIME_TOKEN;
    if (!token) throw new Error("set UPTIME_TOKEN to an editor's token (an admin's when the file has channels)");
    const call = apiClient({
      url,
      token,
      fetch: io.fetch,
      onWait: (ms) => io.err(`rate limited: waiting ${Math.ceil(ms / 1000)} s`),
    });
    const remote = await readRemote(call, file);
    const p = plan(file, remote, { prune: values.prune, rotateSecrets: values["rotate-secrets"] });
    io.out(`${fileName} against ${url}:`);
    for (const line of formatPlan(p)) io.out(line);
    if (command === "plan") return p.steps.length > 0 ? EXIT.changes : EXIT.ok;
    if (p.steps.length === 0) return EXIT.ok;

    io.out("Applying:");
    try {
      await applyPlan(call, p, io.out);
    } catch (e) {
      if (!(e instanceof ApplyFailure)) throw e;
      io.err(`error: ${e.message}`);
      const list = (steps: typeof e.applied) => steps.map((s) => `${s.op} ${NOUN[s.section]} ${s.id}`).join(", ") || "nothing";
      io.err(`applied before the failure: ${list(e.applied)} (${e.applied.length} of ${p.steps.length} steps)`);
      io.err(`not applied: ${list([e.failed, ...e.notAttempted])}; fix the cause and run apply again (it starts from what is there)`);
      return EXIT.error;
    }
    const c = counts(p);
    io.out(`Apply complete: ${c.create} created, ${c.change} changed, ${c.delete} deleted.`);
    return EXIT.ok;
  } catch (e) {
    io.err(`error: ${e instanceof ApiFailure ? e.describe() : (e as Error).message}`);
    return EXIT.error;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      file: { type: "string", short: "f" },
      url: { type: "string" },
      out: { type: "string", short: "o" },
      prune: { type: "boolean", default: false },
      "rotate-secrets": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
}

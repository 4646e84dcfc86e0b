// deploy/terraform and .github/workflows: fmt on every stack; init, validate and `terraform test` (mocked provider)
// on the AWS stacks through a local provider mirror; the Cloudflare stack parsed and checked against wrangler.toml,
// its rate-limit rules evaluated without its provider; the workflows parsed. Every check has a case that makes it fail.
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { parse as parseHcl } from "@cdktf/hcl2json";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { DEAD_LETTER_SUFFIX } from "../edge/src/scheduler/messages.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const TF_ROOT = path.join(ROOT, "deploy/terraform");
const STACKS = ["bootstrap", "cloudflare", "cluster"] as const;
const read = (p: string) => readFileSync(path.join(ROOT, p), "utf8");
const run = promisify(execFile);

/** A reference as @cdktf/hcl2json renders it: `ref("var.zone_id")` is the string `${var.zone_id}`. */
const ref = (expr: string) => `\${${expr}}`;

// ---------------------------------------------------------------------------------------------------------------
// terraform, offline

const TMP = mkdtempSync(path.join(os.tmpdir(), "deploy-terraform-"));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** The provider mirror: TF_PLUGIN_MIRROR, else /opt/tf-plugins, else a folder named tf-plugins at most 3 levels below /. */
function findMirror(): string {
  const holdsAws = (dir: string) => existsSync(path.join(dir, "registry.terraform.io/hashicorp/aws"));
  const candidates = [process.env.TF_PLUGIN_MIRROR, "/opt/tf-plugins"].filter((d): d is string => !!d);
  for (const d of candidates) if (holdsAws(d)) return d;
  let level = ["/"];
  for (let depth = 1; depth <= 3; depth++) {
    const next: string[] = [];
    for (const dir of level) {
      let entries: import("node:fs").Dirent[] = [];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries) {
        if (!e.isDirectory() || ["proc", "sys", "dev"].includes(e.name)) continue;
        const p = path.join(dir, e.name);
        if (e.name === "tf-plugins" && holdsAws(p)) return p;
        next.push(p);
      }
    }
    level = next;
  }
  throw new Error(
    "no Terraform provider mirror holding hashicorp/aws: set TF_PLUGIN_MIRROR, or fill /opt/tf-plugins with " +
      "`terraform providers mirror` (.github/workflows/ci.yml shows how)",
  );
}

/** A CLI config that installs hashicorp/* from the mirror only and never reaches a registry. */
function cliConfig(mirror: string): string {
  const file = path.join(TMP, "cli.tfrc");
  if (!existsSync(file))
    writeFileSync(
      file,
      `provider_installation {
  filesystem_mirror {
    path    = ${JSON.stringify(mirror)}
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/*/*"]
  }
}
`,
    );
  return file;
}

type Result = { code: number; stdout: string; stderr: string };

/** Runs terraform in `cwd` with only the environment it needs (no cloud credentials of the caller's leak in). */
async function terraform(cwd: string, args: string[], mirror?: string): Promise<Result> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: TMP,
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
    TF_DATA_DIR: path.join(cwd, ".terraform-data"),
    TF_PLUGIN_CACHE_DIR: path.join(TMP, "plugin-cache"),
    // The machine's own TF_CLI_CONFIG_FILE points at a file that does not exist; an empty one stands in for fmt.
    TF_CLI_CONFIG_FILE: mirror ? cliConfig(mirror) : path.join(TMP, "empty.tfrc"),
  };
  mkdirSync(env.TF_PLUGIN_CACHE_DIR!, { recursive: true });
  if (!existsSync(path.join(TMP, "empty.tfrc"))) writeFileSync(path.join(TMP, "empty.tfrc"), "");
  try {
    const r = await run("terraform", args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as NodeJS.ErrnoException & { code: number | string; stdout: string; stderr: string };
    if (x.code === "ENOENT")
      throw new Error("terraform is not on the PATH: install Terraform 1.10 or later (CI: hashicorp/setup-terraform)");
    return { code: Number(x.code), stdout: x.stdout ?? "", stderr: x.stderr ?? "" };
  }
}

/** A temporary copy of a stack (or of some of its files), so that nothing terraform writes lands in the repository. */
function copyStack(stack: string, files?: string[]): string {
  const dir = mkdtempSync(path.join(TMP, `${stack}-`));
  const src = path.join(TF_ROOT, stack);
  if (!files) cpSync(src, dir, { recursive: true });
  else for (const f of files) cpSync(path.join(src, f), path.join(dir, f), { recursive: true });
  return dir;
}

type TestRuns = { runs: Map<string, string>; summary: { status: string; passed: number; failed: number; errored: number } | undefined };

/** `terraform test -json`: each run's final status and the summary. */
function testRuns(out: string): TestRuns {
  const runs = new Map<string, string>();
  let summary: TestRuns["summary"];
  for (const line of out.split("\n")) {
    if (!line.startsWith("{")) continue;
    const o = JSON.parse(line);
    if (o.type === "test_run" && o.test_run.progress === "complete") runs.set(o.test_run.run, o.test_run.status);
    if (o.type === "test_summary") summary = o.test_summary;
  }
  return { runs, summary };
}

/** Messages of terraform's diagnostics in -json output, to show why something failed. */
const diagnostics = (out: string) =>
  out
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l))
    .filter((o) => o.type === "diagnostic" || o.diagnostic)
    .map((o) => `${o["@message"]}: ${o.diagnostic?.detail ?? ""}`)
    .join("\n");

describe("terraform fmt", () => {
  it("finds every stack formatted (terraform fmt -check -recursive deploy/terraform)", async () => {
    const r = await terraform(ROOT, ["fmt", "-check", "-recursive", "-list=true", "deploy/terraform"]);
    expect(r.stdout.trim(), "files terraform fmt would rewrite").toBe("");
    expect(r.code, r.stderr).toBe(0);
  });

  it("fails on a misformatted file (the check can fail)", async () => {
    const dir = mkdtempSync(path.join(TMP, "fmt-"));
    writeFileSync(path.join(dir, "bad.tf"), 'variable "x" {\ntype=string\n    default   =  "a"\n}\n');
    const r = await terraform(dir, ["fmt", "-check", "-recursive", "-list=true", "."]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain("bad.tf");
  });
});

// The AWS stacks: init through the mirror, validate, and their `terraform test` files against a mocked provider.
const AWS_TESTS = {
  bootstrap: { "tests/bucket.tftest.hcl": ["defaults", "aes256", "rejects_unknown_encryption"] },
  cluster: {
    "tests/firewall.tftest.hcl": [
      "node_egress_is_exactly_the_allowed_set",
      "node_ingress_is_metrics_and_control_plane_only",
      "icmp_and_dns_follow_their_variables",
      "rejects_a_target_rule_without_ports",
    ],
    "tests/cluster.tftest.hcl": ["cluster_and_identities", "public_endpoint_needs_cidrs", "nat_per_zone", "no_nat"],
  },
} as const;

for (const stack of ["bootstrap", "cluster"] as const) {
  describe(`deploy/terraform/${stack} (hashicorp/aws from the local mirror)`, () => {
    let dir = "";
    let mirror = "";

    beforeAll(async () => {
      mirror = findMirror();
      dir = copyStack(stack);
      const init = await terraform(dir, ["init", "-backend=false", "-input=false", "-no-color"], mirror);
      if (init.code !== 0) throw new Error(`terraform init -backend=false failed in a copy of ${stack}:\n${init.stdout}\n${init.stderr}`);
    }, 180_000);

    it("initialises with the mirror's hashicorp/aws 5.100.0 (its version constraint admits it)", () => {
      const lock = readFileSync(path.join(dir, ".terraform.lock.hcl"), "utf8");
      expect(lock).toMatch(/\/hashicorp\/aws" \{\s+version\s+= "5\.100\.0"/);
    });

    it("is valid (terraform validate -json: no errors, no warnings)", async () => {
      const r = await terraform(dir, ["validate", "-json", "-no-color"], mirror);
      const v = JSON.parse(r.stdout);
      expect(v.diagnostics, JSON.stringify(v.diagnostics, null, 2)).toEqual([]);
      expect(v).toMatchObject({ valid: true, error_count: 0, warning_count: 0 });
    }, 120_000);

    it("passes every run of its terraform test files (mocked provider: no account, nothing created)", async () => {
      const r = await terraform(dir, ["test", "-json", "-no-color"], mirror);
      const { runs, summary } = testRuns(r.stdout);
      const expected = Object.values(AWS_TESTS[stack]).flat();
      expect(Object.fromEntries(runs), diagnostics(r.stdout) || r.stderr).toEqual(Object.fromEntries(expected.map((n) => [n, "pass"])));
      expect(summary).toMatchObject({ status: "pass", failed: 0, errored: 0 });
      expect(r.code).toBe(0);
    }, 300_000);

    if (stack === "bootstrap")
      it("fails its test when the bucket policy stops refusing plain HTTP (the test can fail)", async () => {
        const main = path.join(dir, "main.tf");
        const text = readFileSync(main, "utf8");
        expect(text).toContain('"aws:SecureTransport" = "false"');
        writeFileSync(main, text.replace('"aws:SecureTransport" = "false"', '"aws:SecureTransport" = "true"'));
        const r = await terraform(dir, ["test", "-json", "-no-color"], mirror);
        writeFileSync(main, text);
        expect(testRuns(r.stdout).runs.get("defaults")).toBe("fail");
        expect(r.code).not.toBe(0);
      }, 300_000);

    if (stack === "cluster")
      it("fails its firewall test when the edge rule opens every protocol to 0.0.0.0/0 (the test can fail)", async () => {
        const firewall = path.join(dir, "firewall.tf");
        const text = readFileSync(firewall, "utf8");
        const edge = 'protocol = "tcp", from_port = 443, to_port = 443, description = "edge API (HTTPS)"';
        expect(text).toContain(edge);
        writeFileSync(firewall, text.replace(edge, 'protocol = "-1", from_port = 0, to_port = 0, description = "edge API (HTTPS)"'));
        const r = await terraform(dir, ["test", "-json", "-no-color", "-filter=tests/firewall.tftest.hcl"], mirror);
        writeFileSync(firewall, text);
        expect(testRuns(r.stdout).runs.get("node_egress_is_exactly_the_allowed_set")).toBe("fail");
        expect(r.code).not.toBe(0);
      }, 300_000);
  });
}

describe("deploy/terraform/cloudflare rate-limit rules (variables and rules only: the provider is not available offline)", () => {
  let dir = "";

  beforeAll(async () => {
    dir = copyStack("cloudflare", ["variables.tf", "ratelimit_rules.tf", "tests"]);
    const init = await terraform(dir, ["init", "-backend=false", "-input=false", "-no-color"], findMirror());
    if (init.code !== 0) throw new Error(`terraform init failed:\n${init.stdout}\n${init.stderr}`);
  }, 120_000);

  it("passes every run of tests/ratelimit.tftest.hcl", async () => {
    const r = await terraform(dir, ["test", "-json", "-no-color"], findMirror());
    const expected = [
      "api_rule_by_default",
      "agent_rule_when_limited",
      "rejects_a_period_cloudflare_does_not_offer",
      "rejects_a_malformed_account_id",
    ];
    expect(Object.fromEntries(testRuns(r.stdout).runs), diagnostics(r.stdout) || r.stderr).toEqual(
      Object.fromEntries(expected.map((n) => [n, "pass"])),
    );
    expect(r.code).toBe(0);
  }, 120_000);

  it("fails it when the API rule stops excepting the agents' calls (the test can fail)", async () => {
    const rules = path.join(dir, "ratelimit_rules.tf");
    const text = readFileSync(rules, "utf8");
    const except = ` and not (${ref("local.path_is_agent")})`;
    expect(text).toContain(except);
    writeFileSync(rules, text.replace(except, ""));
    const r = await terraform(dir, ["test", "-json", "-no-color"], findMirror());
    writeFileSync(rules, text);
    expect(testRuns(r.stdout).runs.get("api_rule_by_default")).toBe("fail");
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------------------------
// The stacks as parsed HCL

type Hcl = Record<string, any>;

/** Every .tf file of a stack, parsed by @cdktf/hcl2json. */
async function parseStack(stack: string): Promise<Hcl[]> {
  const dir = path.join(TF_ROOT, stack);
  const files = readdirSync(dir).filter((f) => f.endsWith(".tf"));
  return Promise.all(files.map((f) => parseHcl(f, readFileSync(path.join(dir, f), "utf8"))));
}

/** `resource "type" "name" { body }` of every file, as [type, name, body]. */
const resources = (files: Hcl[]) =>
  files.flatMap((f) =>
    Object.entries((f.resource ?? {}) as Record<string, Record<string, Hcl[]>>).flatMap(([type, byName]) =>
      Object.entries(byName).map(([name, [body]]) => [type, name, body!] as const),
    ),
  );
const variables = (files: Hcl[]) =>
  new Map(
    files.flatMap((f) => Object.entries((f.variable ?? {}) as Record<string, Hcl[]>).map(([name, [body]]) => [name, body!] as const)),
  );
const terraformBlocks = (files: Hcl[]) => files.flatMap((f) => (f.terraform ?? []) as Hcl[]);

/** What is wrong with a stack's backend: it must be s3 with use_lockfile, carry no bucket or account detail, no DynamoDB. */
function backendProblems(files: Hcl[]): string[] {
  const backends = terraformBlocks(files).flatMap((t) => Object.entries((t.backend ?? {}) as Record<string, Hcl[]>));
  if (backends.length !== 1) return [`expected one backend block, found ${backends.length}`];
  const [kind, [body]] = backends[0]!;
  const problems: string[] = [];
  if (kind !== "s3") problems.push(`backend is ${kind}, not s3`);
  if (body?.use_lockfile !== true) problems.push("use_lockfile is not true");
  for (const key of Object.keys(body ?? {}))
    if (!["key", "use_lockfile", "workspace_key_prefix"].includes(key))
      problems.push(`commits ${key} (account detail belongs in backend.hcl)`);
  return problems;
}

/** Variables whose name ends in a secret's word and that have a default: a secret value committed. */
function secretDefaults(vars: Map<string, Hcl>): string[] {
  return [...vars]
    .filter(([name, body]) => /(^|_)(token|password|secret|key|credentials?)$/i.test(name) && "default" in body)
    .map(([n]) => n);
}

/** Provider arguments that would carry a Cloudflare credential. */
const CREDENTIAL_ARGS = ["api_token", "api_key", "api_user_service_key", "email"];
const providerCredentials = (files: Hcl[]) =>
  files.flatMap((f) => ((f.provider?.cloudflare ?? []) as Hcl[]).flatMap((p) => CREDENTIAL_ARGS.filter((a) => a in p)));

describe("every stack", () => {
  it("pins Terraform and its providers (>= 1.10, for use_lockfile) and names a version constraint for each provider", async () => {
    for (const stack of STACKS) {
      const t = terraformBlocks(await parseStack(stack));
      expect(t.map((b) => b.required_version).filter(Boolean), stack).toEqual([">= 1.10"]);
      const providers = t.flatMap((b) => (b.required_providers ?? []) as Hcl[]).flatMap((p) => Object.values(p) as Hcl[]);
      expect(providers.length, stack).toBeGreaterThan(0);
      for (const p of providers) expect(p.version, `${stack}: ${p.source}`).toMatch(/\d/);
    }
  });

  it("keeps state in S3 with use_lockfile and no committed bucket, region or DynamoDB table; bootstrap keeps it locally", async () => {
    expect(backendProblems(await parseStack("cloudflare"))).toEqual([]);
    expect(backendProblems(await parseStack("cluster"))).toEqual([]);
    expect(terraformBlocks(await parseStack("bootstrap")).filter((t) => t.backend)).toEqual([]);
  });

  it("finds a committed bucket, a DynamoDB lock table and a missing use_lockfile (the check can fail)", () => {
    const bad = [{ terraform: [{ backend: { s3: [{ key: "k", bucket: "b", region: "r", dynamodb_table: "locks" }] } }] }];
    expect(backendProblems(bad)).toEqual([
      "use_lockfile is not true",
      "commits bucket (account detail belongs in backend.hcl)",
      "commits region (account detail belongs in backend.hcl)",
      "commits dynamodb_table (account detail belongs in backend.hcl)",
    ]);
  });

  it("gives no variable that names a secret a default, and describes every variable", async () => {
    for (const stack of STACKS) {
      const vars = variables(await parseStack(stack));
      expect(secretDefaults(vars), stack).toEqual([]);
      for (const [name, body] of vars) expect(body.description, `${stack}: var.${name}`).toMatch(/\w/);
    }
    expect(
      secretDefaults(
        new Map([
          ["api_token", { default: "x" }],
          ["agent_secrets_prefix", { default: "a/" }],
        ]),
      ),
    ).toEqual(["api_token"]);
  });

  it("hard-codes no account: no AWS account number in the aws stacks, no Cloudflare id in the cloudflare stack", () => {
    const tfText = (stack: string) =>
      readdirSync(path.join(TF_ROOT, stack))
        .filter((f) => f.endsWith(".tf"))
        .map((f) => readFileSync(path.join(TF_ROOT, stack, f), "utf8"))
        .join("\n");
    const awsAccount = /(?<![\d.])\d{12}(?![\d.])/;
    const cloudflareId = /\b[0-9a-f]{32}\b/;
    expect(tfText("bootstrap")).not.toMatch(awsAccount);
    expect(tfText("cluster")).not.toMatch(awsAccount);
    expect(tfText("cloudflare")).not.toMatch(cloudflareId);
    expect('Resource = "arn:aws:iam::123456789012:role/x"').toMatch(awsAccount);
    expect('account_id = "023e105f4ecef8ad9ca31a8372d0c353"').toMatch(cloudflareId);
  });

  it("lists every variable without a default in its terraform.tfvars.example", async () => {
    const missing = async (stack: string, example: string) => {
      const given = Object.keys(await parseHcl("terraform.tfvars", example));
      return [...variables(await parseStack(stack))]
        .filter(([name, body]) => !("default" in body) && !given.includes(name))
        .map(([n]) => n);
    };
    for (const stack of STACKS) expect(await missing(stack, read(`deploy/terraform/${stack}/terraform.tfvars.example`)), stack).toEqual([]);
    expect((await missing("cloudflare", 'account_id = "x"\n')).sort()).toEqual(["worker_hostname", "zone_id"]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The Cloudflare stack against wrangler.toml

/** Just enough TOML for wrangler.toml: [tables], [[arrays of tables]], and key = string, number, boolean or one-line array. */
function parseToml(text: string): Hcl {
  const root: Hcl = {};
  let cur: Hcl = root;
  const at = (keys: string[], create: (parent: Hcl, last: string) => Hcl) => {
    let node = root;
    for (const k of keys.slice(0, -1)) node = node[k] ??= {};
    return create(node, keys.at(-1)!);
  };
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    let m = /^\[\[([\w.-]+)\]\]$/.exec(line);
    if (m) {
      cur = at(m[1]!.split("."), (parent, last) => {
        const table = {};
        (parent[last] ??= []).push(table);
        return table;
      });
      continue;
    }
    m = /^\[([\w.-]+)\]$/.exec(line);
    if (m) {
      cur = at(m[1]!.split("."), (parent, last) => (parent[last] ??= {}));
      continue;
    }
    m = /^([\w-]+)\s*=\s*(.+)$/.exec(line);
    if (!m) throw new Error(`unreadable TOML line: ${line}`);
    const value = m[2]!;
    const str = /^"((?:[^"\\]|\\.)*)"/.exec(value);
    const arr = /^(\[.*\])/.exec(value);
    cur[m[1]!] = str
      ? JSON.parse(`"${str[1]}"`)
      : arr
        ? JSON.parse(arr[1]!)
        : /^(true|false)\b/.test(value)
          ? value.startsWith("true")
          : Number.parseFloat(value);
  }
  return root;
}

/** What the Cloudflare stack's names disagree on with wrangler.toml (the names the Worker binds to). */
/** wrangler.toml's consumer of the checks queue (the one the producer sends to; the dead-letter queue has its own). */
const checksConsumer = (wrangler: Hcl): Hcl =>
  ((wrangler.queues?.consumers ?? []) as Hcl[]).find((c) => c.queue === wrangler.queues?.producers?.[0]?.queue) ?? {};

function nameMismatches(vars: Map<string, Hcl>, wrangler: Hcl): string[] {
  const consumer = checksConsumer(wrangler);
  const expected: Record<string, unknown> = {
    worker_name: wrangler.name,
    d1_database_name: wrangler.d1_databases?.[0]?.database_name,
    checks_queue_name: wrangler.queues?.producers?.[0]?.queue,
    dead_letter_queue_name: consumer.dead_letter_queue ?? "uptime-checks-dlq",
  };
  const out = Object.entries(expected)
    .filter(([name, value]) => vars.get(name)?.default !== value)
    .map(([name, value]) => `var.${name} defaults to ${vars.get(name)?.default}, wrangler.toml has ${value}`);
  if (consumer.queue !== expected.checks_queue_name) out.push(`wrangler.toml has no consumer of ${expected.checks_queue_name}`);
  const dlq = String(expected.dead_letter_queue_name);
  if (!dlq.endsWith(DEAD_LETTER_SUFFIX))
    out.push(`the dead-letter queue ${dlq} does not end in ${DEAD_LETTER_SUFFIX} (edge/src/scheduler/messages.ts)`);
  return out;
}

describe("deploy/terraform/cloudflare", () => {
  let files: Hcl[] = [];
  const wrangler = parseToml(read("wrangler.toml"));
  beforeAll(async () => {
    files = await parseStack("cloudflare");
  });
  const byType = (type: string) => resources(files).filter(([t]) => t === type);

  it("reads wrangler.toml (the TOML reading works)", () => {
    expect(wrangler.name).toBe("infra-uptime-monitor");
    expect(wrangler.triggers.crons.length).toBeGreaterThan(0);
    expect(checksConsumer(wrangler).max_retries).toBeTypeOf("number");
  });

  it("declares the D1 database, the checks queue and its dead-letter queue, the custom domain and an http_ratelimit ruleset", () => {
    expect(byType("cloudflare_d1_database").map(([, , b]) => b.name)).toEqual([ref("var.d1_database_name")]);
    expect(
      byType("cloudflare_queue")
        .map(([, , b]) => b.queue_name)
        .sort(),
    ).toEqual([ref("var.checks_queue_name"), ref("var.dead_letter_queue_name")]);
    expect(byType("cloudflare_workers_custom_domain").map(([, , b]) => [b.hostname, b.service, b.zone_id])).toEqual([
      [ref("var.worker_hostname"), ref("var.worker_name"), ref("var.zone_id")],
    ]);
    expect(byType("cloudflare_ruleset").map(([, , b]) => [b.kind, b.phase, b.zone_id, b.rules])).toEqual([
      ["zone", "http_ratelimit", ref("var.zone_id"), ref("local.ratelimit_rules")],
    ]);
    for (const type of ["cloudflare_d1_database", "cloudflare_queue", "cloudflare_workers_custom_domain"])
      for (const [, name, body] of byType(type)) expect(body.account_id, `${type}.${name}`).toBe(ref("var.account_id"));
  });

  it("leaves to wrangler what wrangler.toml declares: no queue consumer, Worker script, cron trigger or route here", () => {
    expect(wrangler.queues.consumers.length).toBeGreaterThan(0);
    expect(wrangler.triggers.crons.length).toBeGreaterThan(0);
    const owned = resources(files).map(([t]) => t);
    for (const t of [
      "cloudflare_queue_consumer",
      "cloudflare_workers_script",
      "cloudflare_workers_cron_trigger",
      "cloudflare_workers_route",
    ])
      expect(owned, t).not.toContain(t);
  });

  it("names the Worker, the database and the queues as wrangler.toml does", () => {
    expect(nameMismatches(variables(files), wrangler)).toEqual([]);
    const renamed = parseToml(read("wrangler.toml").replace('queue = "uptime-checks"', 'queue = "other-queue"'));
    expect(nameMismatches(variables(files), renamed)).toContain(
      "var.checks_queue_name defaults to uptime-checks, wrangler.toml has other-queue",
    );
  });

  it("states the consumer's settings in its README as wrangler.toml sets them", () => {
    const c = checksConsumer(wrangler);
    const m = /\(batch size (\d+), batch timeout (\d+) s, (\d+) retries, dead-letter queue\s+`([\w-]+)`\)/.exec(
      read("deploy/terraform/README.md"),
    );
    expect(m, "README.md's consumer sentence").not.toBeNull();
    expect(m!.slice(1).map((x) => (/^\d+$/.test(x) ? Number(x) : x))).toEqual([
      c.max_batch_size,
      c.max_batch_timeout,
      c.max_retries,
      c.dead_letter_queue ?? "uptime-checks-dlq",
    ]);
  });

  it("takes the API token from the environment: no credential argument on the provider, no token variable", () => {
    expect(files.some((f) => f.provider?.cloudflare)).toBe(true);
    expect(providerCredentials(files)).toEqual([]);
    expect([...variables(files).keys()].filter((n) => /token|password|secret|api_?key/i.test(n))).toEqual([]);
    expect(providerCredentials([{ provider: { cloudflare: [{ api_token: "0123" }] } }])).toEqual(["api_token"]);
  });

  it("has no default for the account and zone ids", () => {
    const vars = variables(files);
    for (const name of ["account_id", "zone_id", "worker_hostname"]) expect("default" in vars.get(name)!, name).toBe(false);
  });

  it("excepts from the API rule every path the probe agent calls, and nothing that is not an agent call", async () => {
    const prefixes: string[] = variables(files).get("agent_path_prefixes")!.default;
    const agentSource = readdirSync(path.join(ROOT, "probe-agent/src"), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
      .map((f) => readFileSync(path.join(ROOT, "probe-agent/src", f), "utf8"))
      .join("\n");
    const called = [...new Set([...agentSource.matchAll(/edgeUrl\}(\/api\/[\w/-]+)/g)].map((m) => m[1]!))];
    expect(called.length).toBeGreaterThan(0);
    for (const p of called)
      expect(
        prefixes.some((x) => p.startsWith(x)),
        p,
      ).toBe(true);
    // POST /api/v1/agents registers an agent with the admin token: an API call like any other, limited.
    expect(prefixes.some((x) => "/api/v1/agents".startsWith(x))).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The cluster's firewall as parsed HCL: which rule resources exist at all (the terraform test checks their values)

/** Problems with the security-group rules: only the listed rule resources may touch the node group, none opens all. */
function firewallProblems(files: Hcl[]): string[] {
  const problems: string[] = [];
  const rules = resources(files);
  const nodeRules = (type: string) =>
    rules
      .filter(([t, , b]) => t === type && b.security_group_id === ref("aws_security_group.node.id"))
      .map(([, n]) => n)
      .sort();
  const egress = nodeRules("aws_vpc_security_group_egress_rule");
  const ingress = nodeRules("aws_vpc_security_group_ingress_rule");
  if (JSON.stringify(egress) !== JSON.stringify(["node_to_cidr", "node_to_group", "node_to_s3"]))
    problems.push(`node egress rules: ${egress}`);
  if (JSON.stringify(ingress) !== JSON.stringify(["node_from_cidr", "node_from_group"])) problems.push(`node ingress rules: ${ingress}`);
  for (const [t, n, b] of rules) {
    if (t === "aws_security_group_rule") problems.push(`${t}.${n}: use the aws_vpc_security_group_*_rule resources`);
    if (t === "aws_security_group" && (b.ingress || b.egress)) problems.push(`${t}.${n} has inline rules`);
    if (t === "aws_default_security_group" && (b.ingress || b.egress)) problems.push(`${t}.${n} must stay empty`);
    if (!/^aws_vpc_security_group_(egress|ingress)_rule$/.test(t)) continue;
    if (b.ip_protocol === "-1" || b.ip_protocol === "all") problems.push(`${t}.${n} opens every protocol`);
    if (b.cidr_ipv4 === "0.0.0.0/0" || b.cidr_ipv6 === "::/0") problems.push(`${t}.${n} opens to anywhere`);
  }
  const byName = new Map(rules.map(([t, n, b]) => [`${t}.${n}`, b]));
  const forEach = (name: string) => byName.get(name)?.for_each;
  if (forEach("aws_vpc_security_group_egress_rule.node_to_cidr") !== ref("local.node_egress_to_cidrs"))
    problems.push("node_to_cidr must iterate local.node_egress_to_cidrs");
  if (forEach("aws_vpc_security_group_ingress_rule.node_from_cidr") !== ref("local.node_ingress_from_cidrs"))
    problems.push("node_from_cidr must iterate local.node_ingress_from_cidrs");
  return problems;
}

describe("deploy/terraform/cluster firewall (parsed)", () => {
  it("has only the listed rule resources on the node group, no inline rules, none open to all protocols or anywhere", async () => {
    expect(firewallProblems(await parseStack("cluster"))).toEqual([]);
  });

  it("finds an extra allow-all egress rule and an inline rule (the check can fail)", async () => {
    const files = await parseStack("cluster");
    const extra = await parseHcl(
      "extra.tf",
      `resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.node.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
}
resource "aws_security_group" "loose" {
  egress {
    from_port = 0
    to_port   = 0
    protocol  = "-1"
  }
}
`,
    );
    expect(firewallProblems([...files, extra]).sort()).toEqual([
      "aws_security_group.loose has inline rules",
      "aws_vpc_security_group_egress_rule.all opens every protocol",
      "aws_vpc_security_group_egress_rule.all opens to anywhere",
      "node egress rules: all,node_to_cidr,node_to_group,node_to_s3",
    ]);
  });

  it("opens the metrics port the probe agent listens on by default (AGENT_LISTEN)", async () => {
    const vars = variables(await parseStack("cluster"));
    const { SETTINGS } = await import("../probe-agent/src/config.ts");
    const listen = SETTINGS.find((s: { name: string }) => s.name === "AGENT_LISTEN");
    expect(listen?.default, "probe-agent's AGENT_LISTEN default").toMatch(/:\d+$/);
    expect(vars.get("metrics_port")!.default).toBe(Number(listen!.default!.split(":").at(-1)));
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The workflows

type Workflow = Hcl;
const steps = (wf: Workflow) => Object.values((wf.jobs ?? {}) as Record<string, Hcl>).flatMap((j) => (j.steps ?? []) as Hcl[]);
const runs = (wf: Workflow) => steps(wf).map((s) => String(s.run ?? ""));

/** env and with values whose key looks like a credential but whose value is not a secrets/vars expression. */
function literalSecrets(wf: Workflow): string[] {
  const maps: Array<[string, Record<string, unknown>]> = [["workflow env", wf.env ?? {}]];
  for (const [id, job] of Object.entries((wf.jobs ?? {}) as Record<string, Hcl>)) {
    maps.push([`${id} env`, job.env ?? {}]);
    for (const s of (job.steps ?? []) as Hcl[]) maps.push([`${id} step env`, s.env ?? {}], [`${id} step with`, s.with ?? {}]);
  }
  return maps.flatMap(([where, m]) =>
    Object.entries(m)
      .filter(([k]) => /token|secret|password|account.?id|role|api.?key|bucket/i.test(k))
      .filter(([, v]) => !/^\$\{\{\s*(secrets|vars)\.[A-Z0-9_]+\s*\}\}$/.test(String(v)))
      .map(([k]) => `${where}: ${k}`),
  );
}

/** `uses:` references not pinned to a major version (or a commit). */
const unpinned = (wf: Workflow) =>
  steps(wf)
    .map((s) => s.uses)
    .filter((u): u is string => !!u && !/^[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/.test(u));

describe(".github/workflows", () => {
  const ci: Workflow = parseYaml(read(".github/workflows/ci.yml"));
  const deploy: Workflow = parseYaml(read(".github/workflows/deploy.yml"));

  it("ci.yml runs npm ci and npm test on pull requests and pushes to main, on Node 24, as root for the test packages", () => {
    expect(ci.on).toHaveProperty("pull_request");
    expect(ci.on.push.branches).toContain("main");
    const r = runs(ci);
    expect(r.some((x) => /\bnpm ci\b/.test(x))).toBe(true);
    expect(r.some((x) => /\bnpm test\b/.test(x))).toBe(true);
    expect(steps(ci).find((s) => String(s.uses).startsWith("actions/setup-node@"))?.with?.["node-version"]).toBe(24);
    const job = ci.jobs.test;
    expect(job.container?.image ?? "", "npm test installs Debian packages as root: a Debian container").toMatch(/^debian:/);
    expect(job.env?.TF_PLUGIN_MIRROR, "the Terraform tests' provider mirror").toBeTruthy();
    expect(r.some((x) => x.includes("providers mirror") && x.includes("$TF_PLUGIN_MIRROR"))).toBe(true);
  });

  it("deploy.yml runs on v* tags: terraform init with the S3 backend config, plan and apply, then npm run deploy", () => {
    expect(deploy.on.push.tags).toEqual(["v*"]);
    const r = runs(deploy);
    const inits = r.filter((x) => /terraform init\b/.test(x));
    expect(inits.length).toBeGreaterThanOrEqual(2);
    for (const i of inits) {
      expect(i).toMatch(/-backend-config="bucket=/);
      expect(i).not.toContain("-backend=false");
    }
    expect(r.some((x) => /\bnpm run deploy\b/.test(x))).toBe(true);
    expect(r.filter((x) => /terraform plan\b.*-out=tfplan/.test(x)).length).toBe(2);
    expect(r.filter((x) => /terraform apply\b.*\btfplan$/.test(x.trim())).length).toBe(2);
    expect(deploy.permissions["id-token"]).toBe("write");
    expect(deploy.jobs["cluster-apply"].environment, "the cluster apply waits for approval").toBeTruthy();
  });

  it("names its secrets as secrets.X expressions and holds no credential value", () => {
    const text = read(".github/workflows/deploy.yml");
    const named = new Set([...text.matchAll(/\$\{\{\s*secrets\.([A-Z0-9_]+)\s*\}\}/g)].map((m) => m[1]));
    for (const s of ["CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID", "AWS_DEPLOY_ROLE_ARN", "TF_STATE_BUCKET"])
      expect(named, s).toContain(s);
    const roles = steps(deploy).filter((s) => String(s.uses).startsWith("aws-actions/configure-aws-credentials@"));
    expect(roles.length).toBeGreaterThan(0);
    for (const s of roles) expect(s.with["role-to-assume"]).toBe(`\${{ secrets.AWS_DEPLOY_ROLE_ARN }}`);
    expect(literalSecrets(deploy)).toEqual([]);
    expect(literalSecrets(ci)).toEqual([]);
    expect(literalSecrets({ jobs: { x: { env: { CLOUDFLARE_API_TOKEN: "abc123" }, steps: [] } } })).toEqual([
      "x env: CLOUDFLARE_API_TOKEN",
    ]);
  });

  it("pins every action to a major version or a commit", () => {
    expect(unpinned(ci)).toEqual([]);
    expect(unpinned(deploy)).toEqual([]);
    expect(unpinned({ jobs: { x: { steps: [{ uses: "actions/checkout@main" }, { uses: "actions/checkout@v4" }] } } })).toEqual([
      "actions/checkout@main",
    ]);
  });
});

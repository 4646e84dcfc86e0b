#!/usr/bin/env node
// `npm run deploy`: the edge Worker to Cloudflare with the ids Terraform created — read and check the outputs, write
// wrangler.deploy.toml, check the required secrets, apply D1 migrations remotely, deploy, print the URL.
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs, parseEnv } from "node:util";
import {
  DEPLOY_CONFIG,
  OPTIONAL_SECRETS,
  flattenOutputs,
  outputsFromConfig,
  renderConfig,
  requiredSecrets,
  validateOutputs,
} from "./lib/deploy-config.mjs";
import { ROOT, nodeBinary } from "./lib/proc.mjs";

const WRANGLER = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");

const USAGE = `usage: npm run deploy -- [options]
  --dry-run              bundle and check, deploy nothing (wrangler deploy --dry-run); no secrets check, no migrations
  --tf-dir <dir>         the Terraform stack whose outputs to read (default deploy/terraform/cloudflare)
  --outputs <file>       the outputs as JSON instead (terraform output -json, or {"d1_database_id": "…", …})
  --d1-id <uuid>         the D1 database id; without --outputs, no Terraform: wrangler.toml's names, no custom domain
  --env-file <file>      KEY=VALUE lines for wrangler and terraform (CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID, …);
                         the environment wins over the file
  --secrets-file <file>  secrets uploaded with this deploy (wrangler deploy --secrets-file); a new Worker needs ADMIN_TOKEN so
  --skip-migrations      do not apply D1 migrations
  --outdir <dir>         with --dry-run: where the bundle goes (default .wrangler/deploy-dry-run)`;

const say = (msg) => process.stdout.write(`[deploy] ${msg}\n`);

/** A failure the operator can act on: printed without a stack. */
class DeployError extends Error {}

function options() {
  try {
    return parseArgs({
      options: {
        "dry-run": { type: "boolean", default: false },
        "tf-dir": { type: "string", default: "deploy/terraform/cloudflare" },
        outputs: { type: "string" },
        "d1-id": { type: "string" },
        "env-file": { type: "string" },
        "secrets-file": { type: "string" },
        "skip-migrations": { type: "boolean", default: false },
        outdir: { type: "string", default: ".wrangler/deploy-dry-run" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    }).values;
  } catch (e) {
    throw new DeployError(`${e.message}\n${USAGE}`);
  }
}

function readText(file, what) {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new DeployError(`cannot read ${what} ${file}: ${e.code ?? e.message}`);
  }
}

/** Runs `cmd`; with `capture` its output is collected and returned, else it goes to this process's. */
function exec(cmd, args, { env, capture = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: capture ? ["ignore", "pipe", "pipe"] : ["inherit", "inherit", "inherit"] });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d) => (stdout += d));
    child.stderr?.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const wrangler = (args, env, capture) => exec(nodeBinary(), [WRANGLER, ...args], { env, capture });

async function terraformOutputs(tfDir, env) {
  let r;
  try {
    r = await exec("terraform", [`-chdir=${tfDir}`, "output", "-json"], { env, capture: true });
  } catch (e) {
    if (e.code === "ENOENT") throw new DeployError("terraform is not on PATH: install it, or pass --outputs <file> or --d1-id <uuid>");
    throw e;
  }
  if (r.code !== 0)
    throw new DeployError(
      `terraform -chdir=${tfDir} output -json failed (run terraform init and apply there first, or pass --outputs):\n${r.stderr.trim()}`,
    );
  let json;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    /* reported below */
  }
  if (json === null || typeof json !== "object" || Array.isArray(json))
    throw new DeployError(`terraform -chdir=${tfDir} output -json printed no JSON object`);
  return json;
}

async function readOutputs(opts, toml, env) {
  let outputs;
  if (opts.outputs) {
    try {
      outputs = flattenOutputs(JSON.parse(readText(opts.outputs, "the outputs file")));
    } catch (e) {
      throw e instanceof DeployError ? e : new DeployError(`the outputs file ${opts.outputs}: ${e.message}`);
    }
    say(`outputs from ${opts.outputs}`);
  } else if (opts["d1-id"]) {
    outputs = outputsFromConfig(toml, undefined);
    say("outputs: no Terraform; names from wrangler.toml, no custom domain");
  } else {
    const json = await terraformOutputs(opts["tf-dir"], env);
    if (Object.keys(json).length === 0) throw new DeployError(`${opts["tf-dir"]} has no outputs: run terraform apply there first`);
    outputs = flattenOutputs(json);
    say(`outputs from terraform -chdir=${opts["tf-dir"]} output -json`);
  }
  if (opts["d1-id"]) outputs.d1_database_id = opts["d1-id"];
  const problems = validateOutputs(outputs);
  if (problems.length) throw new DeployError(`the outputs cannot be deployed with:\n  - ${problems.join("\n  - ")}`);
  return outputs;
}

/** The names in a secrets file (JSON object or .env lines); the values are never read further. */
function secretNames(file) {
  const text = readText(file, "the secrets file");
  try {
    const json = JSON.parse(text);
    if (json && typeof json === "object" && !Array.isArray(json)) return Object.keys(json);
  } catch {
    /* not JSON: .env lines */
  }
  return Object.keys(parseEnv(text));
}

async function checkSecrets(config, required, secretsFile, env) {
  const r = await wrangler(["secret", "list", "--config", config, "--format", "json"], env, true);
  let listed = [];
  if (r.code === 0) {
    const json = r.stdout.slice(r.stdout.indexOf("["), r.stdout.lastIndexOf("]") + 1);
    listed = JSON.parse(json || "[]").map((s) => s.name);
  } else if (/Worker "[^"]+"[^\n]* not found|\b10007\b/.test(r.stdout + r.stderr)) {
    say("the Worker does not exist yet: this is its first deploy");
  } else {
    throw new DeployError(`wrangler secret list failed (is CLOUDFLARE_API_TOKEN set?):\n${(r.stderr || r.stdout).trim()}`);
  }
  const given = secretsFile ? secretNames(secretsFile) : [];
  const missing = required.filter((n) => !listed.includes(n) && !given.includes(n));
  if (missing.length)
    throw new DeployError(
      `required secrets are not set: ${missing.join(", ")}. Set each with \`npx wrangler secret put NAME --config ${DEPLOY_CONFIG}\`, ` +
        "or pass --secrets-file <file> with NAME=value lines (a Worker's first deploy needs the file)",
    );
  const optional = OPTIONAL_SECRETS.filter((n) => listed.includes(n) || given.includes(n));
  say(`secrets: ${required.join(", ")} set; optional ones set: ${optional.length ? optional.join(", ") : "none"}`);
}

async function main() {
  const opts = options();
  if (opts.help) return say(USAGE);
  const fileEnv = opts["env-file"] ? parseEnv(readText(opts["env-file"], "the env file")) : {};
  const env = { ...fileEnv, ...process.env, WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? "false" };
  const dry = opts["dry-run"];

  const toml = readText(path.join(ROOT, "wrangler.toml"), "the wrangler config");
  const outputs = await readOutputs(opts, toml, env);
  say(
    `Worker ${outputs.worker_name || "(wrangler.toml's name)"}, D1 ${outputs.d1_database_name} (${outputs.d1_database_id}), ` +
      `queues ${outputs.checks_queue_name} → ${outputs.dead_letter_queue_name}`,
  );

  let rendered;
  try {
    rendered = renderConfig(toml, outputs);
  } catch (e) {
    throw new DeployError(e.message);
  }
  const config = path.join(ROOT, DEPLOY_CONFIG);
  writeFileSync(config, rendered);
  say(`wrote ${DEPLOY_CONFIG}`);

  const required = requiredSecrets(toml);
  if (dry) say(`dry run: not checking the secrets (${required.join(", ")}) nor applying migrations`);
  else await checkSecrets(DEPLOY_CONFIG, required, opts["secrets-file"], env);

  if (!dry && !opts["skip-migrations"]) {
    say(`applying D1 migrations to ${outputs.d1_database_name} (remote)`);
    const m = await wrangler(["d1", "migrations", "apply", outputs.d1_database_name, "--remote", "--config", DEPLOY_CONFIG], env);
    if (m.code !== 0) throw new DeployError(`applying the D1 migrations failed (exit ${m.code}); nothing was deployed`);
  }

  const args = ["deploy", "--config", DEPLOY_CONFIG];
  if (dry) args.push("--dry-run", "--outdir", opts.outdir);
  else if (opts["secrets-file"]) args.push("--secrets-file", opts["secrets-file"]);
  say(`wrangler ${args.join(" ")}`);
  const d = await wrangler(args, env);
  if (d.code !== 0) throw new DeployError(`wrangler deploy failed (exit ${d.code})`);

  const url = outputs.worker_hostname ? `https://${outputs.worker_hostname}` : null;
  if (dry) say(`dry run done: bundle in ${opts.outdir}; nothing was deployed${url ? ` (would serve ${url})` : ""}`);
  else
    say(url ? `deployed: ${url} (the custom domain Terraform attaches)` : "deployed on workers.dev: its URL is in wrangler's output above");
}

main().catch((e) => {
  say(`failed: ${e instanceof DeployError ? e.message : (e.stack ?? e.message)}`);
  process.exit(1);
});

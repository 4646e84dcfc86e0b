// `npm run deploy`'s pure half: the Terraform outputs it needs, their validation, and the wrangler config it deploys
// with (the repo's wrangler.toml with the real ids and names written in). No I/O here; scripts/deploy.mjs runs things.

/** The name the generated config is written under, at the repo root so that its paths resolve as wrangler.toml's do. */
export const DEPLOY_CONFIG = "wrangler.deploy.toml";

/** wrangler.toml's placeholder: local D1 ignores it, a deploy must never use it. */
export const ZERO_ID = "00000000-0000-0000-0000-000000000000";

/** The checks queue's dead-letter queue ends in this (edge/src/scheduler/messages.ts DEAD_LETTER_SUFFIX): the Worker tells them apart by it. */
export const DEAD_LETTER_SUFFIX = "-dlq";

/** Secrets the Worker reads when set (docs/configuration.md); the required ones are wrangler.toml's [secrets] required. */
export const OPTIONAL_SECRETS = ["ADMIN_TOKEN_PREVIOUS", "INFLUX_TOKEN", "INFLUX_USERNAME", "INFLUX_PASSWORD"];

/**
 * The outputs of deploy/terraform/cloudflare the deploy reads. worker_name and worker_hostname may be absent: a
 * targeted `terraform apply` (the first one, before the Worker exists) saves only the outputs of what it targeted.
 */
export const OUTPUTS = [
  "d1_database_id",
  "d1_database_name",
  "checks_queue_name",
  "dead_letter_queue_name",
  "worker_name",
  "worker_hostname",
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Queue names: letters, digits and dashes, at most 63 characters; D1 names likewise, underscores allowed.
const QUEUE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const D1_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const WORKER_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/**
 * Terraform's `output -json` ({"name": {"value": …, "type": …, "sensitive": …}}) or a plain {"name": value} object,
 * as a plain object of the outputs this deploy reads.
 */
export function flattenOutputs(json) {
  if (json === null || typeof json !== "object" || Array.isArray(json)) throw new Error("the outputs must be a JSON object");
  const flat = {};
  for (const name of OUTPUTS) {
    const v = json[name];
    flat[name] = v !== null && typeof v === "object" && "value" in v ? v.value : v;
  }
  return flat;
}

/** Every problem with `o` (flattened outputs), one message each naming the output; empty when it may be deployed with. */
export function validateOutputs(o) {
  const problems = [];
  const text = (name) => {
    const v = o?.[name];
    if (v === undefined || v === null || v === "") {
      problems.push(`${name} is missing`);
      return null;
    }
    if (typeof v !== "string") {
      problems.push(`${name} must be a string, got ${JSON.stringify(v)}`);
      return null;
    }
    return v;
  };
  const id = text("d1_database_id");
  if (id === ZERO_ID) problems.push(`d1_database_id is the all-zero placeholder from wrangler.toml, not a real database`);
  else if (id !== null && !UUID.test(id)) problems.push(`d1_database_id must be a UUID, got "${id}"`);
  const d1 = text("d1_database_name");
  if (d1 !== null && !D1_NAME.test(d1)) problems.push(`d1_database_name is not a D1 database name: "${d1}"`);
  const checks = text("checks_queue_name");
  if (checks !== null && !QUEUE_NAME.test(checks)) problems.push(`checks_queue_name is not a queue name: "${checks}"`);
  const dlq = text("dead_letter_queue_name");
  if (dlq !== null && !QUEUE_NAME.test(dlq)) problems.push(`dead_letter_queue_name is not a queue name: "${dlq}"`);
  else if (dlq !== null && !dlq.endsWith(DEAD_LETTER_SUFFIX))
    problems.push(
      `dead_letter_queue_name must end in "${DEAD_LETTER_SUFFIX}" (the Worker tells its dead-letter queue by it), got "${dlq}"`,
    );
  else if (dlq !== null && dlq === checks) problems.push("dead_letter_queue_name must differ from checks_queue_name");
  const given = (name) => o?.[name] !== undefined && o?.[name] !== null && o?.[name] !== "";
  if (given("worker_name") && (typeof o.worker_name !== "string" || !WORKER_NAME.test(o.worker_name)))
    problems.push(`worker_name is not a Worker name: ${JSON.stringify(o.worker_name)}`);
  if (given("worker_hostname") && (typeof o.worker_hostname !== "string" || !HOSTNAME.test(o.worker_hostname)))
    problems.push(`worker_hostname must be a host name, got ${JSON.stringify(o.worker_hostname)}`);
  return problems;
}

/** The outputs when Terraform is not used: wrangler.toml's names, the given D1 id, no custom domain. */
export function outputsFromConfig(toml, d1Id) {
  const sections = parseSections(toml);
  const d1 = only(sections, "[[d1_databases]]", "a [[d1_databases]] table");
  const producer = only(sections, "[[queues.producers]]", "a [[queues.producers]] table");
  const main = sections.find((s) => s.header === "[[queues.consumers]]" && s.get("queue") === producer.get("queue"));
  return {
    d1_database_id: d1Id,
    d1_database_name: d1.get("database_name"),
    checks_queue_name: producer.get("queue"),
    dead_letter_queue_name: main?.get("dead_letter_queue"),
    worker_name: null,
    worker_hostname: null,
  };
}

/** The secret names wrangler.toml's [secrets] table requires. */
export function requiredSecrets(toml) {
  const secrets = parseSections(toml).find((s) => s.header === "[secrets]");
  const list = secrets?.raw("required");
  if (list === undefined) return [];
  return [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
}

/**
 * wrangler.toml with the deployment's Worker name, D1 id and name, and queue names (producer, consumers, dead-letter
 * queue). With a worker_hostname, workers.dev and preview URLs are off, so nothing reaches the Worker around the zone's
 * WAF; the custom domain itself is Terraform's (a route here would make wrangler take over the Worker's domains).
 * Throws when wrangler.toml does not have the shape this expects.
 */
export function renderConfig(toml, outputs) {
  const problems = validateOutputs(outputs);
  if (problems.length) throw new Error(`cannot render the deploy config: ${problems.join("; ")}`);
  const sections = parseSections(toml);
  const top = sections[0];
  for (const key of ["routes", "route", "workers_dev", "preview_urls"])
    if (top.has(key))
      throw new Error(
        `wrangler.toml sets ${key}: routing is the deploy config's (from worker_hostname) and Terraform's (the custom domain)`,
      );

  if (outputs.worker_name) top.set("name", outputs.worker_name);
  const d1 = only(sections, "[[d1_databases]]", "a [[d1_databases]] table");
  d1.set("database_id", outputs.d1_database_id);
  d1.set("database_name", outputs.d1_database_name);

  const producer = only(sections, "[[queues.producers]]", "a [[queues.producers]] table");
  const checks = producer.get("queue");
  const consumers = sections.filter((s) => s.header === "[[queues.consumers]]");
  const main = consumers.find((s) => s.get("queue") === checks);
  if (!main) throw new Error(`wrangler.toml has no [[queues.consumers]] for "${checks}"`);
  const dlq = main.get("dead_letter_queue");
  if (!dlq) throw new Error(`wrangler.toml's consumer of "${checks}" has no dead_letter_queue`);
  const dlqConsumer = consumers.find((s) => s.get("queue") === dlq);
  if (consumers.length !== (dlqConsumer ? 2 : 1)) throw new Error("wrangler.toml has a queue consumer the deploy does not know");
  producer.set("queue", outputs.checks_queue_name);
  main.set("queue", outputs.checks_queue_name);
  main.set("dead_letter_queue", outputs.dead_letter_queue_name);
  dlqConsumer?.set("queue", outputs.dead_letter_queue_name);

  const routing = outputs.worker_hostname
    ? [
        `# Served on ${outputs.worker_hostname} only: its custom domain, which Terraform attaches.`,
        "workers_dev = false",
        "preview_urls = false",
      ]
    : ["# No worker_hostname in the outputs: served on workers.dev.", "workers_dev = true"];
  const lastKey = top.lines.findLastIndex((l) => /^\s*\w+\s*=/.test(l));
  top.lines.splice(lastKey + 1, 0, "", ...routing);

  const header = [`# Generated by scripts/deploy.mjs from wrangler.toml and the deployment's outputs: do not edit, do not commit.`, ""];
  const out = `${[...header, ...sections.flatMap((s) => s.lines)].join("\n")}\n`;
  if (out.includes(ZERO_ID)) throw new Error("the rendered config still holds the all-zero database_id");
  return out;
}

/** The config's top-level keys, then one section per table header, each keeping its lines (comments included). */
function parseSections(toml) {
  const sections = [section(null)];
  for (const line of toml.replace(/\n$/, "").split("\n")) {
    const header = /^\s*(\[\[?[\w.]+\]\]?)\s*(#.*)?$/.exec(line);
    if (header) sections.push(section(header[1]));
    sections.at(-1).lines.push(line);
  }
  return sections;
}

function section(header) {
  const lines = [];
  const find = (key) => lines.findIndex((l) => new RegExp(`^\\s*${key}\\s*=`).test(l));
  const strings = (key) => {
    const i = find(key);
    return i < 0 ? undefined : /^\s*\w+\s*=\s*"([^"]*)"\s*(#.*)?$/.exec(lines[i])?.[1];
  };
  return {
    header,
    lines,
    has: (key) => find(key) >= 0,
    get: strings,
    raw: (key) => {
      const i = find(key);
      return i < 0 ? undefined : lines[i].replace(/^[^=]*=\s*/, "");
    },
    set(key, value) {
      const i = find(key);
      if (i < 0 || strings(key) === undefined) throw new Error(`wrangler.toml's ${header} has no ${key} = "…" line`);
      lines[i] = `${key} = ${JSON.stringify(value)}`;
    },
  };
}

function only(sections, header, what) {
  const found = sections.filter((s) => s.header === header);
  if (found.length !== 1) throw new Error(`wrangler.toml must have exactly one ${what}, found ${found.length}`);
  return found[0];
}

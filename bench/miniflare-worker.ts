// The Worker as `wrangler deploy` bundles it, served by Miniflare's own HTTP server: workerd with no
// `wrangler dev` proxy in front (the proxy caps a trivial route near 540 req/s), for throughput figures.
// Bindings, compatibility date/flags and vars come from wrangler.toml; D1 is persisted under the state
// directory where `wrangler d1 migrations apply --local --persist-to` (bench/lib.ts migrate) puts it.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { unstable_readConfig } from "wrangler";
// @ts-expect-error plain ESM helper
import { ROOT, nodeBinary, run } from "../scripts/lib/proc.mjs";
import { apiClient } from "../test/services/http.ts";

const WRANGLER = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");

export type MiniflareWorker = {
  url: string;
  /** "miniflare <version>, workerd <version>, no dev proxy". */
  runtime: string;
  /** The Worker's warn and error log lines (its info lines are dropped: a load run makes one per request). */
  problems: string[];
  api(method: string, p: string, body?: unknown): Promise<{ status: number; body: any; text: string }>;
  stop(): Promise<void>;
};

/** What this reads of wrangler.toml (wrangler does not ship the types of its Config). */
type WranglerConfig = {
  compatibility_date: string;
  compatibility_flags: string[];
  vars: Record<string, string>;
  d1_databases: Array<{ binding: string; database_id: string }>;
  queues: {
    producers?: Array<{ binding: string; queue: string }>;
    consumers?: Array<{ queue: string; max_batch_size?: number; max_batch_timeout?: number; max_retries?: number }>;
  };
};

/** Bundles the Worker into `outdir` as `wrangler deploy --dry-run` does (offline; runs the UI build too); returns the script's path. */
export async function bundleWorker(outdir: string): Promise<string> {
  await run(nodeBinary(), [WRANGLER, "deploy", "--dry-run", "--outdir", outdir], {
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" },
  });
  return path.join(outdir, "index.js");
}

function runtimeName(): string {
  const require = createRequire(import.meta.url);
  const version = (p: string) => JSON.parse(readFileSync(p, "utf8")).version as string;
  const miniflare = require.resolve("miniflare/package.json");
  const workerd = createRequire(miniflare).resolve("workerd/package.json");
  return `miniflare ${version(miniflare)}, workerd ${version(workerd)}, no dev proxy`;
}

/**
 * Serves the bundled Worker at `scriptPath` (bundleWorker) on a free loopback port, with D1 from `state`
 * (migrated beforehand) and `vars` over wrangler.toml's. `token` is the bearer of api().
 */
export async function miniflareWorker(
  scriptPath: string,
  state: string,
  vars: Record<string, string>,
  token: string,
): Promise<MiniflareWorker> {
  const config: WranglerConfig = unstable_readConfig({ config: path.join(ROOT, "wrangler.toml") });
  const problems: string[] = [];
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      resourcePersistencePath: path.join(state, "v3"),
      logRequests: false,
      handleStructuredLogs: (log) => {
        if (log.level === "warn" || log.level === "error") problems.push(log.message);
      },
      modules: true,
      scriptPath,
      // Module names are paths relative to this; the default (the working directory) would give "../" names workerd refuses.
      modulesRoot: path.dirname(scriptPath),
      compatibilityDate: config.compatibility_date,
      compatibilityFlags: config.compatibility_flags,
      bindings: { ...config.vars, ...vars },
      d1Databases: Object.fromEntries(config.d1_databases.map((d) => [d.binding, d.database_id])),
      queueProducers: Object.fromEntries((config.queues.producers ?? []).map((p) => [p.binding, { queueName: p.queue }])),
      queueConsumers: Object.fromEntries(
        (config.queues.consumers ?? []).map((c) => [
          c.queue,
          { maxBatchSize: c.max_batch_size, maxBatchTimeout: c.max_batch_timeout, maxRetries: c.max_retries },
        ]),
      ),
    }),
  );
  const url = (await mf.ready).origin;
  return { url, runtime: runtimeName(), problems, api: apiClient(() => url, token), stop: () => mf.dispose() };
}

// Two projects: "edge" runs inside workerd with real D1; "node" runs the contract, the agent and cross-process tests.
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
// @ts-expect-error plain ESM helper without types
import { buildUi } from "./scripts/build-ui.mjs";
// @ts-expect-error plain ESM helper without types
import { LOOPBACK_EGRESS_ALLOW } from "./scripts/lib/wrangler-dev.mjs";

const root = import.meta.dirname;
// wrangler.toml declares ADMIN_TOKEN a required secret; the edge project's bindings below set it, and this
// keeps wrangler's config reader from warning that it is missing.
process.env.ADMIN_TOKEN ??= "test-admin-token-0123456789";

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(root, "edge/migrations"));
  // The edge project serves ui/dist through the ASSETS binding; wrangler builds it only for dev and deploy.
  await buildUi();
  return {
    test: {
      reporters: (process.env.VITEST_JSON ? ["default", ["json", { outputFile: process.env.VITEST_JSON }]] : ["default"]) as any,
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: path.join(root, "wrangler.toml") },
              miniflare: {
                // EGRESS_ALLOW: the tests' targets and receivers listen on loopback, which the egress policy refuses by default.
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  ADMIN_TOKEN: "test-admin-token-0123456789",
                  LOG_LEVEL: "warn",
                  EGRESS_ALLOW: LOOPBACK_EGRESS_ALLOW,
                  // The suite makes thousands of requests with one token in a minute; edge/test/rate-limits.test.ts turns
                  // the limits on (wrangler.toml's [[ratelimits]] bindings, as deployed) for its own requests.
                  RATE_LIMITS: "off",
                },
                // Never-migrated databases: the migrations test applies them from empty, 0008's data move to one at 0007,
                // and 0009's rebuild of the token and agent tables to one at 0008.
                d1Databases: { EMPTY_DB: "empty-db", LEGACY_DB: "legacy-db", TOKENS_DB: "tokens-db" },
              },
            }),
          ],
          test: {
            name: "edge",
            globalSetup: [
              "test/global-setup-targets.ts",
              "test/global-setup.ts",
              "test/global-setup-scheduler.ts",
              "test/global-setup-receiver.ts",
            ],
            include: ["edge/src/**/*.test.ts", "edge/test/**/*.test.ts"],
            setupFiles: ["edge/test/apply-migrations.ts"],
          },
        },
        {
          test: {
            name: "node",
            environment: "node",
            include: ["contract/**/*.test.ts", "probe-agent/**/*.test.ts", "ui/**/*.test.ts", "test/**/*.test.ts"],
            testTimeout: 60_000,
            hookTimeout: 120_000,
          },
        },
      ],
    },
  };
});

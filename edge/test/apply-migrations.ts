// Applies the D1 migrations before each test file (applyD1Migrations skips those already applied).
import { applyD1Migrations, env } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env {
      DB: D1Database;
      EMPTY_DB: D1Database;
      LEGACY_DB: D1Database;
      TOKENS_DB: D1Database;
      CHECKS_QUEUE: Queue<import("../src/scheduler/messages.ts").CheckBatchMessage>;
      ADMIN_TOKEN: string;
      TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    }
  }
}

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

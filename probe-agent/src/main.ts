// Entry point: `node probe-agent/src/main.ts`. Validates the environment, starts the agent with the
// real checks, and stops it gracefully on SIGTERM/SIGINT (exit 0), or exits 1 on a configuration problem.
import { startAgent } from "./agent.ts";
import { defaultDeps } from "./checks/deps.ts";
import { runCheck } from "./checks/index.ts";
import { loadConfig } from "./config.ts";
import { createLogger, errorContext } from "./log.ts";

async function main(): Promise<void> {
  const loaded = loadConfig(process.env);
  if (!loaded.ok) {
    const n = loaded.issues.length;
    createLogger("info").fatal({ issues: loaded.issues }, `invalid configuration: ${n} problem${n === 1 ? "" : "s"}; see issues`);
    process.exitCode = 1;
    return;
  }
  const { config } = loaded;
  const logger = createLogger(config.logLevel);
  process.on("uncaughtException", (e) => {
    logger.fatal({ err: e }, "uncaught exception");
    process.exit(1);
  });
  process.on("unhandledRejection", (e) => {
    logger.fatal({ err: e }, "unhandled promise rejection");
    process.exit(1);
  });

  const deps = defaultDeps({ egress: config.egress });
  logger.info({ pinger: deps.pinger.describe() }, "icmp checks");
  const rules = (list: readonly { text: string }[]) => list.map((r) => r.text);
  if (config.egress)
    logger.info(
      { refused: config.egress.defaultDeny, allow: rules(config.egress.allow), deny: rules(config.egress.deny) },
      "egress policy of the checks (EGRESS_ALLOW, EGRESS_DENY, EGRESS_ALLOW_PORTS, EGRESS_DENY_PORTS)",
    );
  let agent;
  try {
    agent = await startAgent({ config, logger, runCheck: (monitor) => runCheck(monitor, deps) });
  } catch (e) {
    logger.fatal({ ...errorContext(e) }, "agent could not start");
    process.exitCode = 1;
    return;
  }

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      logger.warn({ signal }, "second signal: exiting now; stored results stay in the outbox");
      process.exit(1);
    }
    agent.stop(signal).then(
      () => process.exit(0),
      (e: unknown) => {
        logger.fatal({ err: e }, "graceful stop failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

await main();

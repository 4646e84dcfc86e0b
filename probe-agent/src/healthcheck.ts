// The container's HEALTHCHECK: asks this agent's own /healthz (at AGENT_LISTEN) and exits 0 on 200, else 1.
import { parseListen } from "./config.ts";

const listen = parseListen(process.env.AGENT_LISTEN || "0.0.0.0:9464");
if (typeof listen === "string") {
  process.stdout.write(`AGENT_LISTEN ${listen}\n`);
  process.exit(1);
}
// A wildcard address is reached on loopback.
const host = listen.host === "0.0.0.0" ? "127.0.0.1" : listen.host === "::" ? "::1" : listen.host;
const url = `http://${host.includes(":") ? `[${host}]` : host}:${listen.port}/healthz`;
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4000) });
  process.stdout.write(`${res.status} ${await res.text()}\n`);
  process.exit(res.status === 200 ? 0 : 1);
} catch (e) {
  process.stdout.write(`${url}: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}

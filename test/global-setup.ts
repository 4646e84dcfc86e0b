// vitest globalSetup for the edge project: starts the local services tests need (in node) and hands their addresses to tests via provide/inject.
import type { TestProject } from "vitest/node";
import { startInflux, type InfluxEndpoint } from "./services/influxdb.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** InfluxDB 1.x without authentication. */
    influx: InfluxEndpoint;
    /** InfluxDB 1.x with auth-enabled; username/password are an admin's. */
    influxAuth: Required<InfluxEndpoint>;
  }
}

/** A service starts, provides what tests need, and returns how to stop it. Add new ones to SERVICES. */
type Service = { name: string; start(project: TestProject): Promise<() => Promise<void>> };

const SERVICES: Service[] = [
  {
    name: "influxdb",
    async start(project) {
      const [open, auth] = await Promise.all([startInflux(), startInflux({ auth: true })]);
      project.provide("influx", { url: open.url });
      project.provide("influxAuth", { url: auth.url, username: auth.username!, password: auth.password! });
      return async () => {
        await Promise.all([open.destroy(), auth.destroy()]);
      };
    },
  },
];

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = await Promise.allSettled(SERVICES.map((s) => s.start(project)));
  const stops = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const teardown = async () => {
    await Promise.allSettled(stops.map((stop) => stop()));
  };
  const failed = started.flatMap((r, i) =>
    r.status === "rejected" ? [`${SERVICES[i]!.name}: ${(r.reason as Error)?.message ?? r.reason}`] : [],
  );
  if (failed.length > 0) {
    await teardown();
    throw new Error(`test services failed to start:\n${failed.join("\n")}`);
  }
  return teardown;
}

// Test helper: the InfluxDB servers started by test/global-setup.ts (reached via inject) and per-suite databases on them.
import { inject } from "vitest";
import type { InfluxConfig } from "../src/config/config.ts";

export type Endpoint = { url: string; username?: string; password?: string };

export const influxOpen = (): Endpoint => inject("influx" as never) as Endpoint;
export const influxWithAuth = (): Required<Endpoint> => inject("influxAuth" as never) as Required<Endpoint>;

/** A database name no other suite or run uses. */
export const uniqueDatabase = (prefix: string): string => `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;

export async function influxAdmin(ep: Endpoint, q: string): Promise<void> {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (ep.username) headers.authorization = `Basic ${btoa(`${ep.username}:${ep.password ?? ""}`)}`;
  const res = await fetch(`${ep.url}/query`, { method: "POST", headers, body: new URLSearchParams({ q }) });
  const text = await res.text();
  if (!res.ok || text.includes('"error"')) throw new Error(`InfluxDB ${res.status} for ${q}: ${text}`);
}

/** Creates a fresh database (and, if asked, a non-default retention policy on it) and returns the store config for it. */
export async function freshDatabase(ep: Endpoint, prefix: string, retentionPolicy: string | null = null): Promise<InfluxConfig> {
  const database = uniqueDatabase(prefix);
  await influxAdmin(ep, `CREATE DATABASE "${database}"`);
  if (retentionPolicy) await influxAdmin(ep, `CREATE RETENTION POLICY "${retentionPolicy}" ON "${database}" DURATION INF REPLICATION 1`);
  return {
    url: ep.url,
    database,
    retentionPolicy,
    auth: ep.username ? { username: ep.username, password: ep.password ?? "" } : null,
  };
}

export const dropDatabase = (ep: Endpoint, database: string) => influxAdmin(ep, `DROP DATABASE "${database}"`);

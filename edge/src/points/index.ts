// Chooses the PointStore: InfluxDB when INFLUX_URL is configured, else the embedded store on D1.
import type { Config } from "../config/config.ts";
import { EmbeddedPointStore } from "../db/points.ts";
import { InfluxPointStore } from "./influx.ts";
import type { PointStore } from "./store.ts";

export function createPointStore(config: Config, fetchFn: typeof fetch): PointStore {
  return config.influx ? new InfluxPointStore(config.influx, fetchFn) : new EmbeddedPointStore(config.db);
}

export { EmbeddedPointStore } from "../db/points.ts";
export { InfluxPointStore } from "./influx.ts";
export { PointStoreError } from "./store.ts";
export type { CheckQuery, PointStore, StoredResult, UptimeBucket, UptimeQuery, UptimeReport } from "./store.ts";

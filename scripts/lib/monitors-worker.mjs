// The monitors file's schema made whole with the Worker's own channel and maintenance-window schemas, and the
// Worker's URL mask. Plain JS with monitors-worker.d.mts beside it: the Node-typed programs (tsconfig.json) then do
// not type-check the Worker modules behind these, which need the Workers runtime's types (edge/tsconfig.json has them).
import { z } from "zod";
import { monitorsFileSchema } from "../../contract/monitors-file.ts";
import { CHANNEL_KINDS, CHANNEL_SCHEMAS, maskUrl } from "../../edge/src/alerts/channels/index.ts";
import { MaintenanceWindow } from "../../edge/src/alerts/maintenance.ts";

/** A channel of any kind: the kind picks the schema, as `POST /api/v1/channels` does. */
export const ChannelSpec = z.discriminatedUnion(
  "kind",
  CHANNEL_KINDS.map((k) => CHANNEL_SCHEMAS[k]),
  { error: `must be one of ${CHANNEL_KINDS.map((k) => `"${k}"`).join(", ")}` },
);

export const MonitorsFile = monitorsFileSchema({ channel: ChannelSpec, maintenance: MaintenanceWindow });

export { MaintenanceWindow, maskUrl };

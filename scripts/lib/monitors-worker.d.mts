// Types of monitors-worker.mjs, as the monitors-as-code code uses them (see there for why it is plain JS).
import type { z } from "zod";
import type { ChannelSpec as Channel, MonitorsFile as File, WindowSpec } from "../../contract/monitors-file.ts";

export declare const ChannelSpec: z.ZodType<Channel, unknown>;
export declare const MaintenanceWindow: z.ZodType<WindowSpec, unknown>;
export declare const MonitorsFile: z.ZodType<File, unknown>;
/** A channel URL as GET shows it: "https://hooks.slack.com/…abcd". */
export declare function maskUrl(url: string): string;

// The monitors file (monitors as code, `npm run monitors`): monitors, channels and maintenance windows, each
// validated by the very schema the API validates it with, and the JSON Schema editors read, generated from it.
//
// Monitors come from this contract. Channels and maintenance windows are defined beside the Worker code that uses
// them (edge/src/alerts), behind modules that need the Workers runtime's types, so they are passed in:
// scripts/lib/monitors-worker.mjs makes the whole schema, `MonitorsFile`, from this function.
import { z } from "zod";
import { Monitor, type MonitorSpec } from "./monitor.ts";

/** The three sections, named as in the file and the API, in the order `apply` creates and changes them. */
export const SECTIONS = ["maintenance", "channels", "monitors"] as const;
export type Section = (typeof SECTIONS)[number];

/** What the monitors-as-code code relies on of a channel as validated (the Worker's schema has more). */
export type ChannelSpec = {
  id: string;
  kind: string;
  name?: string | undefined;
  url: string;
  monitors: string[];
  secret?: string | undefined;
  [field: string]: unknown;
};
/** What it relies on of a maintenance window as validated. */
export type WindowSpec = { id: string; kind: string; monitors: string[]; [field: string]: unknown };

export type MonitorsFile = {
  $schema?: string | undefined;
  maintenance?: WindowSpec[] | undefined;
  channels?: ChannelSpec[] | undefined;
  monitors?: MonitorSpec[] | undefined;
};

// biome-ignore lint/suspicious/noTemplateCurlyInString: ${NAME} is the file's syntax for an environment variable
const ENV_NOTE = "Strings may name environment variables as ${NAME} ($${ for a literal ${).";

/**
 * The file's schema. A section left out is not managed (an editor's token can manage monitors and maintenance
 * windows without the channels an admin owns); a section present is the whole truth for its kind of item, which
 * `--prune` enforces by deleting what it lacks. Items are keyed by `id`, unique per section.
 */
export function monitorsFileSchema(parts: { channel: z.ZodType<ChannelSpec>; maintenance: z.ZodType<WindowSpec> }) {
  return z
    .strictObject({
      /** For editors that read a schema from the file itself (JSON); YAML files use a `# yaml-language-server: $schema=` comment. */
      $schema: z.string().optional(),
      maintenance: z.array(parts.maintenance).max(1000).optional(),
      channels: z.array(parts.channel).max(1000).optional(),
      monitors: z.array(Monitor).max(10000).optional(),
    })
    .superRefine((file, ctx) => {
      // Two items with one id would be applied over each other on every run.
      for (const section of SECTIONS) {
        const first = new Map<string, number>();
        (file[section] ?? []).forEach((item: { id: string }, i: number) => {
          const seen = first.get(item.id);
          if (seen === undefined) first.set(item.id, i);
          else ctx.addIssue({ code: "custom", path: [section, i, "id"], message: `repeats the id "${item.id}" of ${section}[${seen}]` });
        });
      }
    })
    .meta({
      title: "Infra Uptime Monitor: monitors file",
      description: `Monitors, alert channels and maintenance windows for \`npm run monitors -- plan|apply\` (docs/monitors-as-code.md). ${ENV_NOTE}`,
    }) as unknown as z.ZodType<MonitorsFile, unknown>;
}

/**
 * The JSON Schema of the file as written (defaults may be left out), for editors: deploy/monitors.schema.json.
 * It carries types, enums, bounds, patterns and defaults; the rules between fields (an edge monitor's minimum
 * interval, unique ids) are the zod schema's alone, so `validate` and `plan` remain the judges.
 */
export function monitorsFileJsonSchema(file: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(file, { io: "input", unrepresentable: "any", target: "draft-2020-12" }) as Record<string, unknown>;
}

// Settings read from environment variables (the Worker's vars, the agent's environment): the zod pieces both validate
// them with, and the list of settings a schema reads (name, default, description) for the docs to be checked against.
// Pure zod: no Node or Workers APIs.
import { z } from "zod";

/** An unset or empty variable takes the default (or is reported missing when required). */
export const emptyToUndefined = (v: unknown): unknown => (v === "" ? undefined : v);

/** A variable read with `schema`, an empty value counting as unset. */
export const envVar = <T extends z.ZodType>(schema: T) => z.preprocess(emptyToUndefined, schema);

/** A string, or unset. */
export const optionalString = envVar(z.string().optional());

/** A string, `def` when unset. */
export const stringVar = (def: string) => envVar(z.string().default(def));

/**
 * A whole number from `min` to `max`, `def` when unset. Given as its digits; with `numbers` (the default) a number is
 * accepted too, as wrangler.toml's `[vars]` may hand one over; without it (process.env holds only text) it is not.
 */
export const intVar = (def: number, min: number, max: number, { numbers = true }: { numbers?: boolean } = {}) => {
  const digits = z.string().regex(/^\d+$/, "must be a whole number");
  return envVar(
    (numbers ? z.union([z.number(), digits]) : digits)
      .transform(Number)
      .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
      .default(def),
  );
};

/** "true"/"1" or "false"/"0"; `def` when unset. */
export const boolVar = (def: boolean) =>
  envVar(
    z
      .enum(["true", "false", "1", "0"], 'must be "true" or "false"')
      .default(def ? "true" : "false")
      .transform((v) => v === "true" || v === "1"),
  );

/** One of `values`, `def` when unset; `message` replaces zod's "Invalid option" when given. */
export const enumVar = <const T extends readonly [string, ...string[]]>(values: T, def: T[number], message?: string) =>
  envVar(z.enum(values, message === undefined ? undefined : { error: message }).default(def));

/** One setting as the docs list it. */
export type Setting = {
  name: string;
  /** Whether leaving it unset is a problem. */
  required: boolean;
  /** The value it takes when unset, as it would be written in the environment; null when unset means off or none. */
  default: string | null;
  /** One line: what it does (the field's `.describe()`). */
  description: string;
};

/** The value of the first `.default()` on the way in (a preprocess's input side first), if the schema has one. */
function defaultOf(schema: z.ZodType): unknown {
  if (schema instanceof z.ZodDefault) return schema.def.defaultValue;
  if (schema instanceof z.ZodPipe) return defaultOf(schema.in as z.ZodType) ?? defaultOf(schema.out as z.ZodType);
  if (schema instanceof z.ZodOptional) return defaultOf(schema.unwrap() as z.ZodType);
  return undefined;
}

/** The settings an object schema of environment variables reads, in its order, leaving out `except` (bindings). */
export function settingsOf(schema: z.ZodObject, except: readonly string[] = []): Setting[] {
  return Object.entries(schema.shape)
    .filter(([name]) => !except.includes(name))
    .map(([name, field]) => {
      const def = defaultOf(field);
      return {
        name,
        required: !field.safeParse(undefined).success,
        default: def === undefined ? null : String(def),
        description: field.description ?? "",
      };
    });
}

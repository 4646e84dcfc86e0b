// The shared pieces of the Worker's and the agent's settings: empty means unset, whole numbers, booleans, one-of, and
// the list of settings a schema reads.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { boolVar, emptyToUndefined, enumVar, intVar, optionalString, settingsOf, stringVar } from "./settings.ts";

const messages = (r: { success: boolean; error?: z.ZodError }) => r.error?.issues.map((i) => i.message) ?? [];

describe("variables", () => {
  it("reads an empty value as unset", () => {
    expect(emptyToUndefined("")).toBeUndefined();
    expect(emptyToUndefined("0")).toBe("0");
    expect(optionalString.parse("")).toBeUndefined();
    expect(stringVar("uptime").parse("")).toBe("uptime");
  });

  it("reads whole numbers within their range, from text and (unless told not to) from numbers", () => {
    const n = intVar(50, 4, 10_000);
    expect(n.parse(undefined)).toBe(50);
    expect(n.parse("")).toBe(50);
    expect(n.parse("007")).toBe(7);
    expect(n.parse(12)).toBe(12);
    expect(messages(n.safeParse("3"))).toEqual(["must be at least 4"]);
    expect(messages(n.safeParse("10001"))).toEqual(["must be at most 10000"]);
    expect(messages(n.safeParse("1.5"))).toEqual(["must be a whole number"]);
    const text = intVar(50, 4, 10_000, { numbers: false });
    expect(text.parse("12")).toBe(12);
    expect(text.safeParse(12).success).toBe(false);
  });

  it("reads booleans and one-of values", () => {
    expect(boolVar(false).parse(undefined)).toBe(false);
    expect(boolVar(true).parse("")).toBe(true);
    expect(boolVar(false).parse("1")).toBe(true);
    expect(messages(boolVar(false).safeParse("yes"))).toEqual(['must be "true" or "false"']);
    expect(enumVar(["a", "b"], "b").parse("")).toBe("b");
    expect(messages(enumVar(["a", "b"], "b", "must be a or b").safeParse("c"))).toEqual(["must be a or b"]);
  });
});

describe("settingsOf", () => {
  it("lists each setting with whether it is required, its default as written, and its description", () => {
    const schema = z.object({
      BINDING: z.custom<object>((v) => typeof v === "object"),
      TOKEN: z.string().min(16).describe("the token"),
      PORT: intVar(8080, 1, 65535).describe("the port"),
      DEBUG: boolVar(false).describe("more logs"),
      LEVEL: enumVar(["info", "warn"], "info"),
      URL: optionalString.describe("where"),
      AGE: z
        .preprocess(
          emptyToUndefined,
          z
            .string()
            .default("7d")
            .transform((s) => s.length),
        )
        .describe("how old"),
    });
    expect(settingsOf(schema, ["BINDING"])).toEqual([
      { name: "TOKEN", required: true, default: null, description: "the token" },
      { name: "PORT", required: false, default: "8080", description: "the port" },
      { name: "DEBUG", required: false, default: "false", description: "more logs" },
      { name: "LEVEL", required: false, default: "info", description: "" },
      { name: "URL", required: false, default: null, description: "where" },
      { name: "AGE", required: false, default: "7d", description: "how old" },
    ]);
  });
});

// The settings the docs and the config files name are the ones the schemas read (edge/src/config/settings.ts,
// probe-agent/src/config.ts), with the same defaults: the Worker's table in docs/configuration.md (README.md's
// Configuration section before it existed), the agent's in probe-agent/README.md, and .env.example as
// docker-compose.yml hands it to the edge and the agent; also wrangler.toml's [vars] and npm start's list.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { Setting } from "../../contract/settings.ts";
import { SETTINGS as WORKER } from "../../edge/src/config/settings.ts";
import { SETTINGS as AGENT } from "../../probe-agent/src/config.ts";
// @ts-expect-error plain ESM helper without types
import { WORKER_SETTINGS } from "../../scripts/lib/wrangler-dev.mjs";

const ROOT = path.resolve(import.meta.dirname, "../..");
const read = (p: string) => readFileSync(path.join(ROOT, p), "utf8");

/** The Worker's bindings, as wrangler.toml declares them: rows of the docs' table, not settings. */
const BINDINGS = [...read("wrangler.toml").matchAll(/^(?:binding|\[\[ratelimits\]\]\nname) = "(\w+)"/gm)].map((m) => m[1]!);

/** A table row's cells, split on the pipes outside code spans. */
function cells(line: string): string[] {
  const out = [""];
  let code = false;
  for (const c of line.trim().replace(/^\||\|$/g, "")) {
    if (c === "`") code = !code;
    if (c === "|" && !code) out.push("");
    else out[out.length - 1] += c;
  }
  return out.map((s) => s.trim());
}

/** A setting as a docs table lists it; `default` is undefined when the table has no default column. */
type Documented = { name: string; default: string | null | undefined; required: boolean | undefined };

/**
 * The first Markdown table whose first column names `marker` in backticks: per name in its first column (a row may
 * name several, `A` / `B`, with its defaults as `1` / `2`), the default (the first code span of the default cell, null
 * for "unset" or "—") and whether it says required.
 */
function settingsTable(markdown: string, marker: string): Documented[] {
  const tables: string[][][] = [];
  let table: string[][] | null = null;
  for (const line of markdown.split("\n")) {
    if (!line.trim().startsWith("|")) table = null;
    else if (table) table.push(cells(line));
    else tables.push((table = [cells(line)]));
  }
  const found = tables.find((t) => t.slice(2).some((row) => row[0]?.includes(`\`${marker}\``)));
  if (!found) throw new Error(`no table lists \`${marker}\``);
  const [header, , ...rows] = found;
  const col = header!.findIndex((h) => /^default$/i.test(h));
  return rows.flatMap((row) => {
    const names = [...row[0]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!);
    const cell = col < 0 ? undefined : (row[col] ?? "");
    const parts = cell?.split(" / ");
    return names.map((name, i) => {
      const part = parts?.length === names.length ? parts[i] : cell;
      return {
        name,
        default: part === undefined ? undefined : (/`([^`]*)`/.exec(part)?.[1] ?? null),
        required: part === undefined ? undefined : /required/i.test(part),
      };
    });
  });
}

/** What disagrees between a docs table and a schema's settings, one line per problem. */
function mismatches(file: string, documented: Documented[], settings: Setting[], bindings: string[] = []): string[] {
  const byName = new Map(settings.map((s) => [s.name, s]));
  const listed = new Set(documented.map((d) => d.name));
  const out = settings.filter((s) => !listed.has(s.name)).map((s) => `${file}: ${s.name} is a setting but is not listed`);
  for (const d of documented) {
    const s = byName.get(d.name);
    if (!s) {
      if (!bindings.includes(d.name)) out.push(`${file}: ${d.name} is listed but is no setting`);
      continue;
    }
    if (d.default !== undefined && d.default !== s.default)
      out.push(`${file}: ${d.name} is documented with default ${d.default ?? "none"}, the schema's is ${s.default ?? "none"}`);
    if (d.required !== undefined && d.required !== s.required)
      out.push(
        `${file}: ${d.name} is documented as ${d.required ? "" : "not "}required, the schema ${s.required ? "requires it" : "does not"}`,
      );
  }
  return out;
}

describe("the documented settings are the schemas'", () => {
  it("the Worker's: the settings table of docs/configuration.md (else README.md) against edge/src/config/settings.ts", () => {
    const file = existsSync(path.join(ROOT, "docs/configuration.md")) ? "docs/configuration.md" : "README.md";
    expect(mismatches(file, settingsTable(read(file), "ADMIN_TOKEN"), WORKER, BINDINGS)).toEqual([]);
  });

  it("the agent's: the table in probe-agent/README.md against probe-agent/src/config.ts", () => {
    const file = "probe-agent/README.md";
    expect(mismatches(file, settingsTable(read(file), "AGENT_TOKEN"), AGENT)).toEqual([]);
  });

  it("every setting has a one-line description", () => {
    for (const s of [...WORKER, ...AGENT]) expect(s.description, s.name).toMatch(/^[^\n]+$/);
  });
});

describe(".env.example, through docker-compose.yml", () => {
  const example = new Map([...read(".env.example").matchAll(/^(\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
  const services = parse(read("docker-compose.yml"), { merge: true }).services;
  // The edge's container runs scripts/start.mjs, which reads a few variables of its own besides the Worker's.
  const startScript = read("scripts/start.mjs");
  const components = [
    { service: "edge", settings: WORKER, ownVariable: (name: string) => startScript.includes(`process.env.${name}`) },
    { service: "probe-agent", settings: AGENT, ownVariable: () => false },
  ];

  for (const { service, settings, ownVariable } of components)
    it(`gives ${service} only its settings, every required one, and each at its default`, () => {
      const environment: Record<string, unknown> = services[service].environment;
      const command = [services[service].command ?? []].flat().join(" ");
      const byName = new Map(settings.map((s) => [s.name, s]));
      const problems: string[] = [];
      for (const [name, value] of Object.entries(environment)) {
        const s = byName.get(name);
        if (!s) {
          if (!ownVariable(name)) problems.push(`docker-compose.yml gives ${service} ${name}, which is not one of its settings`);
          continue;
        }
        // `${VARIABLE:-fallback}`: .env.example's value and the fallback are the setting's default.
        const m = /^\$\{(\w+)(?::?-(.*))?\}$/.exec(String(value));
        if (!m || s.default === null) continue;
        const [, variable, fallback] = m;
        if (!example.has(variable!))
          problems.push(`.env.example does not name ${variable}, which docker-compose.yml gives ${service} as ${name}`);
        else if (example.get(variable!) !== "" && example.get(variable!) !== s.default)
          problems.push(
            `.env.example sets ${variable}=${example.get(variable!)} (${service}'s ${name}), the schema's default is ${s.default}`,
          );
        if (fallback !== undefined && fallback !== s.default)
          problems.push(`docker-compose.yml falls back to ${name}=${fallback} for ${service}, the schema's default is ${s.default}`);
      }
      for (const s of settings.filter((x) => x.required)) {
        const m = /^\$\{(\w+)/.exec(String(environment[s.name] ?? ""));
        if (m && !example.has(m[1]!)) problems.push(`.env.example does not name ${m[1]}, which ${service} requires as ${s.name}`);
        if (environment[s.name] === undefined && !command.includes(`${s.name}=`))
          problems.push(`docker-compose.yml does not give ${service} its required ${s.name}`);
      }
      expect(problems).toEqual([]);
    });
});

describe("the Worker's other lists of its settings", () => {
  const names = WORKER.map((s) => s.name);

  it("npm start passes exactly the Worker's settings (scripts/lib/wrangler-dev.mjs WORKER_SETTINGS)", () => {
    expect([...WORKER_SETTINGS].sort()).toEqual([...names].sort());
  });

  it("wrangler.toml's [vars] are Worker settings, each at its default", () => {
    const vars = /\n\[vars\]\n([\s\S]*?)(?:\n\[|$)/.exec(read("wrangler.toml"))?.[1] ?? "";
    const given = [...vars.matchAll(/^(\w+) = "(.*)"$/gm)].map((m) => [m[1]!, m[2]!]);
    expect(given.length).toBeGreaterThan(0);
    expect(given).toEqual(given.map(([name]) => [name, WORKER.find((s) => s.name === name)?.default ?? "(no such setting)"]));
  });
});

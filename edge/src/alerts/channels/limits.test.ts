// Every channel's request against its receiver's published limits, for the longest texts the API lets in,
// and clipping that never splits a character: emoji with ZWJ parts, flags, skin tones, combining marks.
import { describe, expect, it } from "vitest";
import { CheckError, Monitor, TlsDetail } from "../../../../contract/index.ts";
import { MAX_MESSAGE } from "../../../../contract/text.ts";
import { testEvent } from "../delivery.ts";
import type { AlertEvent } from "../events.ts";
import { DISCORD_LIMITS } from "./discord.ts";
import { ELLIPSIS, clipText, escapeMarkdown, utf8Length } from "./format.ts";
import { CHANNELS, CHANNEL_KINDS, type Channel, type ChannelKind } from "./index.ts";
import { NTFY_LIMITS } from "./ntfy.ts";
import { OPSGENIE_LIMITS } from "./opsgenie.ts";
import { PAGERDUTY_LIMITS } from "./pagerduty.ts";
import { SLACK_LIMITS } from "./slack.ts";
import { EMAIL_LIMITS } from "./email.ts";
import { TELEGRAM_LIMITS } from "./telegram.ts";
import { TEAMS_LIMITS } from "./teams.ts";
import { DOWN, OPTIONS, SENT_AT, secretFor } from "./testdata.ts";

const segmenter = new Intl.Segmenter("en", { granularity: "grapheme" });
const graphemeEnds = (s: string) => new Set([0, ...Array.from(segmenter.segment(s), (g) => g.index + g.segment.length)]);
// String.prototype.isWellFormed is ES2024; the runtimes have it, the TypeScript lib here does not.
const wellFormed = (s: string) => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/** `out` is `full`, or a prefix of `full` cut between two graphemes and followed by "…"; well-formed and at most `max` long. */
function expectClipped(out: string, full: string, max: number, measure: (s: string) => number = (s) => s.length) {
  expect(wellFormed(out), out).toBe(true);
  expect(measure(out)).toBeLessThanOrEqual(max);
  if (out === full) return;
  if (out === "") return expect(measure(ELLIPSIS)).toBeGreaterThan(max); // not even "…" fits
  expect(out.endsWith(ELLIPSIS), out).toBe(true);
  const kept = out.slice(0, -ELLIPSIS.length);
  expect(full.startsWith(kept), `${out} is not a prefix of ${full}`).toBe(true);
  expect(graphemeEnds(full).has(kept.length), `cut at ${kept.length}, inside a grapheme of ${full}`).toBe(true);
}

/** Repeats `unit` up to `max` UTF-16 code units, whole units only. */
const fill = (unit: string, max: number) => unit.repeat(Math.floor(max / unit.length));

/** Texts of graphemes that are several code points long, each with a different kind of cluster. */
const CLUSTERS = {
  zwj: "👨‍👩‍👧‍👦", // family: 4 emoji joined by 3 ZWJ, 11 code units, 25 bytes
  flags: "🇫🇷🇯🇵🇧🇷", // regional indicator pairs
  skin: "👍🏽👋🏿", // emoji + skin tone modifier
  combining: "a\u0300\u0301\u0302\u0303e\u0301", // base letters with stacked combining marks
  hangul: "\u1100\u1161\u11a8\u1102\u1165\u11ab", // conjoining jamo: two syllables, 3 code points each
  mixed: "x👩🏽‍💻e\u0301🇺🇦",
};

const channel = (kind: ChannelKind, name = `${kind} channel`): Channel => ({
  id: `${kind}-ch`,
  name,
  kind,
  url: `https://hooks.example.net/${kind}/topic`,
  secret: secretFor(kind),
  rotation: null,
  options: OPTIONS[kind] ?? {},
  monitors: [],
  events: ["down", "up"],
  enabled: true,
  disabled_reason: null,
  created_at: 0,
  updated_at: 0,
});

const build = async (kind: ChannelKind, event: AlertEvent) => CHANNELS[kind].build(event, channel(kind), SENT_AT);

describe("clipText", () => {
  it.each(Object.entries(CLUSTERS))("cuts %s text between graphemes, never in one, at every length", (_, unit) => {
    const text = unit.repeat(12);
    for (let max = 1; max <= text.length + 1; max++) {
      expectClipped(clipText(text, max), text, max);
      expectClipped(clipText(text, max, { measure: utf8Length }), text, max, utf8Length);
    }
  });

  it("keeps the longest prefix that fits, escapes included", () => {
    expect(clipText("👍🏽👍🏽👍🏽", 9)).toBe("👍🏽👍🏽…");
    expect(clipText("👍🏽👍🏽👍🏽", 8)).toBe("👍🏽…");
    expect(clipText("e\u0301e\u0301e\u0301", 5)).toBe("e\u0301e\u0301…");
    expect(clipText("**👍🏽", 6, { escape: escapeMarkdown })).toBe("\\*\\*…");
    expect(clipText("abc", 0)).toBe("");
  });
});

describe("names and errors made of emoji and combining characters", () => {
  const event = (unit: string): AlertEvent => ({
    ...DOWN,
    monitor: { ...DOWN.monitor, name: fill(unit, 200), target: `tcp-${fill(unit, 100)}.example:5432` },
    incident: { ...DOWN.incident!, last_error: { kind: "timeout", message: fill(unit, MAX_MESSAGE) } },
  });

  it.each(Object.entries(CLUSTERS))(
    "%s: every clipped text of every channel is well-formed, within its limit, and whole graphemes",
    async (_, unit) => {
      const e = event(unit);
      const name = e.monitor.name;
      const error = `timeout: ${e.incident!.last_error!.message}`;
      expect(Monitor.safeParse({ id: "m", kind: "http", target: "https://example.com/", name }).success).toBe(true);

      const slack = JSON.parse((await build("slack", e)).body);
      expectClipped(slack.blocks[0].text.text, `🔴 ${name} is down`, SLACK_LIMITS.header);
      const slackError = slack.blocks[1].fields.find((f: { text: string }) => f.text.startsWith("*Error*"));
      expectClipped(slackError.text, `*Error*\n${error}`, SLACK_LIMITS.field);
      expect(slackError.text.endsWith(ELLIPSIS)).toBe(true);

      const discord = JSON.parse((await build("discord", e)).body);
      expectClipped(discord.embeds[0].title, `${name} is down`, DISCORD_LIMITS.title);
      expectClipped(discord.content, `🔴 ${name} is down`, DISCORD_LIMITS.content);
      const discordError = discord.embeds[0].fields.find((f: { name: string }) => f.name === "Error");
      expectClipped(discordError.value, error, DISCORD_LIMITS.fieldValue);
      expect(discordError.value.endsWith(ELLIPSIS)).toBe(true);

      const teams = JSON.parse((await build("teams", e)).body);
      for (const fact of teams.attachments[0].content.body[1].facts) expect(wellFormed(fact.value)).toBe(true);

      const ntfy = await build("ntfy", e);
      expect(wellFormed(ntfy.body)).toBe(true);
      expect(utf8Length(ntfy.body)).toBeLessThanOrEqual(NTFY_LIMITS.body);
      expectClipped(decodeEncodedWords(ntfy.headers.title!), `${name} is down`, Number.POSITIVE_INFINITY);
      for (const line of ntfy.body.split("\n")) expect(wellFormed(line)).toBe(true);
    },
  );
});

/** An RFC 2047 header value back to text: the encoded-words' bytes joined (the spaces between words are not text). */
function decodeEncodedWords(value: string): string {
  if (!value.startsWith("=?")) return value;
  const words = value.split(" ");
  for (const w of words) {
    expect(w).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/]+=*\?=$/);
    expect(w.length).toBeLessThanOrEqual(NTFY_LIMITS.encodedWord);
    // Each word holds whole characters (RFC 2047 section 5): it decodes alone.
    expect(() =>
      new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(atob(w.slice(10, -2)), (c) => c.charCodeAt(0))),
    ).not.toThrow();
  }
  const bytes = words.flatMap((w) => Array.from(atob(w.slice(10, -2)), (c) => c.charCodeAt(0)));
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(bytes));
}

describe("ntfy body and title", () => {
  it("stay under 4,096 bytes, shortening target and error first and keeping every other line whole", async () => {
    const target = `https://例え.example/${"路径".repeat(1000)}`;
    const message = fill("接続がタイムアウトしました 🔌 ", MAX_MESSAGE);
    const e: AlertEvent = {
      ...DOWN,
      monitor: { ...DOWN.monitor, name: "本番 API サーバー", target },
      incident: { ...DOWN.incident!, last_error: { kind: "timeout", message } },
    };
    const req = await build("ntfy", e);
    expect(utf8Length(req.body)).toBeLessThanOrEqual(NTFY_LIMITS.body);
    expect(utf8Length(req.body)).toBeGreaterThan(NTFY_LIMITS.body - 16); // the room is used, not thrown away
    const lines = req.body.split("\n");
    expect(lines.map((l) => l.split(": ")[0])).toEqual(["Monitor", "Target", "Cause", "Error", "Time", "Event"]);
    expect(lines[0]).toBe("Monitor: 本番 API サーバー (homepage)");
    expect(lines[2]).toBe("Cause: 2 consecutive failures");
    expect(lines.slice(4)).toEqual(["Time: 2025-11-27T04:01:00.000Z", `Event: ${DOWN.id}`]);
    expectClipped(lines[1]!.slice("Target: ".length), target, NTFY_LIMITS.body, utf8Length);
    expectClipped(lines[3]!.slice("Error: ".length), `timeout: ${message}`, NTFY_LIMITS.body, utf8Length);
    // Both long values share the room: neither is cut to nothing.
    expect(utf8Length(lines[1]!)).toBeGreaterThan(1500);
    expect(utf8Length(lines[3]!)).toBeGreaterThan(1500);
  });

  it("shortens the other lines too when target and error alone could not make room (texts past today's API limits)", async () => {
    const issuer = "認証局".repeat(2000);
    const e: AlertEvent = {
      ...DOWN,
      type: "monitor.certificate",
      incident: null,
      monitor: { ...DOWN.monitor, name: "証明書".repeat(66), target: `${"ä".repeat(2000)}.example:443` },
      details: { days_left: 3, expires_at: 1_765_000_000_000, issuer },
    };
    const req = await build("ntfy", e);
    expect(utf8Length(req.body)).toBeLessThanOrEqual(NTFY_LIMITS.body);
    expect(req.body.split("\n").at(-1)).toBe(`Event: ${DOWN.id}`);
  });

  it("sends a long non-ASCII title as RFC 2047 encoded-words of whole characters, within one header line", async () => {
    const name = fill("監視対象", 200);
    const req = await build("ntfy", { ...DOWN, monitor: { ...DOWN.monitor, name } });
    const title = req.headers.title!;
    expect(title).toMatch(/^[\x20-\x7e]+$/);
    expect(title.length).toBeLessThanOrEqual(NTFY_LIMITS.title);
    expectClipped(decodeEncodedWords(title), `${name} is down`, Number.POSITIVE_INFINITY);
    expect(() => new Headers(req.headers)).not.toThrow();
  });
});

// ---- Worst cases: the longest texts the API accepts, in the characters that grow most when escaped or encoded.

/** Characters a text may be made of: plain, Markdown and mrkdwn specials (escaped to 2 or 5 characters), multi-byte, emoji. */
const FILLERS = { ascii: "x", markdown: "*", mrkdwn: "&", cjk: "監", emoji: "👨‍👩‍👧‍👦", combining: "e\u0301\u0302" };
/** In errors and issuers also controls, which JSON writes as 6 characters. */
const RAW_FILLERS = { ...FILLERS, control: "\u0001" };

/** The stored target at its longest: an http URL whose path is percent-encoded when normalised (6 characters per byte). */
function longestTarget(): string {
  const m = Monitor.parse({ id: "m", kind: "http", target: `https://a.example/${fill("👍", 2048 - "https://a.example/".length)}` });
  expect(m.target.length).toBeGreaterThan(12_000);
  return m.target;
}

function worstEvents(nameUnit: string, textUnit: string): AlertEvent[] {
  const id = fill("m", 64);
  const name = fill(nameUnit, 200);
  const message = fill(textUnit, MAX_MESSAGE);
  const issuer = fill(textUnit, 1024);
  // The inputs are what the API and the agents' contract accept, and nothing longer is.
  const monitor = (o: Record<string, unknown>) => Monitor.safeParse({ id, kind: "http", target: "https://example.com/", ...o }).success;
  expect(monitor({ name })).toBe(true);
  expect(monitor({ name: "x".repeat(201) })).toBe(false);
  expect(monitor({ id: id + "m" })).toBe(false);
  expect(CheckError.safeParse({ kind: "timeout", message }).success).toBe(true);
  expect(CheckError.safeParse({ kind: "timeout", message: "x".repeat(MAX_MESSAGE + 1) }).success).toBe(false);
  expect(TlsDetail.shape.issuer.safeParse(issuer).success).toBe(true);
  expect(TlsDetail.shape.issuer.safeParse("x".repeat(1025)).success).toBe(false);

  const incidentId = `inc_${id}_1764216000000`;
  const base: AlertEvent = {
    ...DOWN,
    id: `evt_${incidentId}_down`,
    monitor: { id, name, group: fill("g", 100), kind: "http", status: "down", target: longestTarget() },
    incident: {
      id: incidentId,
      monitor: id,
      opened_at: 0,
      resolved_at: null,
      cause: "50 of 50 locations down (quorum 50)",
      first_error: { kind: "connection", message },
      last_error: { kind: "connection", message },
    },
  };
  const testChannel = channel("slack", fill(nameUnit, 200));
  return [
    base,
    { ...base, type: "monitor.up", incident: { ...base.incident!, resolved_at: 86_400_000 * 999 } },
    { ...base, type: "monitor.reminder", details: { reminder: 999_999 } },
    { ...base, type: "monitor.degraded", incident: null, details: { latency_ms: 3_600_000, threshold_ms: 120_000 } },
    { ...base, type: "monitor.certificate", incident: null, details: { days_left: -1e6, expires_at: 4_102_444_800_000, issuer } },
    testEvent(testChannel, SENT_AT),
  ];
}

const CASES = Object.entries(FILLERS).flatMap(([nameKind, nameUnit]) =>
  Object.entries(RAW_FILLERS).map(([textKind, textUnit]) => [`names of ${nameKind}, errors of ${textKind}`, nameUnit, textUnit] as const),
);

const within = (what: string, s: unknown, min: number, max: number) => {
  expect(typeof s, what).toBe("string");
  expect((s as string).length, what).toBeGreaterThanOrEqual(min);
  expect((s as string).length, what).toBeLessThanOrEqual(max);
};

/** Slack Block Kit: header text 150, section fields 10 of 2,000, text objects 3,000, context elements 10, message `text` 40,000, blocks 50. */
function checkSlack(body: any) {
  within("text", body.text, 1, SLACK_LIMITS.text);
  expect(body.blocks.length).toBeLessThanOrEqual(50);
  for (const b of body.blocks) {
    if (b.type === "header") {
      expect(b.text.type).toBe("plain_text");
      within("header", b.text.text, 1, SLACK_LIMITS.header);
    } else if (b.type === "section") {
      expect(b.fields.length).toBeLessThanOrEqual(SLACK_LIMITS.fields);
      for (const f of b.fields) within("section field", f.text, 1, SLACK_LIMITS.field);
    } else if (b.type === "context") {
      expect(b.elements.length).toBeLessThanOrEqual(10);
      for (const el of b.elements) within("context element", el.text, 1, SLACK_LIMITS.textObject);
    } else throw new Error(`unexpected block ${b.type}`);
  }
}

/** Discord: content 2,000; an embed's title 256, fields 25 (name 256, value 1,024), footer 2,048, and 6,000 characters in all. */
function checkDiscord(body: any) {
  within("content", body.content, 0, DISCORD_LIMITS.content);
  expect(body.embeds.length).toBeLessThanOrEqual(10);
  for (const e of body.embeds) {
    within("title", e.title, 1, DISCORD_LIMITS.title);
    expect(e.fields.length).toBeLessThanOrEqual(DISCORD_LIMITS.fields);
    for (const f of e.fields) {
      within("field name", f.name, 1, DISCORD_LIMITS.fieldName);
      within("field value", f.value, 1, DISCORD_LIMITS.fieldValue);
    }
    within("footer", e.footer.text, 1, DISCORD_LIMITS.footer);
    const total = e.title.length + e.footer.text.length + e.fields.reduce((n: number, f: any) => n + f.name.length + f.value.length, 0);
    expect(total).toBeLessThanOrEqual(DISCORD_LIMITS.embed);
  }
}

// The parts of the Adaptive Card 1.4 schema (adaptivecards.io/schemas/1.4.0/adaptive-card.json) this card uses:
// the properties each type allows (additionalProperties is false), those it requires, and the enums (case-insensitive).
const ELEMENT_PROPS = ["type", "fallback", "height", "separator", "spacing", "id", "isVisible", "requires"];
const CARD_SCHEMA_1_4: Record<string, { props: string[]; required: string[] }> = {
  AdaptiveCard: {
    props: [
      "type",
      "version",
      "refresh",
      "body",
      "actions",
      "selectAction",
      "fallbackText",
      "backgroundImage",
      "minHeight",
      "speak",
      "lang",
      "verticalContentAlignment",
      "$schema",
    ],
    required: ["version"],
  },
  TextBlock: {
    props: [...ELEMENT_PROPS, "text", "color", "fontType", "horizontalAlignment", "isSubtle", "maxLines", "size", "weight", "wrap"],
    required: ["text"],
  },
  FactSet: { props: [...ELEMENT_PROPS, "facts"], required: ["facts"] },
  Fact: { props: ["type", "title", "value"], required: ["title", "value"] },
};
const ENUMS_1_4: Record<string, string[]> = {
  color: ["default", "dark", "light", "accent", "good", "warning", "attention"],
  size: ["default", "small", "medium", "large", "extralarge"],
  weight: ["default", "lighter", "bolder"],
};

function checkCardObject(kind: string, o: Record<string, unknown>) {
  const def = CARD_SCHEMA_1_4[kind]!;
  for (const k of Object.keys(o)) expect(def.props, `${kind}.${k}`).toContain(k);
  for (const k of def.required) expect(o, `${kind} requires ${k}`).toHaveProperty(k);
  for (const [k, values] of Object.entries(ENUMS_1_4)) if (k in o) expect(values, `${kind}.${k}`).toContain(String(o[k]).toLowerCase());
  for (const k of ["isSubtle", "wrap"]) if (k in o) expect(typeof o[k]).toBe("boolean");
}

/** Teams: one Adaptive Card 1.4 that keeps to the schema, in a message of at most 28 KB. */
function checkTeams(raw: string) {
  expect(utf8Length(raw)).toBeLessThanOrEqual(TEAMS_LIMITS.message);
  const body = JSON.parse(raw);
  expect(body.type).toBe("message");
  expect(body.attachments).toHaveLength(1);
  expect(body.attachments[0].contentType).toBe("application/vnd.microsoft.card.adaptive");
  const card = body.attachments[0].content;
  expect(card).toMatchObject({ type: "AdaptiveCard", version: "1.4" });
  checkCardObject("AdaptiveCard", card);
  for (const el of card.body) {
    checkCardObject(el.type, el);
    if (el.type === "TextBlock") expect(typeof el.text).toBe("string");
    if (el.type === "FactSet")
      for (const f of el.facts) {
        checkCardObject("Fact", f);
        expect([typeof f.title, typeof f.value]).toEqual(["string", "string"]);
      }
  }
}

/** ntfy: a body below 4,096 bytes (else it becomes an attachment), a title that is one printable ASCII header line. */
function checkNtfy(req: { headers: Record<string, string>; body: string }) {
  expect(utf8Length(req.body)).toBeLessThanOrEqual(NTFY_LIMITS.body);
  expect(req.headers.title).toMatch(/^[\x20-\x7e]+$/);
  expect(req.headers.title!.length).toBeLessThanOrEqual(NTFY_LIMITS.title);
  decodeEncodedWords(req.headers.title!);
  expect(() => new Headers(req.headers)).not.toThrow();
}

/** PagerDuty Events v2: summary 1,024, dedup_key 255, an event at most 512 KB; a resolve names only its key. */
function checkPagerDuty(raw: string) {
  expect(utf8Length(raw)).toBeLessThanOrEqual(512 * 1024);
  const body = JSON.parse(raw);
  within("dedup_key", body.dedup_key, 1, PAGERDUTY_LIMITS.dedupKey);
  if (body.event_action === "resolve") return expect(Object.keys(body)).toEqual(["routing_key", "event_action", "dedup_key"]);
  expect(body.event_action).toBe("trigger");
  within("summary", body.payload.summary, 1, PAGERDUTY_LIMITS.summary);
  for (const k of ["source", "component", "class"]) within(k, body.payload[k], 1, PAGERDUTY_LIMITS.field);
  if ("group" in body.payload) within("group", body.payload.group, 1, PAGERDUTY_LIMITS.field);
  expect(["critical", "error", "warning", "info"]).toContain(body.payload.severity);
}

/** Opsgenie: message 130, alias 512, description 15,000, entity 512, source 100, note 25,000. */
function checkOpsgenie(req: { url: string; body: string }) {
  const body = JSON.parse(req.body);
  within("source", body.source, 1, OPSGENIE_LIMITS.source);
  if (req.url.endsWith("/close?identifierType=alias")) return within("note", body.note, 1, OPSGENIE_LIMITS.note);
  within("message", body.message, 1, OPSGENIE_LIMITS.message);
  within("alias", body.alias, 1, OPSGENIE_LIMITS.alias);
  within("description", body.description, 1, OPSGENIE_LIMITS.description);
  within("entity", body.entity, 1, OPSGENIE_LIMITS.entity);
  for (const v of Object.values(body.details)) expect(typeof v).toBe("string");
}

/** Telegram sendMessage: text 1 to 4,096 characters; the event id, the last line, survives. */
function checkTelegram(raw: string) {
  const body = JSON.parse(raw);
  within("text", body.text, 1, TELEGRAM_LIMITS.text);
  expect(body.text.split("\n").at(-1)).toMatch(/^Event: evt_/);
}

/** Email: a one-line subject of at most 200 characters, a text of at most 100,000. */
function checkEmail(raw: string) {
  const body = JSON.parse(raw);
  within("subject", body.subject, 1, EMAIL_LIMITS.subject);
  expect(body.subject).not.toMatch(/[\r\n]/);
  within("text", body.text, 1, EMAIL_LIMITS.text);
}

describe("each channel's request within its receiver's limits, for the longest texts the API accepts", () => {
  const target = longestTarget();

  it.each(CASES)("%s", async (_, nameUnit, textUnit) => {
    for (const event of worstEvents(nameUnit, textUnit)) {
      expect(event.type === "test" || event.monitor.target === target).toBe(true);
      for (const kind of CHANNEL_KINDS) {
        const req = await build(kind, event);
        expect(wellFormed(req.body), `${kind} ${event.type}`).toBe(true);
        if (kind === "slack") checkSlack(JSON.parse(req.body));
        if (kind === "discord") checkDiscord(JSON.parse(req.body));
        if (kind === "teams") checkTeams(req.body);
        if (kind === "ntfy") checkNtfy(req);
        if (kind === "pagerduty") checkPagerDuty(req.body);
        if (kind === "opsgenie") checkOpsgenie(req);
        if (kind === "telegram") checkTelegram(req.body);
        if (kind === "email") checkEmail(req.body);
      }
    }
  });
});

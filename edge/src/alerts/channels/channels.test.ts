// Every channel kind's request, byte for byte, for fixed events; the registry covers every kind.
import { describe, expect, it } from "vitest";
import type { AlertEvent } from "../events.ts";
import { clipText, escapeMarkdown } from "./format.ts";
import { CHANNELS, CHANNEL_KINDS, CHANNEL_SCHEMAS, maskUrl, type Channel, type ChannelKind } from "./index.ts";
import { DOWN, DOWN_BODIES, DOWN_HEADERS, KEY, OPTIONS, SECRET, SENT_AT, secretFor, verifyWebhook } from "./testdata.ts";

const channel = (kind: ChannelKind): Channel => ({
  id: `${kind}-ch`,
  name: `${kind} channel`,
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

const UP: AlertEvent = {
  ...DOWN,
  id: "evt_up",
  type: "monitor.up",
  timestamp: 1_764_219_723_000,
  monitor: { ...DOWN.monitor, status: "up" },
  incident: { ...DOWN.incident!, resolved_at: 1_764_219_723_000 },
};
const REMINDER: AlertEvent = { ...DOWN, id: "evt_rem", type: "monitor.reminder", timestamp: 1_764_223_660_000, details: { reminder: 2 } };
const DEGRADED: AlertEvent = {
  ...DOWN,
  id: "evt_deg",
  type: "monitor.degraded",
  incident: null,
  monitor: { ...DOWN.monitor, status: "up" },
  details: { latency_ms: 2450, threshold_ms: 1000, checks: 3 },
};
const CERTIFICATE: AlertEvent = {
  ...DOWN,
  id: "evt_cert",
  type: "monitor.certificate",
  incident: null,
  monitor: { id: "db-tls", name: "db-tls", group: "Public", kind: "tls", status: "up", target: "db.internal:5432" },
  details: { days_left: 9, expires_at: 1_765_000_000_000, issuer: "R11", warning_days: 14 },
};
const TEST: AlertEvent = { ...DOWN, id: "evt_test", type: "test", incident: null, details: { message: "This is a test.", channel: "c" } };

describe("channel registry", () => {
  it("has exactly one definition per kind, each under its own name", () => {
    expect(Object.keys(CHANNELS).sort()).toEqual([...CHANNEL_KINDS].sort());
    for (const k of CHANNEL_KINDS) expect(CHANNELS[k].kind).toBe(k);
    expect(CHANNEL_KINDS.filter((k) => CHANNELS[k].signed)).toEqual(["webhook"]);
  });
});

describe.each(CHANNEL_KINDS)("%s request for a down event", (kind) => {
  it("is exactly the documented body and headers, POSTed to the channel's URL", async () => {
    const req = await CHANNELS[kind].build(DOWN, channel(kind), SENT_AT);
    // Opsgenie's and Telegram's channel URL is the API's base; the request goes to a path under it.
    const under: Partial<Record<ChannelKind, string>> = { opsgenie: "/v2/alerts", telegram: `/bot${KEY}/sendMessage` };
    expect(req.url).toBe(`https://hooks.example.net/${kind}/topic${under[kind] ?? ""}`);
    expect(req.method).toBe("POST");
    expect(req.body).toBe(DOWN_BODIES[kind]);
    expect(req.headers).toEqual(DOWN_HEADERS[kind]);
  });
});

describe("webhook", () => {
  it("signs id.timestamp.body with the secret's bytes, as a Standard Webhooks verifier checks it", async () => {
    const req = await CHANNELS.webhook.build(DOWN, channel("webhook"), SENT_AT);
    const id = req.headers["webhook-id"]!;
    const ts = req.headers["webhook-timestamp"]!;
    expect(id).toBe(DOWN.id);
    expect(ts).toBe(String(Math.floor(SENT_AT / 1000)));
    const nowS = Math.floor(SENT_AT / 1000);
    expect(await verifyWebhook(SECRET, req.headers, req.body, nowS)).toBe(true);
    // The verifier is not a rubber stamp: another body, id, secret or an old timestamp fail.
    expect(await verifyWebhook(SECRET, req.headers, req.body.replace("Homepage", "Homepagf"), nowS)).toBe(false);
    expect(await verifyWebhook(SECRET, { ...req.headers, "webhook-id": "evt_other" }, req.body, nowS)).toBe(false);
    expect(await verifyWebhook("whsec_" + btoa("another secret of 24+ bytes!"), req.headers, req.body, nowS)).toBe(false);
    expect(await verifyWebhook(SECRET, req.headers, req.body, nowS + 301)).toBe(false);
  });

  it("gives times in details as RFC 3339 and keeps the other details", async () => {
    const req = await CHANNELS.webhook.build(CERTIFICATE, channel("webhook"), SENT_AT);
    expect(req.body).toBe(
      '{"id":"evt_cert","type":"monitor.certificate","timestamp":"2025-11-27T04:01:00.000Z",' +
        '"monitor":{"id":"db-tls","name":"db-tls","group":"Public","kind":"tls","status":"up","target":"db.internal:5432"},' +
        '"incident":null,"details":{"days_left":9,"expires_at":"2025-12-06T05:46:40.000Z","issuer":"R11","warning_days":14}}',
    );
  });

  it("refuses to build without a secret rather than send unsigned", async () => {
    await expect(CHANNELS.webhook.build(DOWN, { ...channel("webhook"), secret: null }, SENT_AT)).rejects.toThrow(/no signing secret/);
  });
});

describe("ntfy, for every event type", () => {
  const cases: Array<[AlertEvent, Record<string, string>, string]> = [
    [
      UP,
      { title: "Homepage is up again", priority: "3", tags: "white_check_mark,up" },
      "Monitor: Homepage (homepage)\nTarget: https://example.com/\nDown for: 1h 1m 3s\nCause: 2 consecutive failures\nTime: 2025-11-27T05:02:03.000Z\nEvent: evt_up",
    ],
    [
      REMINDER,
      { title: "Homepage is still down", priority: "4", tags: "repeat,reminder" },
      "Monitor: Homepage (homepage)\nTarget: https://example.com/\nReminder: #2\nDown for: 2h 6m 40s\nError: timeout: no answer within 10000 ms\nTime: 2025-11-27T06:07:40.000Z\nEvent: evt_rem",
    ],
    [
      DEGRADED,
      { title: "Homepage is degraded", priority: "3", tags: "warning,degraded" },
      "Monitor: Homepage (homepage)\nTarget: https://example.com/\nLatency: 2450 ms (threshold 1000 ms)\nTime: 2025-11-27T04:01:00.000Z\nEvent: evt_deg",
    ],
    [
      CERTIFICATE,
      { title: "db-tls: certificate expires in 9 days", priority: "3", tags: "lock,certificate" },
      "Monitor: db-tls\nTarget: db.internal:5432\nExpires: 2025-12-06T05:46:40.000Z\nIssuer: R11\nTime: 2025-11-27T04:01:00.000Z\nEvent: evt_cert",
    ],
    [
      TEST,
      { title: "Test notification from Infra Uptime Monitor", priority: "3", tags: "test_tube,test" },
      "Message: This is a test.\nTime: 2025-11-27T04:01:00.000Z\nEvent: evt_test",
    ],
  ];
  it.each(cases)("%# builds exact headers and body", async (event, headers, body) => {
    const req = await CHANNELS.ntfy.build(event, channel("ntfy"), SENT_AT);
    expect(req.headers).toEqual({ "content-type": "text/plain; charset=utf-8", ...headers });
    expect(req.body).toBe(body);
  });
});

describe("text from monitor names", () => {
  const odd: AlertEvent = { ...DOWN, monitor: { ...DOWN.monitor, name: "Café <API> & co @everyone" } };

  it("slack escapes &, < and > in mrkdwn but not in plain text", async () => {
    const body = JSON.parse((await CHANNELS.slack.build(odd, channel("slack"), SENT_AT)).body);
    expect(body.text).toBe("🔴 Café &lt;API&gt; &amp; co @everyone is down");
    expect(body.blocks[0].text.text).toBe("🔴 Café <API> & co @everyone is down");
    expect(body.blocks[1].fields[0].text).toBe("*Monitor*\nCafé &lt;API&gt; &amp; co @everyone (homepage)");
  });

  it("discord never parses mentions, and breaks @everyone and @here", async () => {
    const body = JSON.parse((await CHANNELS.discord.build(odd, channel("discord"), SENT_AT)).body);
    expect(body.content).toBe("🔴 Café <API\\> & co @\u200beveryone is down");
    expect(body.allowed_mentions).toEqual({ parse: [] });
  });

  it("ntfy sends a non-ASCII title as an RFC 2047 encoded-word", async () => {
    const req = await CHANNELS.ntfy.build(odd, channel("ntfy"), SENT_AT);
    expect(req.headers.title).toBe("=?UTF-8?B?Q2Fmw6kgPEFQST4gJiBjbyBAZXZlcnlvbmUgaXMgZG93bg==?=");
    const decoded = new TextDecoder().decode(Uint8Array.from(atob(req.headers.title!.slice(10, -2)), (c) => c.charCodeAt(0)));
    expect(decoded).toBe("Café <API> & co @everyone is down");
    // Header values must be bytes: a raw "é" would make fetch throw.
    expect(() => new Headers(req.headers)).not.toThrow();
  });

  const hostile: AlertEvent = {
    ...DOWN,
    monitor: { ...DOWN.monitor, name: "**x** @everyone [a](http://evil)", target: "https://example.com/a_b_c" },
    incident: {
      ...DOWN.incident!,
      last_error: { kind: "status", message: "got 503 `boom` ~~gone~~ | > # @here {{DATE(2025-01-01T00:00:00Z)}}" },
    },
  };

  it("discord escapes Markdown and mentions in every text it renders, byte for byte", async () => {
    const req = await CHANNELS.discord.build(hostile, channel("discord"), SENT_AT);
    expect(req.body).toBe(
      '{"content":"🔴 \\\\*\\\\*x\\\\*\\\\* @\u200beveryone \\\\[a\\\\]\\\\(http://evil\\\\) is down","embeds":[{' +
        '"title":"\\\\*\\\\*x\\\\*\\\\* @\u200beveryone \\\\[a\\\\]\\\\(http://evil\\\\) is down","color":14233637,"fields":[' +
        '{"name":"Monitor","value":"\\\\*\\\\*x\\\\*\\\\* @\u200beveryone \\\\[a\\\\]\\\\(http://evil\\\\) \\\\(homepage\\\\)","inline":false},' +
        '{"name":"Target","value":"https://example.com/a\\\\_b\\\\_c","inline":true},' +
        '{"name":"Cause","value":"2 consecutive failures","inline":true},' +
        '{"name":"Error","value":"status: got 503 \\\\`boom\\\\` \\\\~\\\\~gone\\\\~\\\\~ \\\\| \\\\> \\\\# @\u200bhere {\u200b{DATE\\\\(2025-01-01T00:00:00Z\\\\)}}","inline":false},' +
        '{"name":"Time","value":"2025-11-27T04:01:00.000Z","inline":true}],' +
        '"footer":{"text":"monitor.down · evt_inc_homepage_1764216000000_down"},"timestamp":"2025-11-27T04:01:00.000Z"}],"allowed_mentions":{"parse":[]}}',
    );
    expect(req.body).not.toContain("@everyone");
    expect(req.body).not.toContain("[a](");
  });

  it("teams escapes Markdown in the headline, every fact value and the footer", async () => {
    const body = JSON.parse((await CHANNELS.teams.build(hostile, channel("teams"), SENT_AT)).body);
    const [head, factSet, foot] = body.attachments[0].content.body;
    expect(head.text).toBe("🔴 \\*\\*x\\*\\* @\u200beveryone \\[a\\]\\(http://evil\\) is down");
    expect(factSet.facts).toEqual([
      { title: "Monitor", value: "\\*\\*x\\*\\* @\u200beveryone \\[a\\]\\(http://evil\\) \\(homepage\\)" },
      { title: "Target", value: "https://example.com/a\\_b\\_c" },
      { title: "Cause", value: "2 consecutive failures" },
      {
        title: "Error",
        value: "status: got 503 \\`boom\\` \\~\\~gone\\~\\~ \\| \\> \\# @\u200bhere {\u200b{DATE\\(2025-01-01T00:00:00Z\\)}}",
      },
      { title: "Time", value: "2025-11-27T04:01:00.000Z" },
    ]);
    expect(foot.text).toBe("monitor.down · evt\\_inc\\_homepage\\_1764216000000\\_down");
  });

  it("escapeMarkdown escapes list markers at a line's start and every backslash first", () => {
    expect(escapeMarkdown("- a")).toBe("\\- a");
    expect(escapeMarkdown("12. a")).toBe("12\\. a");
    expect(escapeMarkdown("a - b 1. c")).toBe("a - b 1. c");
    expect(escapeMarkdown("\\*")).toBe("\\\\\\*");
    expect(escapeMarkdown("@Everyone @HERE @hereafter")).toBe("@\u200bEveryone @\u200bHERE @hereafter");
  });

  it("clipText never ends in half an escape", () => {
    const md = { escape: escapeMarkdown };
    const out = clipText("a".repeat(8) + "*".repeat(20), 12, md);
    expect(out).toBe("aaaaaaaa\\*…");
    expect(clipText("*".repeat(10), 7, md)).toBe("\\*\\*\\*…");
    expect(clipText("short", 7, md)).toBe("short");
  });

  it("keeps a tcp target's answer out of every chat, with the check's own words", async () => {
    const banner = JSON.stringify("220 **evil** @everyone [x](http://evil)");
    const tcpDown: AlertEvent = {
      ...DOWN,
      monitor: { ...DOWN.monitor, kind: "tcp", target: "db.internal:5432" },
      incident: {
        ...DOWN.incident!,
        last_error: {
          kind: "keyword",
          message: `db.internal:5432: expected "PONG" but received 39 bytes before the server closed the connection: ${banner}`,
        },
      },
    };
    for (const kind of ["slack", "discord", "teams", "ntfy"] as const) {
      const req = await CHANNELS[kind].build(tcpDown, channel(kind), SENT_AT);
      expect(req.body, kind).not.toContain("evil");
      expect(req.body, kind).toContain("the target's answer is withheld");
    }
    const ntfy = await CHANNELS.ntfy.build(tcpDown, channel("ntfy"), SENT_AT);
    expect(ntfy.body).toContain(
      'Error: keyword: db.internal:5432: expected "PONG" but received 39 bytes before the server closed the connection; the target\'s answer is withheld',
    );
  });

  it("clips to each service's limits", async () => {
    const long: AlertEvent = { ...DOWN, monitor: { ...DOWN.monitor, name: "x".repeat(400) } };
    const slack = JSON.parse((await CHANNELS.slack.build(long, channel("slack"), SENT_AT)).body);
    expect(slack.blocks[0].text.text).toHaveLength(150);
    const discord = JSON.parse((await CHANNELS.discord.build(long, channel("discord"), SENT_AT)).body);
    expect(discord.embeds[0].title).toHaveLength(256);
    expect(discord.embeds[0].title.endsWith("…")).toBe(true);
  });
});

describe("channel schemas", () => {
  const parse = (kind: ChannelKind, input: Record<string, unknown>) =>
    CHANNEL_SCHEMAS[kind].safeParse({ id: "c1", kind, url: "https://hooks.example.net/x", ...input });

  it("default to every monitor and every event", () => {
    const r = parse("slack", {});
    expect(r.success && r.data).toMatchObject({
      monitors: [],
      events: ["down", "up", "degraded", "certificate", "reminder"],
      enabled: true,
    });
  });

  it("take a secret on webhooks only, and only a well-formed one", () => {
    expect(parse("webhook", { secret: SECRET }).success).toBe(true);
    expect(parse("webhook", { secret: "whsec_short" }).error?.issues[0]).toMatchObject({ path: ["secret"] });
    expect(parse("webhook", { secret: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }).success).toBe(false);
    expect(parse("slack", { secret: SECRET }).error?.issues[0]).toMatchObject({ code: "unrecognized_keys", keys: ["secret"] });
  });

  it("refuse unknown fields, repeated or unknown events, other URL schemes, and an ntfy URL without a topic", () => {
    expect(parse("discord", { colour: "red" }).success).toBe(false);
    expect(parse("teams", { events: ["down", "down"] }).error?.issues[0]?.message).toBe("must not repeat an event");
    expect(parse("teams", { events: ["sideways"] }).success).toBe(false);
    expect(parse("teams", { events: [] }).error?.issues[0]?.message).toMatch(/at least one event/);
    expect(parse("webhook", { url: "ftp://hooks.example.net/x" }).error?.issues[0]?.message).toBe("must be an http:// or https:// URL");
    expect(parse("ntfy", { url: "https://ntfy.example.net/" }).error?.issues[0]).toMatchObject({
      path: ["url"],
      message: "must be the topic's URL, e.g. https://ntfy.sh/my-alerts",
    });
    expect(parse("ntfy", { url: "https://ntfy.example.net/alerts" }).success).toBe(true);
  });

  it("refuse a masked URL, which is not the channel's URL", () => {
    expect(parse("slack", { url: "https://hooks.example.net/…abcd" }).error?.issues).toEqual([
      expect.objectContaining({ path: ["url"], message: "is a masked URL: send the full URL, or leave url out to keep the current one" }),
    ]);
  });
});

describe("maskUrl", () => {
  it("keeps scheme and host, and the last 4 characters when at least 12 are hidden", () => {
    expect(maskUrl("https://hooks.slack.com/services/T0/B0/abcdefgh")).toBe("https://hooks.slack.com/…efgh");
    expect(maskUrl("https://u:p@ntfy.example.net:8443/alerts?auth=tk_1234")).toBe("https://ntfy.example.net:8443/…1234");
    expect(maskUrl("https://ntfy.example.net/short")).toBe("https://ntfy.example.net/…");
    expect(maskUrl("https://ntfy.example.net/")).toBe("https://ntfy.example.net/…");
    expect(maskUrl("not a url")).toBe("…");
  });
});

describe("pagerduty", () => {
  const trigger = (dedup: string, severity: string, summary: string, cls: string, details: string) =>
    `{"routing_key":"${KEY}","event_action":"trigger","dedup_key":"${dedup}","payload":{"summary":"${summary}",` +
    `"source":"https://example.com/","severity":"${severity}","timestamp":"2025-11-27T04:01:00.000Z","component":"homepage","group":"Public",` +
    `"class":"${cls}","custom_details":${details}}}`;
  const cases: Array<[AlertEvent, string]> = [
    [UP, `{"routing_key":"${KEY}","event_action":"resolve","dedup_key":"inc_homepage_1764216000000"}`],
    [
      REMINDER,
      trigger(
        "inc_homepage_1764216000000",
        "critical",
        "Homepage is still down",
        "monitor.reminder",
        '{"Monitor":"Homepage (homepage)","Target":"https://example.com/","Reminder":"#2","Down for":"2h 6m 40s",' +
          '"Error":"timeout: no answer within 10000 ms","Time":"2025-11-27T06:07:40.000Z","Event":"evt_rem"}',
      ).replace('"timestamp":"2025-11-27T04:01:00.000Z"', '"timestamp":"2025-11-27T06:07:40.000Z"'),
    ],
    [
      DEGRADED,
      trigger(
        "evt_deg",
        "warning",
        "Homepage is degraded",
        "monitor.degraded",
        '{"Monitor":"Homepage (homepage)","Target":"https://example.com/","Latency":"2450 ms (threshold 1000 ms)","Time":"2025-11-27T04:01:00.000Z","Event":"evt_deg"}',
      ),
    ],
  ];
  it.each(cases)("%# builds the exact Events v2 body", async (event, body) => {
    expect((await CHANNELS.pagerduty.build(event, channel("pagerduty"), SENT_AT)).body).toBe(body);
  });

  it("resolves with the dedup_key the trigger used: the incident's id", async () => {
    const t = JSON.parse((await CHANNELS.pagerduty.build(DOWN, channel("pagerduty"), SENT_AT)).body);
    const r = JSON.parse((await CHANNELS.pagerduty.build(UP, channel("pagerduty"), SENT_AT)).body);
    expect([t.event_action, r.event_action]).toEqual(["trigger", "resolve"]);
    expect(r.dedup_key).toBe(t.dedup_key);
    expect(t.dedup_key).toBe(DOWN.incident!.id);
  });

  it("clips a summary of emoji to 1,024 characters between graphemes", async () => {
    const name = "👨‍👩‍👧‍👦".repeat(100);
    const body = JSON.parse(
      (await CHANNELS.pagerduty.build({ ...DOWN, monitor: { ...DOWN.monitor, name } }, channel("pagerduty"), SENT_AT)).body,
    );
    expect(body.payload.summary).toBe(clipText(`${name} is down`, 1024));
    expect(body.payload.summary).toBe(`${"👨‍👩‍👧‍👦".repeat(93)}…`);
  });

  it("refuses to build without a routing key", async () => {
    await expect(CHANNELS.pagerduty.build(DOWN, { ...channel("pagerduty"), secret: null }, SENT_AT)).rejects.toThrow(/no routing key/);
  });
});

describe("opsgenie", () => {
  it("closes by the alias it created with, and says so in the URL", async () => {
    const req = await CHANNELS.opsgenie.build(UP, channel("opsgenie"), SENT_AT);
    expect(req.url).toBe("https://hooks.example.net/opsgenie/topic/v2/alerts/inc_homepage_1764216000000/close?identifierType=alias");
    expect(req.headers).toEqual({ "content-type": "application/json", authorization: `GenieKey ${KEY}` });
    expect(req.body).toBe(
      '{"source":"Infra Uptime Monitor","note":"Monitor: Homepage (homepage)\\nTarget: https://example.com/\\nDown for: 1h 1m 3s\\n' +
        'Cause: 2 consecutive failures\\nTime: 2025-11-27T05:02:03.000Z\\nEvent: evt_up"}',
    );
    expect(JSON.parse(DOWN_BODIES.opsgenie).alias).toBe(DOWN.incident!.id);
  });

  it("creates a certificate alert under its own alias, at P3", async () => {
    const req = await CHANNELS.opsgenie.build(CERTIFICATE, channel("opsgenie"), SENT_AT);
    expect(req.body).toBe(
      '{"message":"db-tls: certificate expires in 9 days","alias":"evt_cert","description":"Monitor: db-tls\\nTarget: db.internal:5432\\n' +
        'Expires: 2025-12-06T05:46:40.000Z\\nIssuer: R11\\nTime: 2025-11-27T04:01:00.000Z\\nEvent: evt_cert","tags":["uptime","monitor.certificate"],' +
        '"details":{"monitor":"db-tls","event":"evt_cert","type":"monitor.certificate"},"entity":"db-tls","source":"Infra Uptime Monitor","priority":"P3"}',
    );
  });

  it("clips a message of emoji to 130 characters between graphemes, and keeps a base URL's path", async () => {
    const name = "👍🏽".repeat(100);
    const ch = { ...channel("opsgenie"), url: "https://proxy.example.net/opsgenie/" };
    const req = await CHANNELS.opsgenie.build({ ...DOWN, monitor: { ...DOWN.monitor, name } }, ch, SENT_AT);
    expect(req.url).toBe("https://proxy.example.net/opsgenie/v2/alerts");
    expect(JSON.parse(req.body).message).toBe(`${"👍🏽".repeat(32)}…`);
  });
});

describe("telegram", () => {
  it("sends plain text (no parse_mode, so Markdown and HTML stay as typed) for a recovery", async () => {
    const req = await CHANNELS.telegram.build({ ...UP, monitor: { ...UP.monitor, name: "<b>*Home*</b>" } }, channel("telegram"), SENT_AT);
    expect(req.body).toBe(
      '{"chat_id":"-1001234567890","text":"✅ <b>*Home*</b> is up again\\n\\nMonitor: <b>*Home*</b> (homepage)\\nTarget: https://example.com/\\n' +
        'Down for: 1h 1m 3s\\nCause: 2 consecutive failures\\nTime: 2025-11-27T05:02:03.000Z\\nEvent: evt_up","link_preview_options":{"is_disabled":true}}',
    );
  });

  it("clips a long error of emoji between graphemes and keeps the text within 4,096", async () => {
    const message = "👨‍👩‍👧‍👦".repeat(400);
    const e: AlertEvent = { ...DOWN, incident: { ...DOWN.incident!, last_error: { kind: "timeout", message } } };
    const text: string = JSON.parse((await CHANNELS.telegram.build(e, channel("telegram"), SENT_AT)).body).text;
    const error = text.split("\n").find((l) => l.startsWith("Error: "))!;
    expect(error).toBe(`Error: ${clipText(`timeout: ${message}`, 1000)}`);
    expect(error.endsWith("👨‍👩‍👧‍👦…")).toBe(true);
    expect(text.length).toBeLessThanOrEqual(4096);
  });
});

describe("email", () => {
  it("sends the test event with its subject and text", async () => {
    const req = await CHANNELS.email.build(TEST, channel("email"), SENT_AT);
    expect(req.headers).toEqual({ "content-type": "application/json", authorization: `Bearer ${KEY}` });
    expect(req.body).toBe(
      '{"from":"uptime@example.net","to":["oncall@example.net"],"subject":"🧪 Test notification from Infra Uptime Monitor",' +
        '"text":"Message: This is a test.\\nTime: 2025-11-27T04:01:00.000Z\\nEvent: evt_test"}',
    );
  });

  it("clips a subject of emoji to 200 characters between graphemes", async () => {
    const name = "🇫🇷".repeat(150);
    const body = JSON.parse((await CHANNELS.email.build({ ...DOWN, monitor: { ...DOWN.monitor, name } }, channel("email"), SENT_AT)).body);
    expect(body.subject).toBe(`🔴 ${"🇫🇷".repeat(49)}…`);
  });
});

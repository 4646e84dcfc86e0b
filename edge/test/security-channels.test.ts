// Channels hold credentials and talk to receivers nobody here controls: chat webhook URLs (and ntfy
// topics with their tokens) are shown once and masked afterwards; a test's failed answer is the
// receiver's text, clipped and marked untrusted, for admins only; Discord and Teams get monitor and
// channel names with their markdown escaped.
import { describe, expect, inject, it } from "vitest";
import { api, tokenFor } from "./helpers.ts";

const receiver = inject("receiverUrl");
const uid = (p: string) => `${p}-${crypto.randomUUID().slice(0, 8)}`;

async function received(hook: string): Promise<Array<{ headers: Record<string, string>; body: string }>> {
  return ((await (await fetch(`${receiver}/control/requests/${hook}`)).json()) as any).requests;
}
async function script(hook: string, answers: unknown[]) {
  await fetch(`${receiver}/control/script/${hook}`, { method: "PUT", body: JSON.stringify({ answers }) });
}

describe("channel URLs are credentials", () => {
  it("are shown in full once, on creation, then masked to scheme, host and the last 4 characters", async () => {
    const cases = [
      { kind: "slack", url: "https://hooks.slack.test/services/T000/B000/XXXXsecretabcd", masked: "https://hooks.slack.test/…abcd" },
      { kind: "discord", url: "https://discord.test/api/webhooks/123/SeCrEtToKeN9876", masked: "https://discord.test/…9876" },
      {
        kind: "teams",
        url: "https://prod.workflows.test:8443/workflows/abc/triggers?sig=TeamsSig5555",
        masked: "https://prod.workflows.test:8443/…5555",
      },
      {
        kind: "ntfy",
        url: "https://user:pass@ntfy.example.test/alerts-topic?auth=tk_ntfysecret1234",
        masked: "https://ntfy.example.test/…1234",
      },
      { kind: "webhook", url: "https://hooks.example.test/in/whk_secretpath_7777", masked: "https://hooks.example.test/…7777" },
    ];
    for (const c of cases) {
      const id = uid(c.kind);
      const created = await api("POST", "/api/v1/channels", { body: { id, kind: c.kind, url: c.url } });
      expect(created.status, c.kind).toBe(201);
      expect(created.body, c.kind).toMatchObject({ url: c.url, url_set: true });
      const got = await api("GET", `/api/v1/channels/${id}`);
      expect(got.body, c.kind).toMatchObject({ url: c.masked, url_set: true });
      const list = await api("GET", "/api/v1/channels");
      expect(
        list.body.channels.find((x: any) => x.id === id),
        c.kind,
      ).toMatchObject({ url: c.masked, url_set: true });
      for (const text of [JSON.stringify(got.body), JSON.stringify(list.body)]) {
        for (const leak of ["XXXXsecret", "SeCrEt", "TeamsSig", "tk_ntfy", "pass@", "whk_secret", "/services/", "/api/webhooks/"])
          expect(text, `${c.kind} ${leak}`).not.toContain(leak);
      }
    }
  });

  it("keep working when a PATCH sends the masked URL back unchanged, and take a new full URL", async () => {
    const id = uid("keep");
    const hook = uid("keep-hook");
    const url = `${receiver}/hook/${hook}`;
    await api("POST", "/api/v1/channels", { body: { id, kind: "slack", url } });
    const masked = (await api("GET", `/api/v1/channels/${id}`)).body.url as string;
    expect(masked).toBe(`${new URL(receiver).origin}/…${hook.slice(-4)}`);
    const patched = await api("PATCH", `/api/v1/channels/${id}`, { body: { name: "Renamed", url: masked } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body).toMatchObject({ name: "Renamed", url: masked, url_set: true });
    expect((await api("POST", `/api/v1/channels/${id}/test`)).body.delivered).toBe(true);
    expect(await received(hook)).toHaveLength(1);

    // A masked value that is not this channel's is refused, not stored as a URL.
    const wrong = await api("PATCH", `/api/v1/channels/${id}`, { body: { url: "https://hooks.slack.test/…zzzz" } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.issues.map((i: any) => i.path)).toEqual(["url"]);
    const copied = await api("POST", "/api/v1/channels", { body: { id: uid("copy"), kind: "slack", url: masked } });
    expect(copied.status).toBe(400);

    const hook2 = uid("keep-hook2");
    const moved = await api("PATCH", `/api/v1/channels/${id}`, { body: { url: `${receiver}/hook/${hook2}` } });
    expect(moved.body.url).toBe(`${new URL(receiver).origin}/…${hook2.slice(-4)}`);
    expect((await api("POST", `/api/v1/channels/${id}/test`)).body.delivered).toBe(true);
    expect(await received(hook2)).toHaveLength(1);
  });
});

describe("POST /api/v1/channels/:id/test and the receiver's answer", () => {
  it("is for admins only", async () => {
    const id = uid("adm");
    await api("POST", "/api/v1/channels", { body: { id, kind: "slack", url: `${receiver}/hook/${uid("adm-hook")}` } });
    for (const role of ["viewer", "editor"] as const) {
      const r = await api("POST", `/api/v1/channels/${id}/test`, { token: await tokenFor(role) });
      expect(r.status, role).toBe(403);
    }
    expect((await api("POST", `/api/v1/channels/${id}/test`, { token: null })).status).toBe(401);
  });

  it("keeps the receiver's text out of the error, clipped and marked untrusted", async () => {
    const id = uid("echo");
    const hook = uid("echo-hook");
    await api("POST", "/api/v1/channels", { body: { id, kind: "discord", url: `${receiver}/hook/${hook}` } });
    const body = `<b>Internal error</b> ${"y".repeat(150)} MARK-AFTER-150 ${"z".repeat(200)}`;
    await script(hook, [{ status: 500, body }]);
    const r = await api("POST", `/api/v1/channels/${id}/test`);
    expect(r.status).toBe(200);
    expect(r.body.delivered).toBe(false);
    const n = r.body.notification;
    expect(n.reason).toBe("HTTP 500 (not retried)");
    expect(n.attempts).toHaveLength(1);
    const a = n.attempts[0];
    expect(a).toMatchObject({ status: 500, error: "HTTP 500" });
    expect(a.untrusted_receiver_answer.startsWith("<b>Internal error</b> yyy")).toBe(true);
    expect(a.untrusted_receiver_answer.length).toBeLessThanOrEqual(120);
    expect(a.untrusted_receiver_answer.endsWith("…")).toBe(true);
    expect(JSON.stringify(r.body)).not.toContain("MARK-AFTER-150");
  });
});

describe("Discord and Teams bodies", () => {
  const hostile = "**x** @everyone [a](http://evil) `c` ~s~ |h| > #q _i_ \\";

  it("escape markdown and mentions in names (Discord also parses no mentions)", async () => {
    const id = uid("md-d");
    const hook = uid("md-d-hook");
    await api("POST", "/api/v1/channels", { body: { id, name: hostile, kind: "discord", url: `${receiver}/hook/${hook}` } });
    expect((await api("POST", `/api/v1/channels/${id}/test`)).body.delivered).toBe(true);
    const [req] = await received(hook);
    const sent = JSON.parse(req!.body);
    expect(sent.allowed_mentions).toEqual({ parse: [] });
    const message = sent.embeds[0].fields.find((f: any) => f.name === "Message").value as string;
    expect(message).toContain("\\*\\*x\\*\\* @\u200beveryone \\[a\\]\\(http://evil\\) \\`c\\` \\~s\\~ \\|h\\| \\> \\#q \\_i\\_ \\\\");
    expect(req!.body).not.toContain("@everyone");
    expect(req!.body).not.toContain("[a](http://evil)");
  });

  it("Teams: escape markdown in names", async () => {
    const id = uid("md-t");
    const hook = uid("md-t-hook");
    await api("POST", "/api/v1/channels", { body: { id, name: hostile, kind: "teams", url: `${receiver}/hook/${hook}` } });
    expect((await api("POST", `/api/v1/channels/${id}/test`)).body.delivered).toBe(true);
    const [req] = await received(hook);
    const card = JSON.parse(req!.body).attachments[0].content;
    const facts = card.body.find((b: any) => b.type === "FactSet").facts;
    const message = facts.find((f: any) => f.title === "Message").value as string;
    expect(message).toContain("\\*\\*x\\*\\*");
    expect(message).toContain("\\[a\\]\\(http://evil\\)");
    expect(message).toContain("\\_i\\_");
    expect(req!.body).not.toContain("[a](http://evil)");
    expect(req!.body).not.toContain("**x**");
  });
});

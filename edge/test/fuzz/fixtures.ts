// The fuzz test's fixtures: monitors (http on the edge; tcp, icmp and tls on agents), maintenance windows,
// channels pointing at a closed local port, tokens of every role and two registered agents. Fuzzed requests
// may change or delete them; ensure() puts back what a successful request took away.
import { env } from "cloudflare:test";
import { admin } from "./harness.ts";
import type { Role } from "./routes.ts";

export const FIXTURE = {
  monitors: ["fx-http", "fx-tcp", "fx-icmp", "fx-tls-dc2"],
  windows: ["fx-once", "fx-weekly"],
  channels: ["fx-hook", "fx-ntfy"],
  agents: ["fx-agent", "fx-agent-2"],
} as const;

type Token = { id: string; token: string };
/** The fixture tokens of the roles POST /api/v1/tokens makes. */
const TOKEN_ROLES = ["status", "viewer", "editor", "admin"] as const;
type Scope = "monitors" | "windows" | "channels" | "tokens";

/** The part of a GET answer that is configuration (not state or timestamps), for "was it changed?". */
function configOf(body: any): string {
  const { state: _s, created_at: _c, updated_at: _u, active: _a, ...rest } = body ?? {};
  return JSON.stringify(rest);
}

function must(r: { status: number; body: any }, what: string, ok = [200, 201, 204]) {
  if (!ok.includes(r.status)) throw new Error(`fixture ${what} failed: ${r.status} ${JSON.stringify(r.body)?.slice(0, 500)}`);
  return r.body;
}

export class Fixtures {
  private tokens = new Map<string, Token>();
  private readonly docs: { monitors: Record<string, object>; windows: Record<string, object>; channels: Record<string, object> };
  private readonly canonical = new Map<string, string>();

  constructor(readonly refusedUrl: string) {
    const base = refusedUrl.replace(/\/$/, "");
    const ahead = (days: number) => new Date(Math.floor(Date.now() / 60_000) * 60_000 + days * 86_400_000).toISOString();
    this.docs = {
      monitors: {
        "fx-http": {
          id: "fx-http",
          name: "Edge HTTP",
          group: "Public",
          kind: "http",
          target: `${base}/health`,
          interval_s: 60,
          public_target: true,
        },
        "fx-tcp": {
          id: "fx-tcp",
          name: "DB primary",
          kind: "tcp",
          target: "127.0.0.1:9",
          runner: "agent",
          locations: ["dc1"],
          interval_s: 30,
        },
        "fx-icmp": { id: "fx-icmp", kind: "icmp", target: "127.0.0.1" },
        "fx-tls-dc2": { id: "fx-tls-dc2", kind: "tls", target: "127.0.0.1:9", locations: ["dc2"] },
      },
      windows: {
        // A month ahead, so it covers nothing while the fuzz test runs.
        "fx-once": { id: "fx-once", name: "Upgrade", kind: "once", starts_at: ahead(30), ends_at: ahead(30.1), monitors: ["fx-http"] },
        "fx-weekly": {
          id: "fx-weekly",
          name: "Sunday backups",
          kind: "weekly",
          days: ["sun"],
          start: "03:00",
          duration_min: 60,
          time_zone: "Europe/Berlin",
        },
      },
      channels: {
        // A closed port: POST /channels/:id/test fails at once and nothing leaves the machine. They follow
        // fx-http only, which no agent can report on: an alert from pushed results would otherwise hold its
        // request for the 5 s retry that delivery waits for in the background (alerts/delivery.ts, deliverNow).
        "fx-hook": { id: "fx-hook", name: "Ops webhook", kind: "webhook", url: `${base}/hook`, monitors: ["fx-http"] },
        "fx-ntfy": { id: "fx-ntfy", kind: "ntfy", url: `${base}/uptime-alerts`, monitors: ["fx-http"], events: ["down", "up"] },
      },
    };
  }

  /** The bearer token a role sends; null for anonymous. */
  tokenFor(role: Role): string | null {
    switch (role) {
      case "anonymous":
        return null;
      case "badToken":
        return "ium_0000000000000000000000000000000000000000000";
      case "bootstrap":
        return env.ADMIN_TOKEN;
      default:
        return this.tokens.get(role)!.token;
    }
  }

  /** A fixture token's id, for DELETE /api/v1/tokens/:id. */
  tokenId(name: string): string {
    return this.tokens.get(name)!.id;
  }

  /** The tokens as they are now; rollback() returns to them after the database is restored to the same moment. */
  checkpoint(): Map<string, Token> {
    return new Map(this.tokens);
  }
  rollback(saved: Map<string, Token>): void {
    this.tokens = new Map(saved);
  }

  async setup(): Promise<void> {
    for (const role of TOKEN_ROLES) await this.makeToken(role);
    const revoked = must(await admin("POST", "/api/v1/tokens", { name: "fx revoked", role: "viewer" }), "revoked token");
    must(await admin("DELETE", `/api/v1/tokens/${revoked.id}`), "revoke");
    this.tokens.set("revoked", { id: revoked.id, token: revoked.token });
    await this.makeAgent("agent", "fx-agent", "dc1");
    await this.makeAgent("agent2", "fx-agent-2", "dc2");
    for (const id of FIXTURE.monitors) await this.makeMonitor(id);
    for (const id of FIXTURE.windows) await this.makeWindow(id);
    for (const id of FIXTURE.channels) await this.makeChannel(id);
  }

  private async makeToken(role: (typeof TOKEN_ROLES)[number]) {
    const t = must(await admin("POST", "/api/v1/tokens", { name: `fx ${role}`, role }), `${role} token`);
    this.tokens.set(role, { id: t.id, token: t.token });
  }

  private async makeAgent(role: "agent" | "agent2", id: string, location: string) {
    const a = must(await admin("POST", "/api/v1/agents", { id, location }), `agent ${id}`);
    this.tokens.set(role, { id: a.token_id, token: a.token });
  }

  private async makeMonitor(id: string) {
    this.canonical.set(`m:${id}`, configOf(must(await admin("POST", "/api/v1/monitors", this.docs.monitors[id]), `monitor ${id}`)));
  }
  private async makeWindow(id: string) {
    this.canonical.set(`w:${id}`, configOf(must(await admin("POST", "/api/v1/maintenance", this.docs.windows[id]), `window ${id}`)));
  }
  private async makeChannel(id: string) {
    this.canonical.set(`c:${id}`, configOf(must(await admin("POST", "/api/v1/channels", this.docs.channels[id]), `channel ${id}`)));
  }

  /** Puts back fixtures that a successful request deleted or changed (outside any compared window). */
  async ensure(scope: Scope): Promise<void> {
    if (scope === "monitors")
      for (const id of FIXTURE.monitors) {
        const r = await admin("GET", `/api/v1/monitors/${id}`);
        if (r.status === 200 && configOf(r.body) === this.canonical.get(`m:${id}`)) continue;
        if (r.status === 200) must(await admin("DELETE", `/api/v1/monitors/${id}`), `delete changed monitor ${id}`);
        await this.makeMonitor(id);
      }
    if (scope === "windows")
      for (const id of FIXTURE.windows) {
        const r = await admin("GET", `/api/v1/maintenance/${id}`);
        if (r.status === 200 && configOf(r.body) === this.canonical.get(`w:${id}`)) continue;
        if (r.status === 200) must(await admin("DELETE", `/api/v1/maintenance/${id}`), `delete changed window ${id}`);
        await this.makeWindow(id);
      }
    if (scope === "channels")
      for (const id of FIXTURE.channels) {
        const r = await admin("GET", `/api/v1/channels/${id}`);
        if (r.status === 200 && configOf(r.body) === this.canonical.get(`c:${id}`)) continue;
        if (r.status === 200) must(await admin("DELETE", `/api/v1/channels/${id}`), `delete changed channel ${id}`);
        await this.makeChannel(id);
      }
    if (scope === "tokens") {
      const listed = new Map(
        (must(await admin("GET", "/api/v1/tokens"), "token list").tokens as Array<{ id: string; rotated_at: string | null }>).map((t) => [
          t.id,
          t,
        ]),
      );
      // A rotated fixture token's new secret is not the fixtures' (and the old one's grace may be short): it is replaced.
      const replace = async (role: string) => {
        const id = this.tokens.get(role)!.id;
        const t = listed.get(id);
        if (t?.rotated_at == null) return t === undefined;
        must(await admin("DELETE", `/api/v1/tokens/${id}`), `delete rotated token ${role}`);
        return true;
      };
      for (const role of TOKEN_ROLES) if (await replace(role)) await this.makeToken(role);
      // Deleting a rotated agent token deletes its registration, which the check below puts back.
      for (const role of ["agent", "agent2"]) await replace(role);
      const agents = new Set((must(await admin("GET", "/api/v1/agents"), "agent list").agents as Array<{ id: string }>).map((a) => a.id));
      if (!agents.has("fx-agent")) await this.makeAgent("agent", "fx-agent", "dc1");
      if (!agents.has("fx-agent-2")) await this.makeAgent("agent2", "fx-agent-2", "dc2");
    }
  }

  /** Which fixtures a successful write to `path` may have touched. */
  static scopeOf(path: string): Scope | null {
    if (path.startsWith("/api/v1/monitors")) return "monitors";
    if (path.startsWith("/api/v1/maintenance")) return "windows";
    if (path.startsWith("/api/v1/channels")) return "channels";
    if (path.startsWith("/api/v1/tokens")) return "tokens";
    return null;
  }
}

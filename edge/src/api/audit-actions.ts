// The audit log's route table: each mutating API route's action, listed once. No Workers types here (read in Node by a docs test).

/** What an audited route changes. */
export const TARGET_TYPES = ["monitor", "maintenance", "token", "agent", "channel"] as const;
export type TargetType = (typeof TARGET_TYPES)[number];

export type Audited = {
  /** `<target>.<verb>`. */
  action: `${TargetType}.${string}`;
  target: TargetType;
  /** Fields of a 2xx answer copied into `detail`: scalars that are no secret (kinds, roles, the new token's id). */
  answer?: string[];
};
export type NotAudited = { exempt: string };

/**
 * Every mutating route under /api/v1 (POST, PUT, PATCH, DELETE, as hono's router spells its pattern), once: its
 * action, or why it is not audited. A route missing here fails edge/test/audit.test.ts,
 * and docs/api.md must name each action (test/repo/audit-actions.test.ts). The target's id is the
 * path's parameter, else the `id` of the answer (a create).
 */
export const AUDIT_ACTIONS = {
  "POST /api/v1/monitors": { action: "monitor.create", target: "monitor", answer: ["kind", "runner"] },
  "PATCH /api/v1/monitors/:id": { action: "monitor.update", target: "monitor" },
  "DELETE /api/v1/monitors/:id": { action: "monitor.delete", target: "monitor" },
  "POST /api/v1/monitors/:id/rotate-ping-key": { action: "monitor.rotate_ping_key", target: "monitor" },
  "POST /api/v1/maintenance": { action: "maintenance.create", target: "maintenance" },
  "PUT /api/v1/maintenance/:id": { action: "maintenance.update", target: "maintenance" },
  "DELETE /api/v1/maintenance/:id": { action: "maintenance.delete", target: "maintenance" },
  "POST /api/v1/tokens": { action: "token.create", target: "token", answer: ["name", "role"] },
  "DELETE /api/v1/tokens/:id": { action: "token.revoke", target: "token" },
  "POST /api/v1/tokens/:id/rotate": { action: "token.rotate", target: "token", answer: ["expires_at", "previous_expires_at"] },
  "POST /api/v1/agents": { action: "agent.register", target: "agent", answer: ["location", "token_id"] },
  "POST /api/v1/channels": { action: "channel.create", target: "channel", answer: ["kind"] },
  "PATCH /api/v1/channels/:id": { action: "channel.update", target: "channel" },
  "DELETE /api/v1/channels/:id": { action: "channel.delete", target: "channel" },
  "POST /api/v1/channels/:id/test": { action: "channel.test", target: "channel", answer: ["delivered"] },
  "POST /api/v1/channels/:id/rotate-secret": { action: "channel.rotate_secret", target: "channel" },
  "POST /api/v1/results": { exempt: "agent ingest: results are data, not changes, and come every few seconds per agent" },
} as const satisfies Record<string, Audited | NotAudited>;

export const ACTIONS: string[] = Object.values(AUDIT_ACTIONS).flatMap((r) => ("action" in r ? [r.action] : []));

export const MUTATING_METHODS = ["POST", "PUT", "PATCH", "DELETE"];

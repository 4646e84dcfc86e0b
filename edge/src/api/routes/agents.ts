// /api/v1/agents: admins register probe agents (each gets its own token, shown once) and list them.
import { Hono } from "hono";
import { z } from "zod";
import { Location, Slug, toRfc3339 } from "../../../../contract/index.ts";
import { requireRole } from "../auth.ts";
import { limitBody, readBody } from "../body.ts";
import type { AppEnv } from "../context.ts";
import { newToken, randomId } from "../crypto.ts";
import { insertAgent, listAgents, liveAgents, touchAgent } from "../../db/agents.ts";
import { monitorsForLocation } from "../../db/monitors.ts";
import { sha256Hex } from "../crypto.ts";
import { split } from "../../agents/split.ts";
import { callingAgent } from "./results.ts";
import { insertToken } from "../../db/tokens.ts";
import { ApiError } from "../errors.ts";
import { countOf } from "../../db/counts.ts";
import { requireRoom } from "../limits.ts";

export const AgentRequest = z.strictObject({ id: Slug, location: Location });

export const agents = new Hono<AppEnv>();

agents.post("/", requireRole("admin"), limitBody(), async (c) => {
  const req = await readBody(c, AgentRequest, "agent");
  const { db, caps, tokenMaxLifetimeMs } = c.get("config");
  requireRoom("agents", await countOf(db, "agents"), caps.agents, "MAX_AGENTS");
  const token = newToken();
  const tokenId = randomId("tok");
  const now = Date.now();
  // With TOKEN_MAX_LIFETIME_DAYS set, agent tokens expire too: rotating one (POST /api/v1/tokens/:id/rotate) renews it.
  const expiresAt = tokenMaxLifetimeMs === null ? null : now + tokenMaxLifetimeMs;
  const inserted = await insertAgent(
    db,
    [insertToken(db, { id: tokenId, name: `agent ${req.id}`, role: "agent", hash: await sha256Hex(token), now, expiresAt })],
    {
      id: req.id,
      location: req.location,
      tokenId,
      now,
    },
  );
  if (!inserted)
    throw new ApiError("conflict", `an agent with id "${req.id}" already exists`, [{ path: "id", message: "is already taken" }]);
  c.get("log").info("agent registered", { agent: req.id, location: req.location });
  return c.json(
    { id: req.id, location: req.location, token, token_id: tokenId, created_at: toRfc3339(now), token_expires_at: toRfc3339(expiresAt) },
    201,
  );
});

agents.get("/", requireRole("admin"), async (c) => {
  const rows = await listAgents(c.get("config").db);
  return c.json({
    agents: rows.map((a) => ({
      id: a.id,
      location: a.location,
      token_id: a.token_id,
      created_at: toRfc3339(a.created_at),
      last_seen_at: toRfc3339(a.last_seen_at),
      version: a.version,
      backlog: a.backlog,
    })),
  });
});

/**
 * The monitors the calling agent must run: its location's agent monitors, split among the
 * location's live replicas (seen within AGENT_LIVENESS_S) by rendezvous hashing. ETag'd.
 */
agents.get("/me/assignments", requireRole("agent"), async (c) => {
  const agent = await callingAgent(c);
  const config = c.get("config");
  const now = Date.now();
  await touchAgent(config.db, agent.id, now).run();
  const live = new Set(await liveAgents(config.db, agent.location, now - config.agentLivenessMs));
  live.add(agent.id);
  const all = await monitorsForLocation(config.db, agent.location);
  const mine = new Set(
    split(
      all.map((m) => m.spec.id),
      [...live],
    ).get(agent.id),
  );
  const assigned = all.filter((m) => mine.has(m.spec.id));
  const etag = `"${(await sha256Hex(JSON.stringify([agent.id, agent.location, assigned.map((m) => [m.spec.id, m.updated_at])]))).slice(0, 32)}"`;
  const headers = { etag, "cache-control": "no-store" };
  if (c.req.header("if-none-match") === etag) return c.body(null, 304, headers);
  c.get("log").debug("assignments", { agent: agent.id, location: agent.location, monitors: assigned.length, replicas: live.size });
  return c.json(
    { agent: agent.id, location: agent.location, replicas: [...live].sort(), monitors: assigned.map((m) => m.spec) },
    200,
    headers,
  );
});

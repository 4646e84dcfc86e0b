// /api/v1/agents: admins register probe agents (each gets its own token, shown once) and list them.
import { Hono } from "hono";
import { z } from "zod";
import { Location, Slug, toRfc3339 } from "../../../contract/index.ts";
import { requireRole } from "../auth.ts";
import { limitBody, readBody } from "../body.ts";
import type { AppEnv } from "../context.ts";
import { newToken, randomId, sha256Hex } from "../crypto.ts";
import { insertAgent, listAgents } from "../db/agents.ts";
import { insertToken } from "../db/tokens.ts";
import { ApiError } from "../errors.ts";

export const AgentRequest = z.strictObject({ id: Slug, location: Location });

export const agents = new Hono<AppEnv>();

agents.post("/", requireRole("admin"), limitBody(), async (c) => {
  const req = await readBody(c, AgentRequest, "agent");
  const db = c.get("config").db;
  const token = newToken();
  const tokenId = randomId("tok");
  const now = Date.now();
  const inserted = await insertAgent(db, [insertToken(db, { id: tokenId, name: `agent ${req.id}`, role: "agent", hash: await sha256Hex(token), now })], {
    id: req.id,
    location: req.location,
    tokenId,
    now,
  });
  if (!inserted) throw new ApiError("conflict", `an agent with id "${req.id}" already exists`, [{ path: "id", message: "is already taken" }]);
  c.get("log").info("agent registered", { agent: req.id, location: req.location });
  return c.json({ id: req.id, location: req.location, token, token_id: tokenId, created_at: toRfc3339(now) }, 201);
});

agents.get("/", requireRole("admin"), async (c) => {
  const rows = await listAgents(c.get("config").db);
  return c.json({
    agents: rows.map((a) => ({
      id: a.id,
      location: a.location,
      created_at: toRfc3339(a.created_at),
      last_seen_at: toRfc3339(a.last_seen_at),
      version: a.version,
      backlog: a.backlog,
    })),
  });
});

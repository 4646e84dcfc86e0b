// npm start's admin token: from the environment, else .dev.vars, else a new one written to .dev.vars;
// and what npm start may print of it (a token it did not generate is never printed: logs are kept).
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/** The admin token and where it came from: "environment", ".dev.vars" or "generated" (with the file written). */
export function adminToken(cwd, env = process.env) {
  if (env.ADMIN_TOKEN) return { token: env.ADMIN_TOKEN, source: "environment" };
  const file = path.join(cwd, ".dev.vars");
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const m = /^\s*ADMIN_TOKEN\s*=\s*"?([^"\n]+)"?\s*$/m.exec(text);
  if (m) return { token: m[1], source: ".dev.vars" };
  const token = `ium_${randomBytes(32).toString("base64url")}`;
  writeFileSync(file, `${text}${text && !text.endsWith("\n") ? "\n" : ""}ADMIN_TOKEN="${token}"\n`, { mode: 0o600 });
  return { token, source: "generated", file };
}

/**
 * The lines npm start prints about the token once the Worker is ready. Only a token it generated is
 * printed (the operator has no other way to learn it); one given through the environment or
 * .dev.vars is named by its source, so it does not land in container or CI logs.
 */
export function adminTokenLines(admin, base) {
  if (admin.source !== "generated")
    return [`admin token: from ${admin.source} (not printed)`, `try: curl -H "Authorization: Bearer $ADMIN_TOKEN" ${base}/api/v1/monitors`];
  return [`admin token: ${admin.token}`, `try: curl -H "Authorization: Bearer ${admin.token}" ${base}/api/v1/monitors`];
}

// The Worker's egress policy for the code that is not handed the Config: the http check's transport and
// alert delivery ask for it right before each request. It is read from the Worker's own bindings
// (`cloudflare:workers`, the same the handlers get), so no caller can forget to pass it.
import { env } from "cloudflare:workers";
import { edgePolicy, type EgressPolicy } from "../../../contract/egress.ts";
import type { Env } from "./env.ts";
import { SettingsSchema } from "./settings.ts";

let cached: { allow: string | undefined; deny: string | undefined; policy: EgressPolicy } | null = null;

/** The policy for lists given as text (EGRESS_ALLOW, EGRESS_DENY); null when either is invalid. */
export function policyFromSettings(allow: string | undefined, deny: string | undefined): EgressPolicy | null {
  const a = SettingsSchema.shape.EGRESS_ALLOW.safeParse(allow);
  const d = SettingsSchema.shape.EGRESS_DENY.safeParse(deny);
  return a.success && d.success ? edgePolicy({ allow: a.data, deny: d.data }) : null;
}

/**
 * This Worker's egress policy: public addresses, plus EGRESS_ALLOW, minus EGRESS_DENY. With a list that
 * does not parse it is the strictest one (public addresses only): the configuration gate reports the
 * problem, and a typo must not open the network.
 */
export function workerEgress(): EgressPolicy {
  const vars = env as unknown as Partial<Env>;
  const allow = vars.EGRESS_ALLOW;
  const deny = vars.EGRESS_DENY;
  if (!cached || cached.allow !== allow || cached.deny !== deny)
    cached = { allow, deny, policy: policyFromSettings(allow, deny) ?? edgePolicy() };
  return cached.policy;
}

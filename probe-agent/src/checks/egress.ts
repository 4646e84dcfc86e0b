// The agent's egress policy at its checks' sockets (contract/egress.ts): a host is checked as written, and a name
// again after DNS resolution, address by address. The addresses checked are the ones handed to the socket (the
// `lookup` option of net, tls and undici's connector; the address itself for the pinger), so a name cannot resolve
// to another address between the check and the connect (DNS rebinding).
import type { LookupAddress, LookupOptions } from "node:dns";
import { isIP } from "node:net";
import { EgressRefused, agentPolicy, egressProblem, type EgressPolicy } from "../../../contract/egress.ts";
import type { CheckError } from "../../../contract/index.ts";
import { clip } from "../../../contract/text.ts";

/** What resolving and checking needs of the checks' deps (AgentCheckDeps has both). */
export interface Resolver {
  lookup(host: string): Promise<LookupAddress[]>;
  egress?: EgressPolicy | undefined;
}

/** The default policy, for deps that carry none (tests that build their own). */
const DEFAULT_POLICY = agentPolicy();

export function policyOf(deps: Pick<Resolver, "egress">): EgressPolicy {
  return deps.egress ?? DEFAULT_POLICY;
}

/** The failed outcome's error for a refused target (`where`: "host:port" or the host): nothing was sent. */
export function refusalError(where: string, e: EgressRefused): CheckError {
  return { kind: "other", message: clip(`${where}: ${e.message}; nothing was sent`) };
}

/**
 * Whether the policy refuses `host` as written (port null for ICMP): an address by its range, a name by the
 * deny list and by what names it (localhost, metadata.google.internal). What a name resolves to is
 * checked by resolveChecked.
 */
export function refusedHost(host: string, port: number | null, deps: Pick<Resolver, "egress">): EgressRefused | null {
  const problem = egressProblem(host, port, policyOf(deps));
  return problem ? new EgressRefused(problem) : null;
}

function notFound(host: string): Error {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND", hostname: host });
}

/**
 * The addresses `host` resolves to (deps.lookup), each allowed by the policy; an IP address is itself.
 * Rejects with EgressRefused when the host or any of its addresses is refused, before anything is sent.
 */
export async function resolveChecked(host: string, port: number | null, deps: Resolver): Promise<LookupAddress[]> {
  const refused = refusedHost(host, port, deps);
  if (refused) throw refused;
  const family = isIP(host);
  if (family !== 0) return [{ address: host, family }];
  const addresses = await deps.lookup(host);
  if (addresses.length === 0) throw notFound(host);
  for (const a of addresses) {
    const problem = egressProblem(a.address, port, policyOf(deps), host);
    if (problem) throw new EgressRefused(problem);
  }
  return addresses;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` option for net.connect and tls.connect (and undici's connector): resolves through
 * resolveChecked, so the socket connects only to addresses the policy allows, and to exactly those that
 * were checked; happy eyeballs still tries them all. Node calls it for names only: an IP address is
 * checked with refusedHost before connecting. `port` null leaves port rules to that earlier check.
 */
export function checkedLookup(deps: Resolver, port: number | null) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolveChecked(hostname, port, deps).then(
      (addresses) => {
        const family = options.family === 4 || options.family === "IPv4" ? 4 : options.family === 6 || options.family === "IPv6" ? 6 : 0;
        const usable = family === 0 ? addresses : addresses.filter((a) => a.family === family);
        const first = usable[0];
        if (!first) return callback(notFound(hostname), "", 0);
        if (options.all) callback(null, usable);
        else callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, "", 0),
    );
  };
}

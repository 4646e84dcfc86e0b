// The agent's TLS check: handshake to host:port with SNI, certificate expiry, issuer, chain and hostname verification,
// and the presented chain described certificate by certificate (certificates.ts).
import { isIP } from "node:net";
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate } from "node:tls";
import { X509Certificate } from "node:crypto";
import type { CheckError, TlsCertificate } from "../../../contract/index.ts";
import { parseHostPort } from "../../../contract/target.ts";
import { clip } from "../../../contract/text.ts";
import { describeChain, firstName, peerChain, verifyReason } from "./certificates.ts";
import type { AgentCheckDeps } from "./deps.ts";
import { checkedLookup, refusalError, refusedHost } from "./egress.ts";
import { describeSocketError, errorCode, rawMessage } from "./socket-errors.ts";
import type { CheckFn, CheckOutcome } from "./types.ts";

const DAY_MS = 86_400_000;
/** OpenSSL's codes for an answer that is not TLS at all. */
const NOT_TLS = new Set(["ERR_SSL_WRONG_VERSION_NUMBER", "ERR_SSL_PACKET_LENGTH_TOO_LONG", "ERR_SSL_HTTP_REQUEST"]);

function expiry(cert: PeerCertificate): number | null {
  try {
    return new X509Certificate(cert.raw).validToDate.getTime();
  } catch {
    const t = Date.parse(cert.valid_to);
    return Number.isNaN(t) ? null : t;
  }
}

export const checkTls: CheckFn<"tls", AgentCheckDeps> = async (monitor, deps) => {
  const hp = parseHostPort(monitor.target);
  if (typeof hp === "string")
    return { ok: false, latency_ms: null, error: { kind: "other", message: `tls target ${monitor.target} ${hp}` } };
  const { host, port } = hp;
  const where = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  // The name the certificate must match: the configured SNI, else the host (an IP address matches IP SANs).
  const name = monitor.tls.server_name ?? host;
  const timeoutMs = monitor.timeout_ms;
  // The egress policy (egress.ts): an address is checked here, a name's addresses by the lookup, which hands them to the socket.
  const refused = refusedHost(host, port, deps);
  if (refused) return { ok: false, latency_ms: null, error: refusalError(where, refused) };

  return new Promise<CheckOutcome>((resolve) => {
    let phase: "connect" | "handshake" = "connect";
    let done = false;
    const finish = (out: CheckOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (out.error) out.error = { kind: out.error.kind, message: clip(out.error.message) };
      resolve(out);
    };
    const fail = (error: CheckError) => finish({ ok: false, latency_ms: null, error });

    const start = deps.now();
    const options: ConnectionOptions = {
      host,
      port,
      lookup: checkedLookup(deps, port),
      // RFC 6066 forbids an IP address as SNI; Node warns and sends none.
      ...(isIP(name) ? {} : { servername: name }),
      // Verification is judged below, so that a bad certificate is still reported in full.
      rejectUnauthorized: false,
      // Node would fold a name mismatch into authorizationError (hiding a chain error, or the reverse); both are judged below.
      checkServerIdentity: () => undefined,
      ...(deps.ca ? { ca: [...deps.ca] } : {}),
    };
    const socket = deps.tlsConnect(options);
    const timer = setTimeout(
      () =>
        fail({
          kind: "timeout",
          message:
            phase === "connect"
              ? `${where}: no answer to the connection attempt within ${timeoutMs} ms (timeout_ms): the host is down or a firewall drops the packets`
              : `${where}: connected, but the TLS handshake did not complete within ${timeoutMs} ms (timeout_ms)`,
        }),
      timeoutMs,
    );
    socket.once("connect", () => {
      phase = "handshake";
    });
    socket.once("secureConnect", () => {
      const latency = Math.max(0, deps.now() - start);
      const cert = socket.getPeerCertificate(true);
      if (!cert || !cert.raw) return fail({ kind: "tls", message: `${where}: the server sent no certificate` });
      const expiresAt = expiry(cert);
      const chainError = socket.authorized ? null : String(socket.authorizationError ?? "UNKNOWN");
      const identityError = checkServerIdentity(name, cert);
      const verified = chainError === null && identityError === undefined;
      const reasons: string[] = [];
      if (chainError) reasons.push(verifyReason(chainError));
      if (identityError) reasons.push(`${errorCode(identityError) ?? "ERR_TLS_CERT_ALTNAME_INVALID"}: ${identityError.message}`);
      let chain: TlsCertificate[] | undefined;
      try {
        chain = describeChain(peerChain(cert), {
          authorized: socket.authorized,
          leafError: verified ? null : reasons.join("; "),
          ca: deps.ca,
          now: deps.epochMs(),
        });
      } catch {
        // A certificate Node's X509Certificate cannot parse: the check still reports the leaf's summary.
      }
      const out: CheckOutcome = {
        ok: verified,
        latency_ms: latency,
        error: null,
        tls: {
          expires_at: expiresAt,
          days_left: expiresAt === null ? null : (expiresAt - deps.epochMs()) / DAY_MS,
          issuer: firstName(cert.issuer?.CN),
          common_name: firstName(cert.subject?.CN),
          verified,
          ...(chain ? { chain } : {}),
        },
      };
      if (!verified) {
        const subject = firstName(cert.subject?.CN);
        out.error = {
          kind: "tls",
          message: `${where}: the certificate${subject ? ` of ${JSON.stringify(subject)}` : ""} does not verify for ${JSON.stringify(name)}: ${reasons.join("; ")}`,
        };
      }
      finish(out);
    });
    socket.on("error", (e) => {
      // A connection that fails during the handshake (reset, alert, wrong protocol) is a TLS failure.
      const err = describeSocketError(e, where);
      if (phase === "handshake" && (err.kind === "connection" || err.kind === "tls")) {
        const code = errorCode(e);
        const hint = code && NOT_TLS.has(code) ? " (does this port speak TLS?)" : "";
        const raw = rawMessage(e);
        return fail({
          kind: "tls",
          message: `${where}: the TLS handshake failed: ${raw}${code && !raw.includes(code) ? ` (${code})` : ""}${hint}`,
        });
      }
      fail(err);
    });
    socket.on("close", () =>
      fail({
        kind: phase === "handshake" ? "tls" : "connection",
        message: `${where}: the connection closed during the ${phase === "handshake" ? "TLS handshake" : "connection attempt"}`,
      }),
    );
  });
};

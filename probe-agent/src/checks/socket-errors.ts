// How the agent's checks word a socket, TLS or DNS failure: Node's error codes, their kinds and the operator's message.
// Shared by the tcp, tls, http and icmp checks, none of which imports another (as blackbox_exporter's prober/utils.go).
import { isEgressRefused } from "../../../contract/egress.ts";
import type { CheckError, ErrorKind } from "../../../contract/index.ts";
import { clip } from "../../../contract/text.ts";

/** Node's error codes (syscall, getaddrinfo, TLS, undici) and what they mean for the operator. */
const KIND_BY_CODE: Record<string, ErrorKind> = {
  ECONNREFUSED: "refused",
  ETIMEDOUT: "timeout",
  UND_ERR_CONNECT_TIMEOUT: "timeout",
  EHOSTUNREACH: "unreachable",
  ENETUNREACH: "unreachable",
  EHOSTDOWN: "unreachable",
  ENETDOWN: "unreachable",
  EADDRNOTAVAIL: "unreachable",
  ENOTFOUND: "dns",
  EAI_AGAIN: "dns",
  EAI_FAIL: "dns",
  EAI_NONAME: "dns",
  EAI_NODATA: "dns",
  ENODATA: "dns",
  ESERVFAIL: "dns",
  ECONNRESET: "connection",
  ECONNABORTED: "connection",
  EPIPE: "connection",
  UND_ERR_SOCKET: "connection",
  UND_ERR_CLOSED: "connection",
  ERR_STREAM_PREMATURE_CLOSE: "connection",
};

/** OpenSSL's verification codes as Node reports them (socket.authorizationError, error.code). */
const TLS_CODE =
  /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|INVALID_CA|PATH_LENGTH_EXCEEDED|INVALID_PURPOSE|CERT_UNTRUSTED|CERT_REJECTED)/;

/** The code of a Node error; for happy-eyeballs' AggregateError (every address failed), the first attempt's. */
export function errorCode(e: unknown): string | undefined {
  if (typeof e !== "object" || e === null) return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code === "string") return code;
  const inner = (e as { errors?: unknown[]; cause?: unknown }).errors?.[0] ?? (e as { cause?: unknown }).cause;
  return inner !== undefined && inner !== e ? errorCode(inner) : undefined;
}

export function rawMessage(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length) return e.errors.map((x) => rawMessage(x)).join("; ");
  // OpenSSL errors carry a readable reason; their message is a dump ("40AD…:error:0A00010B:SSL routines:…").
  const reason = (e as { reason?: unknown } | null)?.reason;
  if (typeof reason === "string" && reason) return reason;
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

/** The error kind a thrown socket/TLS/DNS error stands for. */
export function socketErrorKind(e: unknown): ErrorKind {
  const code = errorCode(e);
  if (code === undefined) return "connection";
  return KIND_BY_CODE[code] ?? (TLS_CODE.test(code) ? "tls" : "connection");
}

/** Words a connection-level failure for the operator; `where` is "host:port" or "GET http://…". */
export function describeSocketError(e: unknown, where: string): CheckError {
  // The egress policy refused the address a name resolved to (checks/egress.ts): nothing was sent.
  if (isEgressRefused(e)) return { kind: "other", message: clip(`${where}: ${e.message}; nothing was sent`) };
  const kind = socketErrorKind(e);
  const raw = rawMessage(e);
  const code = errorCode(e);
  const message = (() => {
    switch (kind) {
      case "refused":
        return `${where}: connection refused: nothing listens on that port, or a firewall rejects connections (${raw})`;
      case "unreachable":
        return `${where}: the host is unreachable: no route to it, or a router or firewall answered "unreachable" (${raw})`;
      case "dns":
        return code === "EAI_AGAIN"
          ? `${where}: the host name could not be resolved: the DNS resolver did not answer in time or failed temporarily (${raw})`
          : `${where}: the host name does not resolve (${raw})`;
      case "timeout":
        return `${where}: the connection timed out (${raw})`;
      case "tls":
        return `${where}: TLS failed${code && !raw.includes(code) ? ` (${code})` : ""}: ${raw}`;
      default:
        return `${where}: the connection failed${code && !raw.includes(code) ? ` (${code})` : ""}: ${raw}`;
    }
  })();
  return { kind, message: clip(message) };
}

// The chain a TLS server presented, one entry per certificate as Telegraf's x509_cert describes it: names, serial,
// algorithms spelled as Go's crypto/x509 spells them, SANs, validity, type (leaf/intermediate/root) and verification.
import { X509Certificate } from "node:crypto";
import { getCACertificates, type DetailedPeerCertificate, type PeerCertificate } from "node:tls";
import { MAX_CHAIN, MAX_SAN, MAX_TIME, type TlsCertificate } from "../../../contract/index.ts";
import { clip } from "../../../contract/text.ts";

/** What OpenSSL's verification codes mean, for the ones operators meet. */
const VERIFY_MEANING: Record<string, string> = {
  CERT_HAS_EXPIRED: "the certificate has expired",
  CERT_NOT_YET_VALID: "the certificate is not valid yet",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the certificate is self-signed and not trusted",
  SELF_SIGNED_CERT_IN_CHAIN: "the chain ends in a self-signed certificate that is not trusted",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the certificate's issuer is unknown (the server may not send its intermediate certificates)",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the certificate's issuer is not trusted (unknown CA)",
  UNABLE_TO_GET_ISSUER_CERT: "the issuer certificate could not be found",
  CERT_REVOKED: "the certificate has been revoked",
  CERT_SIGNATURE_FAILURE: "the certificate's signature is invalid",
  CERT_CHAIN_TOO_LONG: "the certificate chain is too long",
  INVALID_CA: "a CA certificate in the chain is invalid",
  ERR_TLS_CERT_ALTNAME_INVALID: "the certificate is not valid for this host name",
};

/** "CERT_HAS_EXPIRED: the certificate has expired". */
export const verifyReason = (code: string): string => `${code}: ${VERIFY_MEANING[code] ?? "the certificate chain does not verify"}`;

/**
 * Go's names for signature algorithms by OID (crypto/x509 `signatureAlgorithmDetails`), which Telegraf writes.
 * RSA-PSS (1.2.840.113549.1.1.10) is missing: Go names it by the hash in its parameters, which Node does not expose.
 */
const SIGNATURE_ALGORITHMS: Record<string, string> = {
  "1.2.840.113549.1.1.2": "MD2-RSA",
  "1.2.840.113549.1.1.4": "MD5-RSA",
  "1.2.840.113549.1.1.5": "SHA1-RSA",
  "1.3.14.3.2.29": "SHA1-RSA",
  "1.2.840.113549.1.1.11": "SHA256-RSA",
  "1.2.840.113549.1.1.12": "SHA384-RSA",
  "1.2.840.113549.1.1.13": "SHA512-RSA",
  "1.2.840.10040.4.3": "DSA-SHA1",
  "2.16.840.1.101.3.4.3.2": "DSA-SHA256",
  "1.2.840.10045.4.1": "ECDSA-SHA1",
  "1.2.840.10045.4.3.2": "ECDSA-SHA256",
  "1.2.840.10045.4.3.3": "ECDSA-SHA384",
  "1.2.840.10045.4.3.4": "ECDSA-SHA512",
  "1.3.101.112": "Ed25519",
};
/** Go's PublicKeyAlgorithm names by Node's key type; the kinds Go cannot parse (RSA-PSS keys, Ed448) are left out. */
const PUBLIC_KEY_ALGORITHMS: Record<string, string> = { rsa: "RSA", dsa: "DSA", ec: "ECDSA", ed25519: "Ed25519" };
/** The curves Go's ECDSA keys come in, with their size in bits. */
const CURVE_BITS: Record<string, number> = { secp224r1: 224, prime256v1: 256, secp384r1: 384, secp521r1: 521 };

/** Telegraf's public_key_length: RSA as 8 × the modulus' bytes, the curve size for ECDSA, 256 for Ed25519; none for DSA. */
function publicKeyLength(x: X509Certificate): number | null {
  const key = x.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "rsa" && details.modulusLength) return Math.ceil(details.modulusLength / 8) * 8;
  if (key.asymmetricKeyType === "ec") return CURVE_BITS[details.namedCurve ?? ""] ?? null;
  if (key.asymmetricKeyType === "ed25519") return 256;
  return null;
}

/** A certificate name field may repeat (["a", "b"]); Go's pkix.Name keeps each as a list and Telegraf writes the first. */
export function firstName(v: string | string[] | undefined): string | null {
  const first = Array.isArray(v) ? v[0] : v;
  return first ? clip(first, 1024) : null;
}

/** Node's subjectAltName ("DNS:a, IP Address:2001:DB8:0:0:0:0:0:1, email:x@y") as its entries, quoted values unquoted. */
function parseAltNames(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let rest = text;
  while (rest) {
    const head = /^([A-Za-z ]+):/.exec(rest);
    if (!head) break;
    rest = rest.slice(head[0].length);
    let value: string;
    const quoted = /^"(?:[^"\\]|\\.)*"/.exec(rest);
    if (quoted) {
      value = JSON.parse(quoted[0]) as string;
      rest = rest.slice(quoted[0].length);
    } else {
      const end = rest.indexOf(", ");
      value = end < 0 ? rest : rest.slice(0, end);
      rest = end < 0 ? "" : rest.slice(end);
    }
    out.push([head[1]!, value]);
    rest = rest.replace(/^, /, "");
  }
  return out;
}

/** An IP address as Go's net.IP String() writes it: IPv6 compressed and lower case (RFC 5952). */
function goIp(ip: string): string {
  if (!ip.includes(":")) return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip.toLowerCase();
  }
}

/**
 * Telegraf's san tag: DNS names, then e-mail addresses, then IP addresses, then URIs (x509_cert.go getTags),
 * comma-joined; cut at a whole name to at most MAX_SAN characters.
 */
export function sanList(subjectAltName: string | undefined): string | null {
  if (!subjectAltName) return null;
  const entries = parseAltNames(subjectAltName);
  const of = (type: string) => entries.filter(([t]) => t === type).map(([, v]) => v);
  const names = [...of("DNS"), ...of("email"), ...of("IP Address").map(goIp), ...of("URI")];
  let san = "";
  for (const n of names) {
    const next = san ? `${san},${n}` : n;
    if (next.length > MAX_SAN) break;
    san = next;
  }
  return san || null;
}

/** Go's big.Int Text(16): lower case, no leading zeros. */
function serialHex(serial: string): string | null {
  if (!/^-?[0-9A-Fa-f]+$/.test(serial)) return null;
  const negative = serial.startsWith("-");
  const hex = BigInt(`0x${negative ? serial.slice(1) : serial}`).toString(16);
  const text = negative ? `-${hex}` : hex;
  return text.length <= 129 ? text : null;
}

/** Validity dates within what a result may hold (1970 to 9999): X.509 allows dates before 1970. */
const epochMs = (d: Date): number => Math.min(MAX_TIME, Math.max(0, d.getTime()));

const selfSigned = (x: X509Certificate): boolean => {
  try {
    return x.checkIssued(x) && x.verify(x.publicKey);
  } catch {
    return false;
  }
};

/** One certificate of the chain as the server presented it (Node's view, for names) and parsed (for the rest). */
export interface ChainEntry {
  peer: PeerCertificate;
  x509: X509Certificate;
}

/**
 * The chain from `getPeerCertificate(true)`: the leaf, then each issuer Node linked (the ones the server sent,
 * and the trusted root it found), stopping at a self-issued root, a loop or MAX_CHAIN certificates.
 */
export function peerChain(leaf: DetailedPeerCertificate): ChainEntry[] {
  const out: ChainEntry[] = [];
  const seen = new Set<string>();
  for (let c: DetailedPeerCertificate | undefined = leaf; c?.raw && out.length < MAX_CHAIN; c = c.issuerCertificate) {
    if (seen.has(c.fingerprint256)) break;
    seen.add(c.fingerprint256);
    out.push({ peer: c, x509: new X509Certificate(c.raw) });
  }
  return out;
}

/** SHA-256 fingerprints of the certificates a trust list holds, computed once per list. */
const trustCache = new WeakMap<readonly string[], Set<string>>();
let defaultTrust: Set<string> | null = null;
function trustedFingerprints(ca: readonly string[] | undefined): Set<string> {
  const build = (pems: readonly string[]) => {
    const set = new Set<string>();
    for (const pem of pems)
      try {
        set.add(new X509Certificate(pem).fingerprint256);
      } catch {
        /* a bundle entry Node cannot parse trusts nothing */
      }
    return set;
  };
  if (!ca) return (defaultTrust ??= build(getCACertificates("default")));
  let set = trustCache.get(ca);
  if (!set) trustCache.set(ca, (set = build(ca)));
  return set;
}

/**
 * Why the certificate at `from` does not verify on its own (Telegraf verifies every certificate of the chain
 * against the roots, with the rest of the chain as intermediates): an OpenSSL code, or null when it does.
 */
function verifyFrom(chain: ChainEntry[], from: number, trusted: Set<string>, now: number): string | null {
  for (let j = from; j < chain.length; j++) {
    const x = chain[j]!.x509;
    if (now > x.validToDate.getTime()) return "CERT_HAS_EXPIRED";
    if (now < x.validFromDate.getTime()) return "CERT_NOT_YET_VALID";
    if (trusted.has(x.fingerprint256)) return null;
    const issuer = chain[j + 1]?.x509;
    if (!issuer) return selfSigned(x) ? "SELF_SIGNED_CERT_IN_CHAIN" : "UNABLE_TO_GET_ISSUER_CERT_LOCALLY";
    if (!x.verify(issuer.publicKey)) return "CERT_SIGNATURE_FAILURE";
  }
  return "UNABLE_TO_GET_ISSUER_CERT_LOCALLY";
}

/**
 * The chain as the result reports it. The leaf's verification is the check's (chain and host name,
 * `leafError`); every other certificate is judged on its own: all verify when the connection did
 * (`authorized`), else each is walked up to a trusted certificate of `ca` (Node's defaults when unset).
 * The type follows the position: the first is the leaf, a self-signed last one the root.
 */
export function describeChain(
  chain: ChainEntry[],
  verdict: { authorized: boolean; leafError: string | null; ca: readonly string[] | undefined; now: number },
): TlsCertificate[] {
  let trusted: Set<string> | null = null;
  return chain.map(({ peer, x509 }, i) => {
    const type = i === 0 ? "leaf" : i === chain.length - 1 && selfSigned(x509) ? "root" : "intermediate";
    let error: string | null;
    if (i === 0) error = verdict.leafError;
    else if (verdict.authorized) error = null;
    else {
      const code = verifyFrom(chain, i, (trusted ??= trustedFingerprints(verdict.ca)), verdict.now);
      error = code && verifyReason(code);
    }
    const subject = (peer.subject ?? {}) as unknown as Record<string, string | string[] | undefined>;
    const issuer = (peer.issuer ?? {}) as unknown as Record<string, string | string[] | undefined>;
    return {
      type,
      common_name: firstName(subject.CN),
      organization: firstName(subject.O),
      organizational_unit: firstName(subject.OU),
      country: firstName(subject.C),
      province: firstName(subject.ST),
      locality: firstName(subject.L),
      serial_number: serialHex(x509.serialNumber),
      signature_algorithm: SIGNATURE_ALGORITHMS[x509.signatureAlgorithmOid] ?? null,
      public_key_algorithm: PUBLIC_KEY_ALGORITHMS[x509.publicKey.asymmetricKeyType ?? ""] ?? null,
      public_key_length: publicKeyLength(x509),
      issuer_common_name: firstName(issuer.CN),
      issuer_serial_number: firstName(issuer.serialNumber),
      san: sanList(x509.subjectAltName),
      not_before: epochMs(x509.validFromDate),
      not_after: epochMs(x509.validToDate),
      verified: error === null,
      verification_error: error && clip(error),
    };
  });
}

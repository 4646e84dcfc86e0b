// The TLS check against local TLS servers whose certificates (and CAs) are made here with the openssl CLI.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createServer, type Server, type TLSSocket } from "node:tls";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CheckResult, Monitor, type MonitorSpec } from "../../../contract/index.ts";
import { createSilentHost, netnsUnavailable, type SilentHost } from "../../../test/services/netns.ts";
import { defaultDeps } from "./deps.ts";
import { checkTls } from "./tls.ts";

type TlsMonitor = Extract<MonitorSpec, { kind: "tls" }>;
const run = promisify(execFile);
const DAY = 86_400_000;

function monitor(target: string, server_name: string | null = null, timeout_ms = 3000): TlsMonitor {
  return Monitor.parse({ id: "c", kind: "tls", target, timeout_ms, tls: { server_name } }) as TlsMonitor;
}

/** openssl's ASN.1 GeneralizedTime for `openssl ca -startdate/-enddate` (whole seconds). */
const asn1Time = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/[-:T]/g, "")
    .replace(/\.\d+Z$/, "Z");

interface Issued {
  key: string;
  cert: string;
  notAfter: number;
}

/** A throwaway CA in a temp directory that issues leaf certificates with exact validity dates: a root, or an intermediate of `parent`. */
async function createCa(dir: string, name: string, opts: { parent?: { certPath: string; keyPath: string }; rsa?: boolean } = {}) {
  const caDir = path.join(dir, name);
  await run("mkdir", ["-p", path.join(caDir, "new")]);
  await writeFile(path.join(caDir, "index.txt"), "");
  const config = path.join(caDir, "ca.cnf");
  await writeFile(
    config,
    [
      "[ca]",
      "default_ca = test_ca",
      "[test_ca]",
      `dir = ${caDir}`,
      "database = $dir/index.txt",
      "new_certs_dir = $dir/new",
      "rand_serial = yes",
      "default_md = sha256",
      "policy = any",
      "unique_subject = no",
      "copy_extensions = none",
      "[any]",
      "commonName = supplied",
      "[leaf]",
      "basicConstraints = CA:FALSE",
      "keyUsage = digitalSignature",
      "extendedKeyUsage = serverAuth",
      "",
    ].join("\n"),
  );
  const caKey = path.join(caDir, "ca.key");
  const caCert = path.join(caDir, "ca.pem");
  const keyArgs = opts.rsa ? ["-newkey", "rsa:2048"] : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
  if (!opts.parent)
    await run("openssl", [
      "req",
      "-x509",
      ...keyArgs,
      "-nodes",
      "-keyout",
      caKey,
      "-out",
      caCert,
      "-days",
      "30",
      "-subj",
      `/O=Test Org/CN=${name}`,
    ]);
  else {
    const csr = path.join(caDir, "ca.csr");
    await run("openssl", ["req", "-new", ...keyArgs, "-nodes", "-keyout", caKey, "-out", csr, "-subj", `/O=Test Org/CN=${name}`]);
    const ext = path.join(caDir, "ca.ext");
    await writeFile(ext, "[v3_ca]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n");
    await run("openssl", [
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      opts.parent.certPath,
      "-CAkey",
      opts.parent.keyPath,
      "-CAcreateserial",
      "-days",
      "20",
      "-sha256",
      "-extfile",
      ext,
      "-extensions",
      "v3_ca",
      "-out",
      caCert,
    ]);
  }
  let n = 0;
  return {
    certPath: caCert,
    keyPath: caKey,
    pem: await readFile(caCert, "utf8"),
    /** A leaf for `cn` with these subjectAltNames, valid from notBefore to notAfter (epoch ms, whole seconds). */
    async issue(cn: string, sans: string[], notBefore: number, notAfter: number, subject = `/CN=${cn}`): Promise<Issued> {
      const base = path.join(caDir, `leaf${n++}`);
      await run("openssl", [
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        `${base}.key`,
        "-out",
        `${base}.csr`,
        "-subj",
        subject,
      ]);
      await writeFile(
        `${base}.ext`,
        `[leaf]\nbasicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\nsubjectAltName = ${sans.join(",")}\n`,
      );
      await run("openssl", [
        "ca",
        "-batch",
        "-notext",
        "-preserveDN",
        "-config",
        config,
        "-cert",
        caCert,
        "-keyfile",
        caKey,
        "-startdate",
        asn1Time(notBefore),
        "-enddate",
        asn1Time(notAfter),
        "-extfile",
        `${base}.ext`,
        "-extensions",
        "leaf",
        "-in",
        `${base}.csr`,
        "-out",
        `${base}.pem`,
      ]);
      return { key: await readFile(`${base}.key`, "utf8"), cert: await readFile(`${base}.pem`, "utf8"), notAfter };
    },
  };
}
type Ca = Awaited<ReturnType<typeof createCa>>;

/** A self-signed leaf (no CA at all), as a device or a forgotten test server would have. */
async function selfSigned(dir: string, cn: string): Promise<Issued> {
  const base = path.join(dir, "self");
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    `${base}.key`,
    "-out",
    `${base}.pem`,
    "-days",
    "10",
    "-subj",
    `/CN=${cn}`,
    "-addext",
    `subjectAltName=DNS:${cn},IP:127.0.0.1`,
    "-addext",
    "basicConstraints=critical,CA:FALSE",
  ]);
  return { key: await readFile(`${base}.key`, "utf8"), cert: await readFile(`${base}.pem`, "utf8"), notAfter: 0 };
}

interface TlsTarget {
  port: number;
  /** The SNI of each handshake that carried one (SNICallback runs on the ClientHello, before the client can hang up). */
  servernames: string[];
  close(): Promise<void>;
}

/** A TCP server on an ephemeral loopback port that destroys what is left of its connections on close. */
async function listen<S extends NetServer>(server: S): Promise<{ server: S; port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on("connection", (sock: Socket) => {
    sock.on("error", () => {});
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    server,
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((r) => {
        for (const sock of sockets) sock.destroy();
        server.close(() => r());
      }),
  };
}

async function serveTls(id: Issued): Promise<TlsTarget> {
  const servernames: string[] = [];
  const server: Server = createServer(
    {
      key: id.key,
      cert: id.cert,
      SNICallback: (name, cb) => {
        servernames.push(name);
        cb(null, undefined);
      },
    },
    (s: TLSSocket) => s.end(),
  );
  server.on("tlsClientError", () => {});
  const l = await listen(server);
  return { port: l.port, servernames, close: l.close };
}

const noOpenssl = await run("openssl", ["version"]).then(
  () => null,
  () => "the openssl CLI is missing (Debian package openssl)",
);
if (noOpenssl) console.warn(`skipping the tls check tests: ${noOpenssl}`);

describe.skipIf(noOpenssl !== null)("tls check against local TLS servers", () => {
  let dir: string;
  let ca: Awaited<ReturnType<typeof createCa>>;
  let otherCa: Awaited<ReturnType<typeof createCa>>;
  let valid: Issued;
  let servers: TlsTarget[] = [];
  const start = async (id: Issued) => {
    const s = await serveTls(id);
    servers.push(s);
    return s;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ium-tls-"));
    [ca, otherCa] = await Promise.all([createCa(dir, "Test Root CA"), createCa(dir, "Some Other CA")]);
    // Whole seconds, as certificates carry them; 30.5 days makes a fractional days_left.
    const now = Math.floor(Date.now() / 1000) * 1000;
    valid = await ca.issue("db.internal.test", ["DNS:db.internal.test", "IP:127.0.0.1"], now - DAY, now + 30.5 * DAY);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("reports expiry (exact days_left), issuer and common name of a valid certificate, sending SNI", async () => {
    const s = await start(valid);
    const deps = defaultDeps({ ca: [ca.pem] });
    const t0 = performance.now();
    const r = await checkTls(monitor(`127.0.0.1:${s.port}`, "db.internal.test"), deps);
    const elapsed = performance.now() - t0;
    const expectedDays = (valid.notAfter - Date.now()) / DAY;
    expect(r).toMatchObject({
      ok: true,
      error: null,
      tls: { expires_at: valid.notAfter, issuer: "Test Root CA", common_name: "db.internal.test", verified: true },
    });
    expect(Math.abs(r.tls!.days_left! - expectedDays) * DAY).toBeLessThan(1000);
    expect(r.tls!.days_left! % 1).not.toBe(0);
    expect(r.latency_ms).toBeGreaterThan(0);
    expect(r.latency_ms).toBeLessThanOrEqual(elapsed);
    expect(s.servernames).toEqual(["db.internal.test"]);
  });

  it("verifies an IP target against the certificate's IP address, sending no SNI", async () => {
    const s = await start(valid);
    const r = await checkTls(monitor(`127.0.0.1:${s.port}`), defaultDeps({ ca: [ca.pem] }));
    expect(r).toMatchObject({ ok: true, tls: { verified: true } });
    expect(s.servernames).toEqual([]);
  });

  it("fails an expired certificate with CERT_HAS_EXPIRED, still reporting its details", async () => {
    const now = Math.floor(Date.now() / 1000) * 1000;
    const expired = await ca.issue("db.internal.test", ["DNS:db.internal.test"], now - 90 * DAY, now - 2 * DAY);
    const s = await start(expired);
    const r = await checkTls(monitor(`127.0.0.1:${s.port}`, "db.internal.test"), defaultDeps({ ca: [ca.pem] }));
    expect(r.ok).toBe(false);
    expect(r.error).toEqual({
      kind: "tls",
      message: `127.0.0.1:${s.port}: the certificate of "db.internal.test" does not verify for "db.internal.test": CERT_HAS_EXPIRED: the certificate has expired`,
    });
    expect(r.tls).toMatchObject({ expires_at: expired.notAfter, issuer: "Test Root CA", verified: false });
    // Two days ago, give or take the time between `now` (floored to the second) and the check: a
    // minute of slack, since issuing the certificate alone can take a second on a loaded machine.
    expect(Math.abs(r.tls!.days_left! + 2) * DAY).toBeLessThan(60_000);
    expect(r.latency_ms).toBeGreaterThan(0);
  });

  it("fails a certificate for another host name with ERR_TLS_CERT_ALTNAME_INVALID", async () => {
    const s = await start(valid);
    const r = await checkTls(monitor(`127.0.0.1:${s.port}`, "cache.internal.test"), defaultDeps({ ca: [ca.pem] }));
    expect(r.ok).toBe(false);
    expect(r.error?.kind).toBe("tls");
    expect(r.error?.message).toBe(
      `127.0.0.1:${s.port}: the certificate of "db.internal.test" does not verify for "cache.internal.test": ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's altnames: Host: cache.internal.test. is not in the cert's altnames: DNS:db.internal.test, IP Address:127.0.0.1`,
    );
    expect(r.tls).toMatchObject({ common_name: "db.internal.test", verified: false, expires_at: valid.notAfter });
    expect(s.servernames).toEqual(["cache.internal.test"]);
  });

  it("fails a certificate from a CA it does not trust", async () => {
    const s = await start(valid);
    const r = await checkTls(monitor(`127.0.0.1:${s.port}`, "db.internal.test"), defaultDeps({ ca: [otherCa.pem] }));
    expect(r.error?.kind).toBe("tls");
    expect(r.error?.message).toContain("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    expect(r.tls?.verified).toBe(false);
    // Node's bundled roots do not know the test CA either.
    const roots = await checkTls(monitor(`127.0.0.1:${s.port}`, "db.internal.test"), defaultDeps());
    expect(roots.error?.message).toContain("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  });

  it("fails a self-signed certificate with DEPTH_ZERO_SELF_SIGNED_CERT", async () => {
    const s = await start(await selfSigned(dir, "printer.internal.test"));
    const r = await checkTls(monitor(`127.0.0.1:${s.port}`, "printer.internal.test"), defaultDeps({ ca: [ca.pem] }));
    expect(r.error?.kind).toBe("tls");
    expect(r.error?.message).toContain("DEPTH_ZERO_SELF_SIGNED_CERT: the certificate is self-signed and not trusted");
    expect(r.tls).toMatchObject({ issuer: "printer.internal.test", common_name: "printer.internal.test", verified: false });
  });

  it("reports both reasons when the chain and the name are wrong", async () => {
    const s = await start(valid);
    const r = await checkTls(monitor(`127.0.0.1:${s.port}`, "cache.internal.test"), defaultDeps({ ca: [otherCa.pem] }));
    expect(r.error?.message).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE: .*; ERR_TLS_CERT_ALTNAME_INVALID: /);
  });

  it("fails with tls when the server does not speak TLS", async () => {
    const { port, close } = await listen(createNetServer((sock) => sock.end("SSH-2.0-OpenSSH_9.2\r\n")));
    const r = await checkTls(monitor(`127.0.0.1:${port}`), defaultDeps());
    await close();
    expect(r.ok).toBe(false);
    expect(r.error?.kind).toBe("tls");
    expect(r.error?.message).toBe(
      `127.0.0.1:${port}: the TLS handshake failed: wrong version number (ERR_SSL_WRONG_VERSION_NUMBER) (does this port speak TLS?)`,
    );
    expect(r.tls).toBeUndefined();
  });

  it("times out when a server accepts but never answers the handshake", async () => {
    const { port, close } = await listen(createNetServer(() => {}));
    const r = await checkTls(monitor(`127.0.0.1:${port}`, null, 300), defaultDeps());
    await close();
    expect(r.error).toEqual({
      kind: "timeout",
      message: `127.0.0.1:${port}: connected, but the TLS handshake did not complete within 300 ms (timeout_ms)`,
    });
  });

  it("tells a refused port apart", async () => {
    const s = await start(valid);
    await s.close();
    servers = servers.filter((x) => x !== s);
    const r = await checkTls(monitor(`127.0.0.1:${s.port}`), defaultDeps());
    expect(r.error?.kind).toBe("refused");
    expect(r.tls).toBeUndefined();
  });
});

describe.skipIf(noOpenssl !== null)("tls check: the chain, certificate by certificate, as Telegraf's x509_cert", () => {
  let dir: string;
  let root: Ca;
  let intermediate: Ca;
  let unrelated: Ca;
  let servers: TlsTarget[] = [];
  /** Serves the leaf with the intermediate after it, as servers send their chain. */
  const start = async (leaf: Issued) => {
    const s = await serveTls({ ...leaf, cert: leaf.cert + intermediate.pem });
    servers.push(s);
    return s;
  };
  /** openssl's own view of a certificate's serial, as Go's big.Int Text(16) writes it. */
  const serialOf = async (pem: string) => {
    const file = path.join(dir, `serial-${Math.random().toString(36).slice(2)}.pem`);
    await writeFile(file, pem);
    const { stdout } = await run("openssl", ["x509", "-in", file, "-noout", "-serial"]);
    return BigInt(`0x${stdout.trim().replace(/^serial=/, "")}`).toString(16);
  };
  const SUBJECT = "/C=US/ST=California/L=Los Angeles/O=Example, Inc/OU=Ops/CN=db.internal.test";
  const SANS = ["DNS:db.internal.test", "IP:127.0.0.1", "email:ops@internal.test", "DNS:db2.internal.test"];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ium-tls-chain-"));
    root = await createCa(dir, "Chain Root CA", { rsa: true });
    [intermediate, unrelated] = await Promise.all([
      createCa(dir, "Chain Intermediate CA", { parent: root }),
      createCa(dir, "Unrelated CA"),
    ]);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("describes the leaf, the intermediate the server sent and the trusted root it ends in", async () => {
    const now = Math.floor(Date.now() / 1000) * 1000;
    const leaf = await intermediate.issue("db.internal.test", SANS, now - DAY, now + 10 * DAY, SUBJECT);
    const s = await start(leaf);
    const r = await checkTls(monitor(`127.0.0.1:${s.port}`, "db.internal.test"), defaultDeps({ ca: [root.pem] }));
    expect(r).toMatchObject({ ok: true, error: null, tls: { common_name: "db.internal.test", issuer: "Chain Intermediate CA" } });
    const chain = r.tls!.chain!;
    expect(chain.map((c) => [c.type, c.common_name])).toEqual([
      ["leaf", "db.internal.test"],
      ["intermediate", "Chain Intermediate CA"],
      ["root", "Chain Root CA"],
    ]);
    expect(chain[0]).toEqual({
      type: "leaf",
      common_name: "db.internal.test",
      organization: "Example, Inc",
      organizational_unit: "Ops",
      country: "US",
      province: "California",
      locality: "Los Angeles",
      serial_number: await serialOf(leaf.cert),
      signature_algorithm: "ECDSA-SHA256",
      public_key_algorithm: "ECDSA",
      public_key_length: 256,
      issuer_common_name: "Chain Intermediate CA",
      issuer_serial_number: null,
      // Go's order (x509_cert.go getTags): DNS names, e-mail addresses, IP addresses, URIs.
      san: "db.internal.test,db2.internal.test,ops@internal.test,127.0.0.1",
      not_before: now - DAY,
      not_after: now + 10 * DAY,
      verified: true,
      verification_error: null,
    });
    expect(chain[1]).toMatchObject({
      organization: "Test Org",
      serial_number: await serialOf(intermediate.pem),
      signature_algorithm: "SHA256-RSA", // signed by the RSA root
      public_key_algorithm: "ECDSA",
      issuer_common_name: "Chain Root CA",
      san: null,
      verified: true,
    });
    expect(chain[2]).toMatchObject({
      signature_algorithm: "SHA256-RSA",
      public_key_algorithm: "RSA",
      public_key_length: 2048,
      issuer_common_name: "Chain Root CA",
      verified: true,
      verification_error: null,
    });
    // What the agent pushes must pass the edge's schema.
    expect(() => CheckResult.parse({ id: "r1", monitor: "c", ts: now, location: "dc1", ...r })).not.toThrow();
  });

  it("judges each certificate on its own: an expired leaf does not make its issuers invalid", async () => {
    const now = Math.floor(Date.now() / 1000) * 1000;
    const expired = await intermediate.issue("db.internal.test", ["DNS:db.internal.test"], now - 9 * DAY, now - DAY);
    const s = await start(expired);
    const r = await checkTls(monitor(`127.0.0.1:${s.port}`, "db.internal.test"), defaultDeps({ ca: [root.pem] }));
    expect(r.ok).toBe(false);
    expect(r.tls!.chain!.map((c) => [c.type, c.verified, c.verification_error])).toEqual([
      ["leaf", false, "CERT_HAS_EXPIRED: the certificate has expired"],
      ["intermediate", true, null],
      ["root", true, null],
    ]);
  });

  it("marks a name mismatch on the leaf only, and an untrusted chain on every certificate", async () => {
    const now = Math.floor(Date.now() / 1000) * 1000;
    const leaf = await intermediate.issue("db.internal.test", ["DNS:db.internal.test"], now - DAY, now + DAY);
    const s = await start(leaf);
    const wrongName = await checkTls(monitor(`127.0.0.1:${s.port}`, "cache.internal.test"), defaultDeps({ ca: [root.pem] }));
    expect(wrongName.tls!.chain!.map((c) => [c.type, c.verified])).toEqual([
      ["leaf", false],
      ["intermediate", true],
      ["root", true],
    ]);
    expect(wrongName.tls!.chain![0]!.verification_error).toMatch(/^ERR_TLS_CERT_ALTNAME_INVALID: /);
    // A root the agent does not trust: Node cannot add it, so the chain stops at the intermediate, untrusted too.
    const untrusted = await checkTls(monitor(`127.0.0.1:${s.port}`, "db.internal.test"), defaultDeps({ ca: [unrelated.pem] }));
    expect(untrusted.tls!.chain!.map((c) => [c.type, c.verified, c.verification_error])).toEqual([
      ["leaf", false, "UNABLE_TO_GET_ISSUER_CERT_LOCALLY: the certificate's issuer is not trusted (unknown CA)"],
      ["intermediate", false, "UNABLE_TO_GET_ISSUER_CERT_LOCALLY: the certificate's issuer is not trusted (unknown CA)"],
    ]);
  });

  it("calls a lone self-signed certificate the leaf: type='leaf' always selects the server's certificate", async () => {
    const self = await selfSigned(dir, "printer.internal.test");
    const s = await serveTls(self);
    servers.push(s);
    const r = await checkTls(monitor(`127.0.0.1:${s.port}`, "printer.internal.test"), defaultDeps({ ca: [root.pem] }));
    expect(r.tls!.chain!.map((c) => [c.type, c.verified, c.issuer_common_name])).toEqual([["leaf", false, "printer.internal.test"]]);
    expect(r.tls!.chain![0]!.verification_error).toBe("DEPTH_ZERO_SELF_SIGNED_CERT: the certificate is self-signed and not trusted");
  });
});

const noNetns = await netnsUnavailable();
describe.skipIf(noNetns !== null)("tls check against a namespace host that drops", () => {
  let host: SilentHost;
  beforeAll(async () => {
    host = await createSilentHost("drop");
  });
  afterAll(async () => {
    await host?.destroy();
  });

  it("times out while connecting", async () => {
    const r = await checkTls(monitor(`${host.address}:443`, "db.internal.test", 300), defaultDeps());
    expect(r.error).toEqual({
      kind: "timeout",
      message: `${host.address}:443: no answer to the connection attempt within 300 ms (timeout_ms): the host is down or a firewall drops the packets`,
    });
  });
});

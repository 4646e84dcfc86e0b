// The pingers behind the agent's ICMP check: fping batching many checks per process, iputils ping as fallback, and the choice between them.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { CheckError } from "../../../contract/index.ts";
import { clip } from "../../../contract/text.ts";

/** One check's echo requests: `count` of them to `address` (an IP), all answered or lost within `timeoutMs`. */
export interface PingRequest {
  address: string;
  count: number;
  timeoutMs: number;
}

/**
 * What came back: one entry per echo request sent, its RTT in ms or null when lost; `icmpError` is
 * an ICMP error a router or the host sent instead of a reply ("Host Unreachable from 10.0.0.1");
 * `ttl` the first reply's IP TTL (hop limit) when the pinger prints it: iputils ping does, fping 5.1
 * has no option to (its --print-ttl came later), so fping's results have none.
 * A pinger that could not ping at all (no privilege, no binary) says why in `error`.
 */
export type PingResult = { ok: true; rtts: (number | null)[]; icmpError: string | null; ttl?: number } | { ok: false; error: CheckError };

export interface Pinger {
  ping(request: PingRequest): Promise<PingResult>;
  /** What it is, for logs: "fping, batched" or "iputils ping, one process per check (…why)". */
  describe(): string;
}

/** Lines of fping's or ping's error output kept in a message. */
const MAX_DIAGNOSTIC = 600;
/** Time kept free at the end of timeout_ms for the pinger process to print and exit. */
const EXIT_SLACK_MS = 50;
/** fping's minimum period between echo requests to one target. */
const MIN_PERIOD_MS = 10;
/** Period between echo requests to one target, at most (ping's and fping's default). */
const MAX_PERIOD_MS = 1000;

/**
 * How `count` echo requests fit in `timeoutMs`: one request every `periodMs`, each waited for
 * `periodMs` (fping's advice: a timeout beyond the period is honoured only for the last request),
 * so one target takes at most count × periodMs. What remains, `spreadMs`, is how long the sends of
 * one batch may be spread over many targets (fping paces them `intervalMs` apart).
 */
export function pingTiming(count: number, timeoutMs: number, windowMs: number): { periodMs: number; spreadMs: number } {
  const budget = Math.max(0, timeoutMs - windowMs - EXIT_SLACK_MS);
  const periodMs = Math.min(MAX_PERIOD_MS, Math.max(MIN_PERIOD_MS, Math.floor(budget / (count + 1))));
  return { periodMs, spreadMs: Math.max(0, budget - count * periodMs) };
}

/** The reply-time lists of `fping -C` ("10.0.0.1 : 0.51 - 0.48") and its ICMP error lines, by target. */
export function parseFpingOutput(stderr: string): {
  rtts: Map<string, (number | null)[]>;
  icmpErrors: Map<string, string>;
  other: string[];
} {
  const rtts = new Map<string, (number | null)[]>();
  const icmpErrors = new Map<string, string>();
  const other: string[] = [];
  for (const line of stderr.split("\n")) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    const summary = /^(\S+)\s+:((?:\s+(?:-|\d+(?:\.\d+)?))+)$/.exec(trimmed);
    if (summary) {
      rtts.set(
        summary[1]!,
        summary[2]!
          .trim()
          .split(/\s+/)
          .map((v) => (v === "-" ? null : Number(v))),
      );
      continue;
    }
    const icmp = /^ICMP(?:v6)? (.+?) from (\S+) for ICMP(?:v6)? Echo(?: Request)? sent to (\S+)/.exec(trimmed);
    if (icmp) {
      if (!icmpErrors.has(icmp[3]!)) icmpErrors.set(icmp[3]!, `ICMP ${icmp[1]} from ${icmp[2]}`);
      continue;
    }
    other.push(trimmed);
  }
  return { rtts, icmpErrors, other };
}

const PERMISSION_TEXT =
  /can't create (raw )?socket|must run as root|operation not permitted|permission denied|missing cap_net_raw|\bEPERM\b|\bEACCES\b/i;

function pingGroupRange(): string | null {
  try {
    return readFileSync("/proc/sys/net/ipv4/ping_group_range", "utf8").trim().replace(/\s+/g, " ");
  } catch {
    return null;
  }
}

/** The `permission` error, saying how to grant what is missing. */
export function permissionError(detail: string): CheckError {
  const gid = process.getgid?.();
  const range = pingGroupRange();
  const now =
    range === null
      ? ""
      : ` (the agent's group id is ${gid}; the range is now "${range}"${range === "1 0" ? ", which allows no group" : ""})`;
  return {
    kind: "permission",
    message: clip(
      `ICMP echo is not permitted for the agent: ${detail}. Grant it the CAP_NET_RAW capability ` +
        `(docker run --cap-add NET_RAW; Kubernetes: securityContext.capabilities.add ["NET_RAW"]), ` +
        `or allow unprivileged ICMP sockets for its group: sysctl -w net.ipv4.ping_group_range="0 2147483647"${now}`,
    ),
  };
}

/** Why a pinger process gave no result: missing privilege, missing binary, or something else. */
export function pingerFailure(program: string, detail: string, exitCode: number | null, spawnCode?: string): CheckError {
  if (spawnCode === "ENOENT")
    return {
      kind: "other",
      message: `${program} is not installed (Debian/Ubuntu package: ${program === "fping" ? "fping" : "iputils-ping"})`,
    };
  if (spawnCode === "EPERM" || spawnCode === "EACCES" || PERMISSION_TEXT.test(detail))
    return permissionError(`${program} could not open an ICMP socket${detail ? `: ${clip(detail, MAX_DIAGNOSTIC)}` : ""}`);
  // fping exits 4 ("system call error") without a word under -q when it cannot open a socket.
  if (program === "fping" && exitCode === 4 && !detail) return permissionError("fping could not open an ICMP socket (exit code 4)");
  return {
    kind: "other",
    message: clip(`${program} gave no result (exit code ${exitCode})${detail ? `: ${clip(detail, MAX_DIAGNOSTIC)}` : ""}`),
  };
}

export interface FpingOptions {
  /** The fping command, possibly behind a wrapper (`["ip", "netns", "exec", ns, "fping"]`); default `["fping"]`. */
  command?: readonly string[];
  /**
   * How long the first check of a batch waits for others to join it; default 1000 ms, and never more
   * than a quarter of the check's timeout_ms. One fping process costs about 3 ms of CPU however few
   * targets it has, so the window must hold several checks even when the scheduler spreads them out
   * (1,000 monitors every 60 s are 17 checks a second). The delay does not enter the measured RTTs.
   */
  windowMs?: number;
  /** fping's -i: ms between any two echo requests it sends (paces replies so none overflow the socket buffer); default 1. */
  intervalMs?: number;
}

type Waiter = (r: PingResult) => void;

/** 9,987 ms → 9,750 ms; 480 ms → 480 ms. */
export const quantize = (timeoutMs: number) => (timeoutMs >= 1000 ? Math.floor(timeoutMs / 250) * 250 : Math.floor(timeoutMs / 10) * 10);
interface Batch {
  count: number;
  timeoutMs: number;
  windowMs: number;
  targets: Map<string, Waiter[]>;
  maxTargets: number;
  timer: NodeJS.Timeout;
}

/**
 * A pinger that coalesces the checks due within `windowMs` with the same count and timeout into one
 * `fping -C` run (one process for up to thousands of targets instead of one `ping` per check: the
 * CPU per check drops from milliseconds to tens of microseconds). Checks of the same address in one
 * batch share its echo requests.
 */
export function createFpingPinger(options: FpingOptions = {}): Pinger {
  const command = options.command ?? ["fping"];
  const windowMs = options.windowMs ?? 1000;
  /** The window of a batch: short checks cannot wait long. */
  const windowFor = (timeoutMs: number) => Math.min(windowMs, Math.floor(timeoutMs / 4));
  const intervalMs = options.intervalMs ?? 1;
  const open = new Map<string, Batch>();

  const flush = (key: string) => {
    const batch = open.get(key);
    if (!batch) return;
    open.delete(key);
    clearTimeout(batch.timer);
    runFping(batch);
  };

  function runFping(batch: Batch) {
    const { periodMs } = pingTiming(batch.count, batch.timeoutMs, batch.windowMs);
    const args = [
      "-C",
      String(batch.count),
      "-p",
      String(periodMs),
      "-t",
      String(periodMs),
      "-i",
      String(intervalMs),
      ...batch.targets.keys(),
    ];
    const settle = (result: (address: string) => PingResult) => {
      for (const [address, waiters] of batch.targets) {
        const r = result(address);
        for (const w of waiters) w(r);
      }
    };
    let child;
    try {
      // Per-probe lines (stdout) are not needed; the summary and ICMP errors come on stderr.
      child = spawn(command[0]!, [...command.slice(1), ...args], { stdio: ["ignore", "ignore", "pipe"] });
    } catch (e) {
      settle(() => ({ ok: false, error: pingerFailure("fping", (e as Error).message, null, (e as NodeJS.ErrnoException).code) }));
      return;
    }
    let stderr = "";
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (s: string) => {
      if (stderr.length < 8 * 1024 * 1024) stderr += s;
    });
    // fping prints what it has on SIGINT; a run that outlives its checks' timeout is cut short so.
    const deadline = setTimeout(
      () => {
        child.kill("SIGINT");
        setTimeout(() => child.kill("SIGKILL"), 500).unref();
      },
      Math.max(1, batch.timeoutMs - batch.windowMs - EXIT_SLACK_MS / 2),
    );
    let spawnError: NodeJS.ErrnoException | null = null;
    child.on("error", (e: NodeJS.ErrnoException) => {
      spawnError = e;
    });
    child.on("close", (code) => {
      clearTimeout(deadline);
      if (spawnError) {
        const e = spawnError as NodeJS.ErrnoException;
        return settle(() => ({ ok: false, error: pingerFailure("fping", e.message, null, e.code) }));
      }
      const parsed = parseFpingOutput(stderr);
      const detail = parsed.other.join("; ");
      settle((address) => {
        const rtts = parsed.rtts.get(address);
        if (rtts) return { ok: true, rtts, icmpError: parsed.icmpErrors.get(address) ?? null };
        return { ok: false, error: pingerFailure("fping", detail, code) };
      });
    });
  }

  return {
    describe: () => `fping (${command.join(" ")}), one process per batch of checks due within ${windowMs} ms of each other`,
    ping(req) {
      // Budgets are rounded down so that checks whose name lookups took a few ms still share a batch.
      const request = { ...req, timeoutMs: quantize(req.timeoutMs) };
      return new Promise<PingResult>((resolve) => {
        const key = `${request.count}/${request.timeoutMs}`;
        let batch = open.get(key);
        if (!batch) {
          const window = windowFor(request.timeoutMs);
          const { spreadMs } = pingTiming(request.count, request.timeoutMs, window);
          batch = {
            count: request.count,
            timeoutMs: request.timeoutMs,
            windowMs: window,
            targets: new Map(),
            maxTargets: Math.max(1, Math.floor(spreadMs / (request.count * Math.max(intervalMs, 0.1)))),
            timer: setTimeout(() => flush(key), window),
          };
          open.set(key, batch);
        }
        const waiters = batch.targets.get(request.address);
        if (waiters) waiters.push(resolve);
        else batch.targets.set(request.address, [resolve]);
        if (batch.targets.size >= batch.maxTargets) flush(key);
      });
    },
  };
}

/**
 * `ping`'s output: RTTs of the replies ("time=0.045 ms"), requests sent, the first ICMP error line,
 * and the first reply's TTL ("ttl=64", or BSD's "hlim=64" for IPv6), the one Telegraf's ping input keeps.
 */
export function parsePingOutput(stdout: string): { sent: number | null; rtts: number[]; icmpError: string | null; ttl?: number } {
  const rtts = [...stdout.matchAll(/time[=<]([\d.]+) ?ms/g)].map((m) => Number(m[1]));
  const sent = /(\d+) packets transmitted/.exec(stdout);
  const err = /^From (\S+?):? (?:icmp_seq=\d+ )?(.*(?:Unreachable|Exceeded|Prohibited|Filtered).*)$/m.exec(stdout);
  const ttl = /^\d+ bytes from .*\b(?:ttl|hlim)=(\d{1,3})\b/m.exec(stdout);
  return {
    sent: sent ? Number(sent[1]) : null,
    rtts,
    icmpError: err ? `${err[2]!.trim()} from ${err[1]}` : null,
    ...(ttl && Number(ttl[1]) <= 255 ? { ttl: Number(ttl[1]) } : {}),
  };
}

/**
 * One iputils `ping` per check. About 2.4 ms of CPU per check, so only a fallback: it works with
 * nothing but `net.ipv4.ping_group_range`, where Debian 12's fping 5.1 discards the replies
 * (fping issue #248, fixed in 5.2).
 */
export function createPingPinger(options: { command?: readonly string[] } = {}): Pinger {
  const command = options.command ?? ["ping"];
  return {
    describe: () => `iputils ping (${command.join(" ")}), one process per check`,
    ping(request) {
      const { periodMs } = pingTiming(request.count, request.timeoutMs, 0);
      const args = [
        "-n",
        ...(isIP(request.address) === 6 ? ["-6"] : ["-4"]),
        "-c",
        String(request.count),
        "-i",
        String(Math.max(0.2, periodMs / 1000)),
        "-W",
        String(Math.max(1, Math.round(periodMs / 1000))),
        "-w",
        String(Math.max(1, Math.floor((request.timeoutMs - EXIT_SLACK_MS) / 1000))),
        request.address,
      ];
      return new Promise<PingResult>((resolve) => {
        let out = "";
        let err = "";
        let spawnError: NodeJS.ErrnoException | null = null;
        let child;
        try {
          child = spawn(command[0]!, [...command.slice(1), ...args], { stdio: ["ignore", "pipe", "pipe"] });
        } catch (e) {
          // Some failures throw instead of emitting "error": EPERM when the binary carries a file
          // capability the container's bounding set lacks (Kubernetes' restricted profile drops all).
          const x = e as NodeJS.ErrnoException;
          return resolve({ ok: false, error: pingerFailure("ping", x.message, null, x.code) });
        }
        child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
        child.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
        child.on("error", (e: NodeJS.ErrnoException) => (spawnError = e));
        const deadline = setTimeout(() => child.kill("SIGINT"), request.timeoutMs - EXIT_SLACK_MS / 2);
        child.on("close", (code) => {
          clearTimeout(deadline);
          if (spawnError) return resolve({ ok: false, error: pingerFailure("ping", spawnError.message, null, spawnError.code) });
          const parsed = parsePingOutput(out);
          if (parsed.sent === null) return resolve({ ok: false, error: pingerFailure("ping", err.trim().replace(/\n/g, "; "), code) });
          const rtts: (number | null)[] = [...parsed.rtts];
          while (rtts.length < parsed.sent) rtts.push(null);
          resolve({ ok: true, rtts, icmpError: parsed.icmpError, ...(parsed.ttl === undefined ? {} : { ttl: parsed.ttl }) });
        });
      });
    },
  };
}

export interface SystemPingerOptions extends FpingOptions {
  /** The iputils ping command for the fallback; default `["ping"]`. */
  pingCommand?: readonly string[];
}

/**
 * fping, batched, when it works here; otherwise iputils ping. The choice is made once, at the first
 * check, by pinging 127.0.0.1: fping can be present yet useless (no CAP_NET_RAW and fping 5.1's
 * unprivileged mode loses every reply), while ping works with ping_group_range alone.
 */
export function createSystemPinger(options: SystemPingerOptions = {}): Pinger {
  const fping = createFpingPinger(options);
  const ping = createPingPinger({ command: options.pingCommand ?? ["ping"] });
  // The self-test waits for no batch: it delays only the first check, by a few milliseconds.
  const fpingNow = createFpingPinger({ ...options, windowMs: 0 });
  let chosen: Pinger | null = null;
  let why = "";
  let choosing: Promise<Pinger> | null = null;
  const selfTest = { address: "127.0.0.1", count: 1, timeoutMs: 1000 };
  const answers = (r: PingResult) => r.ok && r.rtts.some((x) => x !== null);
  const choose = () =>
    (choosing ??= (async () => {
      const f = await fpingNow.ping(selfTest);
      if (answers(f)) return (chosen = fping);
      const p = await ping.ping(selfTest);
      if (answers(p)) {
        why = f.ok
          ? "fping got no reply from 127.0.0.1 (no CAP_NET_RAW, and fping 5.1 loses replies on unprivileged ICMP sockets)"
          : f.error.message;
        return (chosen = ping);
      }
      return (chosen = fping); // neither works: fping's errors (e.g. permission) are reported by the checks
    })());
  return {
    describe: () =>
      chosen ? `${chosen.describe()}${why ? ` (fping unusable: ${why})` : ""}` : "fping or iputils ping, chosen at the first check",
    async ping(request) {
      return (chosen ?? (await choose())).ping(request);
    },
  };
}

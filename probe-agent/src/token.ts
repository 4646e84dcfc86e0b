// The agent's token as the edge client reads it: fixed (AGENT_TOKEN), or read from AGENT_TOKEN_FILE and re-read while
// the agent runs (every AGENT_TOKEN_RELOAD_S, and at once when the edge refuses it), so a rotated Kubernetes Secret
// applies without a restart. The token itself is never logged: its fingerprint is.
import { createHash } from "node:crypto";
import { errorContext, type Logger } from "./log.ts";
import { readTokenFile, type TokenRead } from "./token-file.ts";

/** What made the agent re-read its token: its timer, or the edge refusing the token in use. */
export type ReloadTrigger = "poll" | "refused";
export const RELOAD_TRIGGERS: readonly ReloadTrigger[] = ["poll", "refused"];

/** Where the token in use came from, for /healthz and the logs; never the token. */
export type TokenStatus = {
  source: "AGENT_TOKEN" | "AGENT_TOKEN_FILE";
  file: string | null;
  fingerprint: string;
  /** When the token in use was read (epoch ms). */
  loadedAt: number;
  /** What went wrong at the last reload (the token in use was kept), null when it went well. */
  lastError: string | null;
};

export interface TokenSource {
  /** The token to send now. */
  current(): string;
  /** Reads the token again where it comes from; true when it changed. Never throws. */
  reload(trigger: ReloadTrigger): Promise<boolean>;
  /** Calls `listener` after each change of the token; returns a function that stops it. */
  onChange(listener: () => void): () => void;
  status(): TokenStatus;
  /** Starts re-reading on a timer (nothing to do for a fixed token). */
  start(): void;
  stop(): void;
}

/** A token's fingerprint for logs and /healthz: the start of its SHA-256, which tells tokens apart without revealing one. */
export function fingerprint(token: string): string {
  return createHash("sha256").update(token).digest("hex").slice(0, 12);
}

/** AGENT_TOKEN: the environment of a running process cannot change, so this token is the one until a restart. */
export function fixedToken(token: string, now: () => number = Date.now): TokenSource {
  const status: TokenStatus = { source: "AGENT_TOKEN", file: null, fingerprint: fingerprint(token), loadedAt: now(), lastError: null };
  return {
    current: () => token,
    reload: async () => false,
    onChange: () => () => {},
    status: () => ({ ...status }),
    start() {},
    stop() {},
  };
}

export type FileTokenOptions = {
  file: string;
  /** The token read from the file at startup (loadConfig read and checked it). */
  initial: string;
  /** How often the file is read again. */
  intervalMs: number;
  logger: Logger;
  /** Reads the file; the default reads it from disk. */
  read?: (file: string) => Promise<TokenRead>;
  now?: () => number;
  /** Counted in the metrics: a new token taken, and a reload that kept the old one. */
  onReload?: (trigger: ReloadTrigger) => void;
  onReloadFailure?: () => void;
};

/**
 * AGENT_TOKEN_FILE. The file is read again on a timer rather than watched: the kubelet updates a mounted Secret by
 * swapping the `..data` symbolic link of its directory, which a watch on the file itself does not see; reading
 * a few bytes every few seconds does, whatever the file system. An unreadable or empty file keeps the token in use.
 */
export class FileTokenSource implements TokenSource {
  private token: string;
  private loadedAt: number;
  private lastError: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<boolean> | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly read: (file: string) => Promise<TokenRead>;
  private readonly now: () => number;
  private readonly o: FileTokenOptions;

  constructor(o: FileTokenOptions) {
    this.o = o;
    this.token = o.initial;
    this.read = o.read ?? readTokenFile;
    this.now = o.now ?? Date.now;
    this.loadedAt = this.now();
  }

  current(): string {
    return this.token;
  }

  /** Reads the file; concurrent callers (the timer, a refused push, a refused refresh) share one read. */
  reload(trigger: ReloadTrigger): Promise<boolean> {
    this.inFlight ??= this.readOnce(trigger).finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async readOnce(trigger: ReloadTrigger): Promise<boolean> {
    let r: TokenRead;
    try {
      r = await this.read(this.o.file);
    } catch (e) {
      r = { ok: false, problem: `cannot read ${this.o.file}: ${errorContext(e).error}` };
    }
    if (!r.ok) {
      this.o.onReloadFailure?.();
      // Once per distinct problem: a file that stays missing must not log every few seconds.
      if (r.problem !== this.lastError)
        this.o.logger.warn(
          { file: this.o.file, problem: r.problem, trigger, fingerprint: fingerprint(this.token) },
          "cannot reload the agent token (AGENT_TOKEN_FILE); keeping the one in use",
        );
      this.lastError = r.problem;
      return false;
    }
    if (this.lastError !== null) {
      this.o.logger.info({ file: this.o.file }, "the agent token file is readable again");
      this.lastError = null;
    }
    if (r.token === this.token) return false;
    const previous = fingerprint(this.token);
    this.token = r.token;
    this.loadedAt = this.now();
    this.o.logger.info(
      { file: this.o.file, trigger, fingerprint: fingerprint(r.token), previous },
      "agent token reloaded from AGENT_TOKEN_FILE",
    );
    this.o.onReload?.(trigger);
    for (const listener of this.listeners)
      try {
        listener();
      } catch (e) {
        this.o.logger.error({ ...errorContext(e) }, "a token change listener failed");
      }
    return true;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(): TokenStatus {
    return {
      source: "AGENT_TOKEN_FILE",
      file: this.o.file,
      fingerprint: fingerprint(this.token),
      loadedAt: this.loadedAt,
      lastError: this.lastError,
    };
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.reload("poll"), this.o.intervalMs);
    // The timer alone must not keep a stopped agent's process alive.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** A token source from the configuration: the file when AGENT_TOKEN_FILE is set, else AGENT_TOKEN as given. */
export function tokenSourceFor(
  config: { token: string; tokenFile?: string | null; tokenReloadMs?: number },
  options: Omit<FileTokenOptions, "file" | "initial" | "intervalMs">,
): TokenSource {
  if (!config.tokenFile) return fixedToken(config.token, options.now);
  return new FileTokenSource({ ...options, file: config.tokenFile, initial: config.token, intervalMs: config.tokenReloadMs ?? 10_000 });
}

/** Accepts a plain token (tests, programmatic use) wherever a token source is expected. */
export function asTokenSource(token: string | TokenSource): TokenSource {
  return typeof token === "string" ? fixedToken(token) : token;
}

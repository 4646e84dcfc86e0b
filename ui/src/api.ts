// Reading the JSON API with the session's token, and telling an unreachable API from a refusal.
const KEY = "uptime-monitor.token";
const TIMEOUT_MS = 10_000;

/** The API answered with an error status (its error shape's code and message when it sent one). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** No answer at all: network down, Worker unreachable, or no answer within the timeout. */
export class Unreachable extends Error {}

/** The token lives in sessionStorage: this tab only, gone when it closes, never in a cookie or the URL. */
export const session = {
  token(): string | null {
    try {
      return sessionStorage.getItem(KEY);
    } catch {
      return null;
    }
  },
  save(token: string) {
    sessionStorage.setItem(KEY, token);
  },
  forget() {
    sessionStorage.removeItem(KEY);
  },
};

export async function getJson<T>(path: string): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  const token = session.token();
  if (token) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(path, { headers, cache: "no-store", signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (e) {
    throw new Unreachable(
      e instanceof Error && e.name === "TimeoutError" ? `no answer within ${TIMEOUT_MS / 1000} s` : "the request failed",
    );
  }
  if (!res.ok) {
    let code = `http_${res.status}`;
    let message = res.statusText || `HTTP ${res.status}`;
    try {
      const body = (await res.json()) as { error?: { code?: string; message?: string } };
      code = body.error?.code ?? code;
      message = body.error?.message ?? message;
    } catch {
      /* not the API's error shape (a proxy's page, say) */
    }
    throw new HttpError(res.status, code, message);
  }
  try {
    return (await res.json()) as T;
  } catch {
    throw new HttpError(res.status, "bad_response", "the API sent something that is not JSON");
  }
}

// A local webhook receiver for delivery tests: scripted answers per path, and a record of every
// request (headers and raw body) that tests in workerd read back over HTTP.
import http from "node:http";
import { Webhook } from "standardwebhooks";
import { listenLoopback } from "./http.ts";

export type ReceiverAnswer = { status: number; headers?: Record<string, string>; body?: string; delay_ms?: number };
export type ReceivedRequest = {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  body_base64: string;
  at: number;
};
export type WebhookReceiver = { url: string; close(): Promise<void> };

/**
 * Routes:
 * - any method on `/hook/:name[/…]`: recorded, then answered with the next scripted answer for
 *   :name, or with the script's `then` (default `{status: 200}`) once the list is used up.
 * - `PUT /control/script/:name` with `{"answers":[ReceiverAnswer…],"then":ReceiverAnswer}` sets :name's script.
 * - `GET /control/requests/:name` answers `{"requests":[ReceivedRequest…]}`, oldest first.
 * - `POST /control/verify/:name` with `{"secret","index"}`: the receiver checks :name's request at
 *   `index` as a Standard Webhooks consumer does, with the reference library (npm `standardwebhooks`),
 *   and answers `{"verified":true}` or `{"verified":false,"error"}` (the library's reason).
 * - `POST /control/reset` forgets every script and request.
 */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  type Script = { answers: ReceiverAnswer[]; then: ReceiverAnswer };
  let scripts = new Map<string, Script>();
  let received = new Map<string, ReceivedRequest[]>();
  const timers = new Set<NodeJS.Timeout>();

  const server = http.createServer((req, res) => {
    // One request per connection: a pooled connection that this server closes after its keep-alive
    // timeout, reused by workerd at that moment, fails as "Network connection lost." in the test.
    res.setHeader("connection", "close");
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const url = new URL(req.url ?? "/", "http://receiver.invalid");
      const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (parts[0] === "control") {
        if (parts[1] === "reset" && req.method === "POST") {
          scripts = new Map();
          received = new Map();
          return json(200, { ok: true });
        }
        if (parts[1] === "script" && parts[2] && req.method === "PUT") {
          let s: Partial<Script>;
          try {
            s = JSON.parse(raw.toString("utf8")) as Partial<Script>;
          } catch {
            return json(400, { error: "a script is JSON: {answers, then}" });
          }
          scripts.set(parts[2], { answers: s.answers ?? [], then: s.then ?? { status: 200 } });
          return json(200, { ok: true });
        }
        if (parts[1] === "requests" && parts[2] && req.method === "GET") return json(200, { requests: received.get(parts[2]) ?? [] });
        if (parts[1] === "verify" && parts[2] && req.method === "POST") {
          let ask: { secret?: string; index?: number };
          try {
            ask = JSON.parse(raw.toString("utf8")) as typeof ask;
          } catch {
            return json(400, { error: "a verify request is JSON: {secret, index}" });
          }
          const got = received.get(parts[2])?.[ask.index ?? 0];
          if (!got || typeof ask.secret !== "string") return json(404, { error: "no such request, or no secret given" });
          try {
            new Webhook(ask.secret).verify(Buffer.from(got.body_base64, "base64"), got.headers);
            return json(200, { verified: true });
          } catch (e) {
            return json(200, { verified: false, error: e instanceof Error ? e.message : String(e) });
          }
        }
        return json(404, { error: "unknown control route" });
      }
      if (parts[0] !== "hook" || !parts[1]) return json(404, { error: "unknown route" });
      const name = parts[1];
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(", ") : (v ?? "");
      const list = received.get(name) ?? [];
      list.push({
        method: req.method ?? "",
        path: url.pathname + url.search,
        headers,
        body: raw.toString("utf8"),
        body_base64: raw.toString("base64"),
        at: Date.now(),
      });
      received.set(name, list);
      const script = scripts.get(name);
      const answer = script?.answers.shift() ?? script?.then ?? { status: 200 };
      const reply = () => {
        if (res.destroyed) return;
        const body = answer.body ?? "";
        res.writeHead(answer.status, {
          "content-type": "text/plain",
          "content-length": String(Buffer.byteLength(body)),
          ...(answer.headers ?? {}),
        });
        res.end(body);
      };
      if (!answer.delay_ms) return reply();
      const t = setTimeout(() => {
        timers.delete(t);
        reply();
      }, answer.delay_ms);
      timers.add(t);
    });
  });
  const { url, close } = await listenLoopback(server, () => {
    for (const t of timers) clearTimeout(t);
  });
  return { url, close };
}

// Webhook secret rotation: which secrets sign an attempt when, the request a rotating channel builds, and the body's bounds.
import { describe, expect, it } from "vitest";
import { toIssues } from "../../../contract/index.ts";
import { CHANNELS, type Channel } from "./channels/index.ts";
import { DOWN, DOWN_BODIES, DOWN_HEADERS, SECRET, SENT_AT } from "./channels/testdata.ts";
import { DEFAULT_GRACE_S, MAX_GRACE_S, RotateSecretInput, rotated, rotationAt, signingSecrets } from "./secret-rotation.ts";

const NEW = "whsec_YSBzZWNvbmQgc2VjcmV0OiAzMiBieXRlcyBsb25nISE=";
const T = 1_764_216_000_000;

const channel = (extra: Partial<Channel> = {}): Channel => ({
  id: "hook",
  name: "hook",
  kind: "webhook",
  url: "https://hooks.example.net/in",
  secret: SECRET,
  rotation: null,
  options: {},
  monitors: [],
  events: ["down"],
  enabled: true,
  disabled_reason: null,
  created_at: 0,
  updated_at: 0,
  ...extra,
});

describe("rotated", () => {
  it("keeps the replaced secret for the grace period, or not at all with 0", () => {
    expect(rotated(SECRET, NEW, 90, T)).toEqual({ secret: NEW, rotation: { previous: SECRET, until: T + 90_000 } });
    expect(rotated(SECRET, NEW, 0, T)).toEqual({ secret: NEW, rotation: null });
  });
});

describe("signingSecrets", () => {
  const rotating = channel({ ...rotated(SECRET, NEW, 60, T) });

  it("is the new secret, then the replaced one, until the grace ends; then only the new", () => {
    expect(signingSecrets(rotating, T)).toEqual([NEW, SECRET]);
    expect(signingSecrets(rotating, T + 59_999)).toEqual([NEW, SECRET]);
    expect(signingSecrets(rotating, T + 60_000)).toEqual([NEW]);
    expect(rotationAt(rotating, T + 59_999)).toEqual({ previous: SECRET, until: T + 60_000 });
    expect(rotationAt(rotating, T + 60_000)).toBeNull();
  });

  it("is the one secret without a rotation, and nothing for a kind without one", () => {
    expect(signingSecrets(channel(), T)).toEqual([SECRET]);
    expect(signingSecrets(channel({ kind: "slack", secret: null }), T)).toBeNull();
  });

  it("a rotation during another's grace drops the oldest secret: never more than two", () => {
    const third = `whsec_${btoa("a third secret, also 32 bytes!!!")}`;
    const again = channel(rotated(NEW, third, 60, T + 1000));
    expect(signingSecrets(again, T + 2000)).toEqual([third, NEW]);
  });
});

describe("a rotating webhook channel's request", () => {
  it("carries the new secret's signature, then the old one's, byte for byte; after the grace only the new", async () => {
    // The second signature is HMAC-SHA256 of DOWN's id, SENT_AT's seconds and body under NEW, computed apart with node:crypto.
    const ch = channel({ secret: NEW, rotation: { previous: SECRET, until: SENT_AT + 1 } });
    const during = await CHANNELS.webhook.build(DOWN, ch, SENT_AT);
    expect(during.body).toBe(DOWN_BODIES.webhook);
    expect(during.headers["webhook-signature"]).toBe(
      `v1,9Ts32ZF7qmvCReT/lp2V0XgkIwc2UI2fDMgzaSzr0gI= ${DOWN_HEADERS.webhook["webhook-signature"]}`,
    );
    const after = await CHANNELS.webhook.build(DOWN, { ...ch, rotation: { previous: SECRET, until: SENT_AT } }, SENT_AT);
    expect(after.headers["webhook-signature"]).toBe("v1,9Ts32ZF7qmvCReT/lp2V0XgkIwc2UI2fDMgzaSzr0gI=");
  });
});

describe("RotateSecretInput", () => {
  it("defaults to a day's grace and a generated secret", () => {
    expect(RotateSecretInput.parse({})).toEqual({ grace_s: DEFAULT_GRACE_S });
    expect(DEFAULT_GRACE_S).toBe(86_400);
    expect(RotateSecretInput.parse({ grace_s: MAX_GRACE_S, secret: NEW })).toEqual({ grace_s: 2_592_000, secret: NEW });
  });

  it("names the field of each bad value", () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [{ grace_s: -1 }, "grace_s", /at least 0/],
      [{ grace_s: MAX_GRACE_S + 1 }, "grace_s", /at most 2592000 \(30 days\)/],
      [{ grace_s: 1.5 }, "grace_s", /whole number/],
      [{ grace_s: "1h" }, "grace_s", /number of seconds/],
      [{ secret: "hunter2" }, "secret", /whsec_/],
      [{ grace: 60 }, "grace", /not a known field/],
    ];
    for (const [body, path, message] of cases) {
      const r = RotateSecretInput.safeParse(body);
      expect(r.success, JSON.stringify(body)).toBe(false);
      const issues = toIssues(r.error!);
      expect(
        issues.map((i) => i.path),
        JSON.stringify(body),
      ).toEqual([path]);
      expect(issues[0]!.message, JSON.stringify(body)).toMatch(message);
    }
  });
});

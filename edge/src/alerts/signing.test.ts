// Standard Webhooks signing: the spec's own example vector, secret format and generation.
import { describe, expect, it } from "vitest";
import { SECRET_PREFIX, newWebhookSecret, secretKey, sign, signatureHeaders } from "./signing.ts";

describe("webhook signing", () => {
  it("matches the Standard Webhooks example", async () => {
    // From the spec's README: secret, msg id, timestamp and payload, and the signature they give.
    expect(await sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}')).toBe(
      "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    );
  });

  it("puts the attempt's time in seconds in the headers", async () => {
    const h = await signatureHeaders(
      ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
      "msg_p5jXN8AQM9LWM0D4loKWxJek",
      1614265330_999,
      '{"test": 2432232314}',
    );
    expect(h).toEqual({
      "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
      "webhook-timestamp": "1614265330",
      "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    });
  });

  it("signs with every secret given, space-separated in that order, during a rotation", async () => {
    // The second value is HMAC-SHA256 computed apart (node:crypto) for the second secret; the first is the spec's.
    const h = await signatureHeaders(
      ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_YSBzZWNvbmQgc2VjcmV0OiAzMiBieXRlcyBsb25nISE="],
      "msg_p5jXN8AQM9LWM0D4loKWxJek",
      1614265330_000,
      '{"test": 2432232314}',
    );
    expect(h).toEqual({
      "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
      "webhook-timestamp": "1614265330",
      "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1,3WrASxj1yVkebQn4S9oGQ8sLuRkMdlHJs10HE4ApPjE=",
    });
  });

  it("generates whsec_ secrets of 32 random bytes, each different", () => {
    const a = newWebhookSecret();
    const b = newWebhookSecret();
    expect(a.startsWith(SECRET_PREFIX)).toBe(true);
    expect(secretKey(a)).toHaveLength(32);
    expect(a).not.toBe(b);
  });

  it("accepts 24 to 64 byte keys in base64 after whsec_, nothing else", () => {
    const b64 = (n: number) => btoa(String.fromCharCode(...new Uint8Array(n).fill(7)));
    expect(secretKey(`whsec_${b64(24)}`)).toHaveLength(24);
    expect(secretKey(`whsec_${b64(64)}`)).toHaveLength(64);
    expect(secretKey(`whsec_${b64(23)}`)).toBeNull();
    expect(secretKey(`whsec_${b64(65)}`)).toBeNull();
    expect(secretKey(b64(32))).toBeNull();
    expect(secretKey("whsec_not base64!")).toBeNull();
  });
});

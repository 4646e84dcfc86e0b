// The key an on-call or chat service is called with (a routing key, an API key), kept in the channel's secret.
import { z } from "zod";

/** A key as the services issue them: printable ASCII, no spaces (it travels in a header, a URL path or JSON). */
export const ChannelKey = z
  .string()
  .min(1, "must not be empty")
  .max(256, "must be at most 256 characters")
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");

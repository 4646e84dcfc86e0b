-- Webhook secret rotation (issue 15): while a rotation's grace period lasts, a webhook channel signs
-- each delivery with its new secret and with the one it replaced (two signatures in
-- `webhook-signature`, as Standard Webhooks prescribes), so receivers switch keys at their own pace.
-- Both columns are set together or not at all (edge/src/db/channels.ts). This file is never edited
-- once landed.

ALTER TABLE channels ADD COLUMN previous_secret TEXT;    -- the secret the last rotation replaced (whsec_…); never returned by the API
ALTER TABLE channels ADD COLUMN previous_until INTEGER;  -- epoch ms: deliveries sent before this are signed with previous_secret too

-- Channel options (issue 17): a kind's own settings that are not secret, e.g. a Telegram chat id or an
-- email's addresses, shown by the API as they are (the kind's key stays in `secret`, never shown).
-- The registry (edge/src/alerts/channels) names each kind's options. This file is never edited once landed.

ALTER TABLE channels ADD COLUMN options TEXT NOT NULL DEFAULT '{}';  -- JSON object of strings

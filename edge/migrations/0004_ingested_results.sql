-- Result ids already ingested from agents, so a retried batch is recognised and stored once.
-- Trimmed by age; a retry older than the retention would be stored again (idempotently in InfluxDB).
CREATE TABLE ingested_results (
  id           TEXT PRIMARY KEY,
  monitor      TEXT NOT NULL,
  received_at  INTEGER NOT NULL
);
CREATE INDEX ingested_results_age ON ingested_results (received_at);

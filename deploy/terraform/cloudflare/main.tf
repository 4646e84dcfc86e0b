# What wrangler cannot create before its first deploy, and what it should not own: the D1 database, the
# checks queue and its dead-letter queue, the Worker's custom domain, and the API's rate limit.
#
# Ownership, so that nothing is declared twice and two tools never fight over one object:
# - Terraform: the D1 database, both queues, the custom domain, the http_ratelimit ruleset.
# - wrangler (wrangler.toml, `npm run deploy`): the Worker script and its assets, its bindings, its cron
#   triggers, its secrets, and the queue consumers. A consumer's batch size, timeout, retries and
#   dead-letter queue are the script's own settings (wrangler.toml's `[[queues.consumers]]`); wrangler
#   rewrites them on every deploy, so a cloudflare_queue_consumer here would be reverted by each deploy
#   and revert it in turn. That is why this stack has no cloudflare_queue_consumer,
#   cloudflare_workers_script or cloudflare_workers_cron_trigger.

resource "cloudflare_d1_database" "uptime" {
  account_id            = var.account_id
  name                  = var.d1_database_name
  primary_location_hint = var.d1_primary_location_hint

  # Replacing the database loses every monitor, result and incident: a rename or a new location hint
  # must be a deliberate migration (export, new database, import), not a side effect of an apply.
  lifecycle {
    prevent_destroy = true
  }
}

resource "cloudflare_queue" "checks" {
  account_id = var.account_id
  queue_name = var.checks_queue_name
}

# A batch the consumer fails max_retries times lands here instead of being dropped; the Worker consumes
# this queue too (its own consumer in wrangler.toml), logging and counting each dead batch.
resource "cloudflare_queue" "dead_letter" {
  account_id = var.account_id
  queue_name = var.dead_letter_queue_name

  settings = {
    message_retention_period = var.dead_letter_retention_seconds
  }
}

# The Worker on its own hostname (DNS record and certificate included). Needs the Worker script to
# exist: on an empty account apply the D1 database and queues first, deploy, then apply the rest
# (README.md, "First apply"; the deploy workflow does the same).
resource "cloudflare_workers_custom_domain" "edge" {
  account_id = var.account_id
  zone_id    = var.zone_id
  hostname   = var.worker_hostname
  service    = var.worker_name
}

# The zone's entry point for the http_ratelimit phase: there is one per zone, so applying this replaces
# any rate-limiting rules made in the dashboard (README.md says how to import or move them first).
resource "cloudflare_ruleset" "api_ratelimit" {
  zone_id     = var.zone_id
  name        = "infra-uptime-monitor API rate limit"
  description = "Per-client-IP request limits in front of the uptime monitor's API"
  kind        = "zone"
  phase       = "http_ratelimit"

  rules = local.ratelimit_rules
}

# What `npm run deploy` (scripts/deploy.mjs) reads with `terraform output -json` and writes into the wrangler
# config it deploys with.

output "d1_database_id" {
  description = "The D1 database's id: wrangler's d1_databases[].database_id."
  value       = cloudflare_d1_database.uptime.id
}

output "d1_database_name" {
  description = "The D1 database's name: wrangler's d1_databases[].database_name."
  value       = cloudflare_d1_database.uptime.name
}

output "checks_queue_name" {
  description = "The checks queue: wrangler's queues.producers[].queue and queues.consumers[].queue."
  value       = cloudflare_queue.checks.queue_name
}

output "dead_letter_queue_name" {
  description = "The dead-letter queue: wrangler's queues.consumers[].dead_letter_queue."
  value       = cloudflare_queue.dead_letter.queue_name
}

output "worker_name" {
  description = "The Worker script the custom domain routes to: wrangler's name."
  value       = var.worker_name
}

# From the variable, not the custom domain resource: these exist after the first, targeted apply too,
# before the Worker (and so its custom domain) does.
output "worker_hostname" {
  description = "The hostname the Worker answers on (its custom domain)."
  value       = var.worker_hostname
}

output "worker_url" {
  description = "The edge's base URL: the agents' EDGE_URL and the status page."
  value       = "https://${var.worker_hostname}"
}

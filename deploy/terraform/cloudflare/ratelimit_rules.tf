# The API's rate-limiting rules as plain values, no resource: main.tf's ruleset takes them, and the tests
# evaluate them with `terraform console` without the Cloudflare provider.

locals {
  path_is_api = "starts_with(http.request.uri.path, \"${var.api_path_prefix}\")"
  host_scope  = var.ratelimit_match_hostname ? "http.host eq \"${var.worker_hostname}\" and " : ""
  path_is_agent = length(var.agent_path_prefixes) == 0 ? "false" : join(" or ", [
    for p in var.agent_path_prefixes : "starts_with(http.request.uri.path, \"${p}\")"
  ])

  # cf.colo.id is mandatory on every plan below Enterprise: counters are per data centre, then per client IP.
  ratelimit_characteristics = ["cf.colo.id", "ip.src"]

  api_rule = {
    ref         = "api_per_ip"
    description = "API requests per client IP (agent calls excepted)"
    expression  = "(${local.host_scope}${local.path_is_api} and not (${local.path_is_agent}))"
    action      = "block"
    enabled     = true
    ratelimit = {
      characteristics     = local.ratelimit_characteristics
      period              = var.api_ratelimit_period
      requests_per_period = var.api_requests_per_period
      mitigation_timeout  = var.api_ratelimit_block_seconds
    }
  }

  agent_rule = {
    ref         = "agents_per_ip"
    description = "Agent API calls per client IP (agents behind one NAT share it)"
    expression  = "(${local.host_scope}(${local.path_is_agent}))"
    action      = "block"
    enabled     = true
    ratelimit = {
      characteristics     = local.ratelimit_characteristics
      period              = var.api_ratelimit_period
      requests_per_period = var.agent_requests_per_period
      mitigation_timeout  = var.api_ratelimit_block_seconds
    }
  }

  # The API's rule always; the agents' own rule only when it has a limit.
  ratelimit_rules = concat(
    [local.api_rule],
    var.agent_requests_per_period > 0 && length(var.agent_path_prefixes) > 0 ? [local.agent_rule] : [],
  )
}

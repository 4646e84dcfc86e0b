# Inputs of the Cloudflare stack. Names of the Worker, the database and the queues default to wrangler.toml's;
# the deploy step reads them back from this stack's outputs, so a second installation can rename them here.

variable "account_id" {
  description = "Cloudflare account id (32 hex characters) that owns the Worker, D1 and the queues."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{32}$", var.account_id))
    error_message = "account_id must be 32 lower-case hex characters."
  }
}

variable "zone_id" {
  description = "Id of the zone (32 hex characters) that holds worker_hostname; the rate-limiting ruleset is the zone's."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{32}$", var.zone_id))
    error_message = "zone_id must be 32 lower-case hex characters."
  }
}

variable "worker_hostname" {
  description = "Hostname the Worker answers on (the zone's apex or a name under it); the agents' EDGE_URL and the status page's address."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.worker_hostname))
    error_message = "worker_hostname must be a lower-case DNS name without scheme or path."
  }
}

variable "worker_name" {
  description = "Name of the Worker script; wrangler uploads it under wrangler.toml's `name`, which this must equal."
  type        = string
  default     = "infra-uptime-monitor"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,62}$", var.worker_name))
    error_message = "worker_name must be lower-case letters, digits and hyphens."
  }
}

variable "d1_database_name" {
  description = "Name of the D1 database (wrangler.toml's `database_name`)."
  type        = string
  default     = "uptime"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_-]{0,63}$", var.d1_database_name))
    error_message = "d1_database_name must be lower-case letters, digits, hyphens and underscores."
  }
}

variable "d1_primary_location_hint" {
  description = "Region to place the D1 primary in (wnam, enam, weur, eeur, apac, oc); null lets Cloudflare choose near the creator. Changing it replaces the database."
  type        = string
  default     = null

  validation {
    condition     = var.d1_primary_location_hint == null || contains(["wnam", "enam", "weur", "eeur", "apac", "oc"], coalesce(var.d1_primary_location_hint, "-"))
    error_message = "d1_primary_location_hint must be one of wnam, enam, weur, eeur, apac, oc, or null."
  }
}

variable "checks_queue_name" {
  description = "Queue the scheduler fans due checks out through (wrangler.toml's producer and consumer `queue`)."
  type        = string
  default     = "uptime-checks"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,62}$", var.checks_queue_name))
    error_message = "checks_queue_name must be lower-case letters, digits and hyphens."
  }
}

variable "dead_letter_queue_name" {
  description = "Queue that receives the checks queue's messages after their last retry (wrangler.toml's consumer `dead_letter_queue`). It must end in -dlq: the Worker consumes both queues and tells them apart by that suffix."
  type        = string
  default     = "uptime-checks-dlq"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,58}-dlq$", var.dead_letter_queue_name))
    error_message = "dead_letter_queue_name must be lower-case letters, digits and hyphens, ending in -dlq."
  }
}

variable "dead_letter_retention_seconds" {
  description = "How long a dead-lettered message is kept for inspection (queue message retention, 60 s to 14 days)."
  type        = number
  default     = 1209600

  validation {
    condition     = var.dead_letter_retention_seconds >= 60 && var.dead_letter_retention_seconds <= 1209600
    error_message = "dead_letter_retention_seconds must be between 60 and 1209600 (14 days)."
  }
}

variable "api_path_prefix" {
  description = "Path prefix the rate limit applies to: the Worker's API."
  type        = string
  default     = "/api/"

  validation {
    condition     = can(regex("^/[A-Za-z0-9/_-]*$", var.api_path_prefix))
    error_message = "api_path_prefix must be a path starting with /."
  }
}

variable "api_requests_per_period" {
  description = "Requests one client IP may make to the API (agent paths excepted) per api_ratelimit_period before it is blocked."
  type        = number
  default     = 50

  validation {
    condition     = var.api_requests_per_period >= 1 && floor(var.api_requests_per_period) == var.api_requests_per_period
    error_message = "api_requests_per_period must be a whole number, at least 1."
  }
}

variable "api_ratelimit_period" {
  description = "Counting period of the rate limit, in seconds. Cloudflare's Free plan accepts only 10; paid plans also 60, 120, 300, 600 and 3600 (Enterprise)."
  type        = number
  default     = 10

  validation {
    condition     = contains([10, 60, 120, 300, 600, 3600], var.api_ratelimit_period)
    error_message = "api_ratelimit_period must be one of 10, 60, 120, 300, 600, 3600."
  }
}

variable "api_ratelimit_block_seconds" {
  description = "How long a client that went over the limit stays blocked, in seconds (the Free plan accepts only 10)."
  type        = number
  default     = 10

  validation {
    condition     = contains([10, 60, 120, 300, 600, 3600, 86400], var.api_ratelimit_block_seconds)
    error_message = "api_ratelimit_block_seconds must be one of 10, 60, 120, 300, 600, 3600, 86400."
  }
}

variable "agent_path_prefixes" {
  description = "Path prefixes of the API calls probe agents make (results, their assignments). Agents behind one NAT share a client IP, so these are counted by their own rule (agent_requests_per_period), not the API's."
  type        = list(string)
  default     = ["/api/v1/results", "/api/v1/agents/me/"]

  validation {
    condition     = alltrue([for p in var.agent_path_prefixes : can(regex("^/[A-Za-z0-9/_-]*$", p))])
    error_message = "agent_path_prefixes must be paths starting with /."
  }
}

variable "agent_requests_per_period" {
  description = "Requests one client IP may make to agent_path_prefixes per api_ratelimit_period; 0 leaves them to the Worker's own token check and limits (the Free plan allows a single rate-limiting rule)."
  type        = number
  default     = 0

  validation {
    condition     = var.agent_requests_per_period >= 0 && floor(var.agent_requests_per_period) == var.agent_requests_per_period
    error_message = "agent_requests_per_period must be a whole number, 0 or more."
  }
}

variable "ratelimit_match_hostname" {
  description = "Limit only requests to worker_hostname rather than the API paths of every hostname in the zone. Needs a plan whose rate-limiting expressions may use the host (Pro or higher); the Free plan matches on the path only."
  type        = bool
  default     = false
}

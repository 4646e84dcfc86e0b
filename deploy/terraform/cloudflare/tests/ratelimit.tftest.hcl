# `terraform test`: the API's rate-limiting rules as Terraform evaluates them from the variables, against a
# mocked Cloudflare provider. It reads only variables and locals, so test/deploy-terraform.test.ts also runs
# it offline on a copy holding just variables.tf and ratelimit_rules.tf.

mock_provider "cloudflare" {}

variables {
  account_id      = "0123456789abcdef0123456789abcdef"
  zone_id         = "fedcba9876543210fedcba9876543210"
  worker_hostname = "uptime.example.org"
}

run "api_rule_by_default" {
  command = plan

  assert {
    condition     = length(local.ratelimit_rules) == 1
    error_message = "by default there is one rule (the Free plan allows one)"
  }

  assert {
    condition     = local.ratelimit_rules[0].expression == "(starts_with(http.request.uri.path, \"/api/\") and not (starts_with(http.request.uri.path, \"/api/v1/results\") or starts_with(http.request.uri.path, \"/api/v1/agents/me/\")))"
    error_message = "the API rule must match the API path prefix, agent calls excepted"
  }

  assert {
    condition = local.ratelimit_rules[0].action == "block" && local.ratelimit_rules[0].ratelimit == {
      characteristics     = ["cf.colo.id", "ip.src"]
      period              = 10
      requests_per_period = 50
      mitigation_timeout  = 10
    }
    error_message = "the API rule must count per data centre and client IP, with the variables' period, limit and block time"
  }
}

run "agent_rule_when_limited" {
  command = plan

  variables {
    agent_requests_per_period = 600
    api_requests_per_period   = 100
    api_ratelimit_period      = 60
    ratelimit_match_hostname  = true
  }

  assert {
    condition     = [for r in local.ratelimit_rules : r.ref] == ["api_per_ip", "agents_per_ip"]
    error_message = "a limit for agents adds their own rule after the API's"
  }

  assert {
    condition     = local.ratelimit_rules[1].expression == "(http.host eq \"uptime.example.org\" and (starts_with(http.request.uri.path, \"/api/v1/results\") or starts_with(http.request.uri.path, \"/api/v1/agents/me/\")))"
    error_message = "the agents' rule must match their paths on worker_hostname"
  }

  assert {
    condition     = [for r in local.ratelimit_rules : r.ratelimit.requests_per_period] == [100, 600] && alltrue([for r in local.ratelimit_rules : r.ratelimit.period == 60])
    error_message = "each rule must take its own limit and the shared period"
  }
}

run "rejects_a_period_cloudflare_does_not_offer" {
  command = plan

  variables {
    api_ratelimit_period = 30
  }

  expect_failures = [var.api_ratelimit_period]
}

run "rejects_a_malformed_account_id" {
  command = plan

  variables {
    account_id = "my-account"
  }

  expect_failures = [var.account_id]
}

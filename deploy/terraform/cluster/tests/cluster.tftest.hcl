# `terraform test`: runs the stack against a mocked AWS provider (no account, no network, nothing created) and
# checks the cluster's protections and the External Secrets role as Terraform evaluates them.

mock_provider "aws" {
  mock_data "aws_availability_zones" {
    defaults = {
      names = ["xx-test-1a", "xx-test-1b", "xx-test-1c"]
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition          = "aws"
      dns_suffix         = "partition.test"
      reverse_dns_prefix = "test.partition"
    }
  }
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "000000000000"
    }
  }
  # ARNs the provider's own validation accepts where one resource's ARN feeds another.
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::000000000000:role/mocked"
    }
  }
  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:xx-test-1:000000000000:key/00000000-0000-0000-0000-000000000000"
    }
  }
  mock_resource "aws_iam_openid_connect_provider" {
    defaults = {
      arn = "arn:aws:iam::000000000000:oidc-provider/oidc.issuer.test/id/0000"
    }
  }
  mock_resource "aws_launch_template" {
    defaults = {
      id             = "lt-0123456789abcdef0"
      latest_version = 1
    }
  }
  mock_resource "aws_eks_cluster" {
    defaults = {
      identity              = [{ oidc = [{ issuer = "https://oidc.issuer.test/id/0000" }] }]
      certificate_authority = [{ data = "bW9jaw==" }]
    }
  }
}

variables {
  region = "xx-test-1"
}

run "cluster_and_identities" {
  # apply against the mock: the OIDC provider's ARN and the cluster's issuer are known only after "creation".
  command = apply

  assert {
    condition     = aws_eks_cluster.this.vpc_config[0].endpoint_private_access && !aws_eks_cluster.this.vpc_config[0].endpoint_public_access
    error_message = "the Kubernetes API must be private by default"
  }

  assert {
    condition     = one(aws_eks_cluster.this.encryption_config).resources == toset(["secrets"]) && one(one(aws_eks_cluster.this.encryption_config).provider).key_arn == aws_kms_key.secrets.arn
    error_message = "Kubernetes Secrets must be envelope-encrypted with the stack's KMS key"
  }

  assert {
    condition     = toset(aws_eks_cluster.this.enabled_cluster_log_types) == toset(["api", "audit", "authenticator"])
    error_message = "control-plane logs must be on"
  }

  assert {
    condition     = length(aws_subnet.private) == 2 && length(distinct(aws_subnet.private[*].availability_zone)) == 2
    error_message = "the private subnets must span two availability zones"
  }

  assert {
    condition     = one(aws_launch_template.node.metadata_options).http_tokens == "required" && one(aws_launch_template.node.metadata_options).http_put_response_hop_limit == 1
    error_message = "nodes must require IMDSv2 with a hop limit of 1"
  }

  assert {
    condition     = aws_launch_template.node.vpc_security_group_ids == toset([aws_security_group.node.id])
    error_message = "nodes must carry only the agents' security group"
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.external_secrets.policy).Statement == [{
      Sid      = "ReadAgentSecrets"
      Effect   = "Allow"
      Action   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
      Resource = "arn:aws:secretsmanager:xx-test-1:000000000000:secret:uptime/agents/*"
    }]
    error_message = "the External Secrets role may only read and describe secrets under agent_secrets_prefix"
  }

  assert {
    condition = jsondecode(aws_iam_role.external_secrets.assume_role_policy).Statement[0].Condition.StringEquals == {
      "oidc.issuer.test/id/0000:sub" = "system:serviceaccount:uptime-agents:uptime-agent-secrets"
      "oidc.issuer.test/id/0000:aud" = "sts.partition.test"
    }
    error_message = "only the External Secrets service account may assume its role"
  }
}

run "public_endpoint_needs_cidrs" {
  command = plan

  variables {
    endpoint_public_access = true
  }

  expect_failures = [var.public_access_cidrs]
}

run "nat_per_zone" {
  command = plan

  variables {
    nat_gateway_mode = "per_az"
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 2 && length(aws_route_table.private) == 2 && length(aws_subnet.public) == 2
    error_message = "per_az must give each zone its own NAT gateway and route table"
  }
}

run "no_nat" {
  command = plan

  variables {
    nat_gateway_mode = "none"
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 0 && length(aws_internet_gateway.this) == 0 && length(aws_subnet.public) == 0
    error_message = "none must create no public subnet, internet gateway or NAT gateway"
  }
}

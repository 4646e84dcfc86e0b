# The probe agents' EKS cluster, in its own VPC, with security groups as the firewall (see README.md).
terraform {
  # 1.10: the S3 backend's lock file (use_lockfile) replaces the deprecated DynamoDB table.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60, < 7.0"
    }
  }

  # Partial configuration: only what is the same for every installation is committed; the bucket and its
  # region come from `terraform init -backend-config=backend.hcl` (backend.hcl.example; the bootstrap
  # stack prints one as its backend_config output). No `encrypt` or KMS key here: the state objects take
  # the bucket's default encryption, which the bootstrap stack sets (SSE-KMS with its key, or SSE-S3).
  backend "s3" {
    key          = "infra-uptime-monitor/cluster.tfstate"
    use_lockfile = true
  }
}

# Credentials come from the environment (a profile, SSO, or CI's OIDC role), never from variables.
provider "aws" {
  region = var.region

  default_tags {
    tags = merge({ "app" = "infra-uptime-monitor", "stack" = "cluster", "managed-by" = "terraform" }, var.tags)
  }
}

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

data "aws_availability_zones" "available" {
  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

data "aws_service_principal" "eks" {
  service_name = "eks"
}

data "aws_service_principal" "ec2" {
  service_name = "ec2"
}

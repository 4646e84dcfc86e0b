# The state bucket's stack: the one stack that keeps its state locally (see README.md, "Bootstrap").
terraform {
  # 1.10 is the first release whose S3 backend locks with a lock file (use_lockfile), which the
  # other stacks rely on; requiring it here keeps one Terraform version for all three.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60, < 7.0"
    }
  }

  # No backend block on purpose: this stack creates the bucket every other stack keeps its state
  # in, so its own state cannot live there before it exists (chicken and egg). Its local
  # terraform.tfstate holds no secret (bucket and key names, ARNs); keep it with the operator's
  # records, or move it into the bucket afterwards with `terraform init -migrate-state` once a
  # backend block is added (README.md explains both).
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge({ "app" = "infra-uptime-monitor", "stack" = "bootstrap", "managed-by" = "terraform" }, var.tags)
  }
}

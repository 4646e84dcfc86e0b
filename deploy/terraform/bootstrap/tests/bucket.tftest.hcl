# `terraform test`: runs the stack against a mocked AWS provider (no account, no network, nothing created)
# and checks the bucket's protections as Terraform evaluates them, variables applied.

mock_provider "aws" {}

variables {
  region            = "eu-west-1"
  state_bucket_name = "example-uptime-tfstate"
}

run "defaults" {
  # apply against the mock: the policy names the bucket's ARN, known only after "creation".
  command = apply

  assert {
    condition     = aws_s3_bucket_versioning.state.versioning_configuration[0].status == "Enabled"
    error_message = "the state bucket must be versioned"
  }

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.state.block_public_acls,
      aws_s3_bucket_public_access_block.state.block_public_policy,
      aws_s3_bucket_public_access_block.state.ignore_public_acls,
      aws_s3_bucket_public_access_block.state.restrict_public_buckets,
    ])
    error_message = "all four public access blocks must be on"
  }

  assert {
    condition     = aws_s3_bucket_ownership_controls.state.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must be disabled (BucketOwnerEnforced)"
  }

  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.state.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms"
    error_message = "the default encryption must be aws:kms"
  }

  assert {
    condition     = length(aws_kms_key.state) == 1 && aws_kms_key.state[0].enable_key_rotation
    error_message = "aws:kms without kms_key_arn must create a key with rotation"
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_s3_bucket_policy.state.policy).Statement :
      s.Effect == "Deny" && s.Principal == "*" && s.Action == "s3:*" && s.Condition.Bool["aws:SecureTransport"] == "false"
    ])
    error_message = "the bucket policy must deny every request not made over TLS"
  }

  assert {
    condition     = one(aws_s3_bucket_lifecycle_configuration.state.rule).noncurrent_version_expiration[0].noncurrent_days == 90
    error_message = "overwritten state versions must expire after noncurrent_version_retention_days"
  }

  assert {
    condition     = output.backend_config == "bucket = \"example-uptime-tfstate\"\nregion = \"eu-west-1\"\n"
    error_message = "the backend snippet must name the bucket and its region, and nothing account-specific beyond them"
  }
}

run "aes256" {
  command = plan

  variables {
    sse_algorithm = "AES256"
  }

  assert {
    condition     = length(aws_kms_key.state) == 0 && output.kms_key_arn == null
    error_message = "AES256 must not create a KMS key"
  }

  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.state.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "AES256"
    error_message = "sse_algorithm must reach the bucket's encryption"
  }
}

run "rejects_unknown_encryption" {
  command = plan

  variables {
    sse_algorithm = "none"
  }

  expect_failures = [var.sse_algorithm]
}

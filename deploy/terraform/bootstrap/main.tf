# The S3 bucket the other stacks keep their state in: versioned, encrypted, private, TLS only.

locals {
  create_kms_key = var.sse_algorithm == "aws:kms" && var.kms_key_arn == null
  kms_key_arn    = var.sse_algorithm != "aws:kms" ? null : (local.create_kms_key ? aws_kms_key.state[0].arn : var.kms_key_arn)
}

resource "aws_kms_key" "state" {
  count = local.create_kms_key ? 1 : 0

  description             = "Terraform state of infra-uptime-monitor (${var.state_bucket_name})"
  enable_key_rotation     = true
  deletion_window_in_days = 30
}

resource "aws_kms_alias" "state" {
  count = local.create_kms_key ? 1 : 0

  name          = "alias/${var.state_bucket_name}"
  target_key_id = aws_kms_key.state[0].key_id
}

resource "aws_s3_bucket" "state" {
  bucket = var.state_bucket_name

  # Losing the bucket loses every stack's state: with force_destroy off, S3 refuses to delete it while
  # it holds any object version, so `terraform destroy` here fails until someone empties it by hand.
  force_destroy = false
}

resource "aws_s3_bucket_ownership_controls" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    # ACLs off: access is decided by IAM and the bucket policy only.
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket = aws_s3_bucket.state.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.sse_algorithm
      kms_master_key_id = local.kms_key_arn
    }
    # One data key per bucket rather than per object: fewer KMS calls, same protection.
    bucket_key_enabled = var.sse_algorithm == "aws:kms"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  # Versioning must be on before noncurrent-version rules mean anything.
  depends_on = [aws_s3_bucket_versioning.state]

  rule {
    id     = "expire-old-state-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days           = var.noncurrent_version_retention_days
      newer_noncurrent_versions = var.noncurrent_versions_kept
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

resource "aws_s3_bucket_policy" "state" {
  bucket = aws_s3_bucket.state.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  # A bucket policy is refused while the public access block is being set up on a new bucket.
  depends_on = [aws_s3_bucket_public_access_block.state]
}

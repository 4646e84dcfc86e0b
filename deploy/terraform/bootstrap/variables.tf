# Inputs of the state bucket's stack.

variable "region" {
  description = "AWS region of the state bucket (the other stacks' backend config names the same region)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "state_bucket_name" {
  description = "Name of the S3 bucket that holds the Terraform state of the cloudflare and cluster stacks. Bucket names are global: include something unique to the organisation."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name)) && !can(regex("\\.\\.|^\\d+\\.\\d+\\.\\d+\\.\\d+$", var.state_bucket_name))
    error_message = "state_bucket_name must be a valid S3 bucket name: 3-63 characters, lower-case letters, digits, dots and hyphens, not an IP address."
  }
}

variable "sse_algorithm" {
  description = "Server-side encryption of the state objects: aws:kms (a dedicated customer-managed key with rotation, created here unless kms_key_arn is given) or AES256 (S3-managed keys)."
  type        = string
  default     = "aws:kms"

  validation {
    condition     = contains(["aws:kms", "AES256"], var.sse_algorithm)
    error_message = "sse_algorithm must be aws:kms or AES256."
  }
}

variable "kms_key_arn" {
  description = "An existing KMS key to encrypt the state with when sse_algorithm is aws:kms; null creates a dedicated key."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:[a-z-]+:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "noncurrent_version_retention_days" {
  description = "Days an overwritten state version is kept before it expires (the history to roll back to)."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_retention_days >= 1 && floor(var.noncurrent_version_retention_days) == var.noncurrent_version_retention_days
    error_message = "noncurrent_version_retention_days must be a whole number of days, at least 1."
  }
}

variable "noncurrent_versions_kept" {
  description = "Newest overwritten versions of each state file kept regardless of age."
  type        = number
  default     = 10

  validation {
    condition     = var.noncurrent_versions_kept >= 1 && var.noncurrent_versions_kept <= 100
    error_message = "noncurrent_versions_kept must be between 1 and 100."
  }
}

variable "tags" {
  description = "Extra tags on every resource of this stack."
  type        = map(string)
  default     = {}
}

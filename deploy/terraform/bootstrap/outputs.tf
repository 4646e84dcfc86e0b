# What the other stacks' backend configuration needs.

output "state_bucket_name" {
  description = "The state bucket: `bucket` in each stack's backend.hcl."
  value       = aws_s3_bucket.state.bucket
}

output "state_bucket_arn" {
  description = "The state bucket's ARN, for the IAM policy of whoever runs the other stacks (CI's deploy role)."
  value       = aws_s3_bucket.state.arn
}

output "state_bucket_region" {
  description = "The state bucket's region: `region` in each stack's backend.hcl."
  value       = var.region
}

output "kms_key_arn" {
  description = "The KMS key encrypting the state (null with AES256); the deploy role needs kms:Encrypt, kms:Decrypt and kms:GenerateDataKey on it."
  value       = local.kms_key_arn
}

output "backend_config" {
  description = "A backend.hcl for the cloudflare and cluster stacks (bucket and region; the objects take the bucket's default encryption): save it as backend.hcl in each stack's folder and run `terraform init -backend-config=backend.hcl`."
  value       = "bucket = \"${aws_s3_bucket.state.bucket}\"\nregion = \"${var.region}\"\n"
}

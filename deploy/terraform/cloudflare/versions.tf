# The edge's Cloudflare resources: D1, the queues, the custom domain and the API's rate limit (see README.md).
terraform {
  # 1.10: the S3 backend's lock file (use_lockfile) replaces the deprecated DynamoDB table.
  required_version = ">= 1.10"

  required_providers {
    cloudflare = {
      source  = "cloudflare/cloudflare"
      version = "~> 5.0"
    }
  }

  # Partial configuration: only what is the same for every installation is committed; the bucket and its
  # region come from `terraform init -backend-config=backend.hcl` (backend.hcl.example; the bootstrap
  # stack prints one as its backend_config output). No `encrypt` or KMS key here: the state objects take
  # the bucket's default encryption, which the bootstrap stack sets (SSE-KMS with its key, or SSE-S3).
  backend "s3" {
    key          = "infra-uptime-monitor/cloudflare.tfstate"
    use_lockfile = true
  }
}

# The API token is read from CLOUDFLARE_API_TOKEN in the environment, never from a variable, so it is
# neither in a tfvars file nor in the state (README.md lists the permissions it needs).
provider "cloudflare" {}

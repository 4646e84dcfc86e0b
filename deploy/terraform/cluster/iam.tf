# Workload identities (IRSA): the cluster's OIDC issuer, and the roles that service accounts assume with it.

resource "aws_iam_openid_connect_provider" "cluster" {
  url            = aws_eks_cluster.this.identity[0].oidc[0].issuer
  client_id_list = ["sts.${data.aws_partition.current.dns_suffix}"]
  # No thumbprint_list: IAM trusts the issuer's certificate through its own root CAs for EKS issuers.
}

locals {
  oidc_issuer = replace(aws_iam_openid_connect_provider.cluster.url, "https://", "")
}

# The role one Kubernetes service account may assume, and nobody else.
locals {
  irsa = {
    external_secrets = { namespace = var.external_secrets_namespace, service_account = var.external_secrets_service_account }
    ebs_csi          = { namespace = "kube-system", service_account = "ebs-csi-controller-sa" }
  }
  irsa_trust = {
    for k, v in local.irsa : k => jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Effect    = "Allow"
        Principal = { Federated = aws_iam_openid_connect_provider.cluster.arn }
        Action    = "sts:AssumeRoleWithWebIdentity"
        Condition = {
          StringEquals = {
            "${local.oidc_issuer}:sub" = "system:serviceaccount:${v.namespace}:${v.service_account}"
            "${local.oidc_issuer}:aud" = "sts.${data.aws_partition.current.dns_suffix}"
          }
        }
      }]
    })
  }
}

# External Secrets reads the agents' tokens from Secrets Manager, and only those.
resource "aws_iam_role" "external_secrets" {
  name               = "${var.name}-external-secrets"
  assume_role_policy = local.irsa_trust.external_secrets
}

resource "aws_iam_role_policy" "external_secrets" {
  name = "read-agent-secrets"
  role = aws_iam_role.external_secrets.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [{
        Sid    = "ReadAgentSecrets"
        Effect = "Allow"
        Action = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
        # Secrets Manager appends a random suffix to every ARN; the trailing * covers it and names under the prefix.
        Resource = "arn:${data.aws_partition.current.partition}:secretsmanager:${var.region}:${data.aws_caller_identity.current.account_id}:secret:${var.agent_secrets_prefix}*"
      }],
      length(var.agent_secrets_kms_key_arns) == 0 ? [] : [{
        Sid       = "DecryptAgentSecrets"
        Effect    = "Allow"
        Action    = "kms:Decrypt"
        Resource  = var.agent_secrets_kms_key_arns
        Condition = { StringEquals = { "kms:ViaService" = "secretsmanager.${var.region}.${data.aws_partition.current.dns_suffix}" } }
      }],
    )
  })
}

resource "aws_iam_role" "ebs_csi" {
  name               = "${var.name}-ebs-csi"
  assume_role_policy = local.irsa_trust.ebs_csi
}

resource "aws_iam_role_policy_attachment" "ebs_csi" {
  role       = aws_iam_role.ebs_csi.name
  policy_arn = "${local.policy_arn}/service-role/AmazonEBSCSIDriverPolicy"
}

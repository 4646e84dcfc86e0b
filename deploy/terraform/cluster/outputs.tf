# What the Kubernetes deployment (deploy/k8s) and the operator need from the cluster stack.

output "cluster_name" {
  description = "The EKS cluster: `aws eks update-kubeconfig --name <this> --region <region>`."
  value       = aws_eks_cluster.this.name
}

output "cluster_endpoint" {
  description = "The Kubernetes API endpoint."
  value       = aws_eks_cluster.this.endpoint
}

output "cluster_certificate_authority" {
  description = "The cluster's CA certificate, base64."
  value       = aws_eks_cluster.this.certificate_authority[0].data
}

output "region" {
  description = "The cluster's region."
  value       = var.region
}

output "vpc_id" {
  description = "The cluster's VPC."
  value       = aws_vpc.this.id
}

output "private_subnet_ids" {
  description = "Subnets of the nodes and pods."
  value       = aws_subnet.private[*].id
}

output "nat_public_ips" {
  description = "Addresses the agents' traffic leaves the VPC from: what targets and the edge see, for their allow-lists."
  value       = aws_eip.nat[*].public_ip
}

output "node_security_group_id" {
  description = "The agents' security group (their firewall)."
  value       = aws_security_group.node.id
}

output "oidc_provider_arn" {
  description = "The cluster's IAM OIDC provider, for further IRSA roles."
  value       = aws_iam_openid_connect_provider.cluster.arn
}

output "external_secrets_role_arn" {
  description = "The External Secrets role: put this ARN in the IRSA role-arn annotation of its service account so it may read agent_secrets_prefix."
  value       = aws_iam_role.external_secrets.arn
}

output "agent_secrets_prefix" {
  description = "Secrets Manager names the External Secrets role may read: store each agent's token under it."
  value       = var.agent_secrets_prefix
}

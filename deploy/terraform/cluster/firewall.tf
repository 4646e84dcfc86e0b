# Security groups as the agents' firewall. Pods share their node's security group (VPC CNI without
# per-pod groups), so the node group's rules are the agents' rules: outbound only DNS, the edge API on 443,
# the AWS endpoints inside the VPC and the target networks; inbound only the metrics port, plus what the
# control plane and cluster DNS need. The Kubernetes NetworkPolicies (deploy/k8s) narrow this per pod.
#
# Each group is created without inline rules: Terraform then deletes the allow-all egress rule AWS adds to
# a new group, and every rule below is its own resource, listed once.

resource "aws_security_group" "node" {
  name        = "${var.name}-node"
  description = "Probe agent nodes and pods: the agents' firewall"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${var.name}-node" }
}

resource "aws_security_group" "control_plane" {
  name        = "${var.name}-control-plane"
  description = "EKS control plane ENIs: the Kubernetes API for nodes, and the control plane's calls to kubelets and webhooks"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${var.name}-control-plane" }
}

resource "aws_security_group" "endpoints" {
  name        = "${var.name}-endpoints"
  description = "VPC interface endpoints: HTTPS from the nodes"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${var.name}-endpoints" }
}

locals {
  dns_cidrs  = length(var.dns_resolver_cidrs) > 0 ? var.dns_resolver_cidrs : ["${cidrhost(var.vpc_cidr, 2)}/32"]
  icmp_cidrs = distinct(var.icmp_target_cidrs != null ? var.icmp_target_cidrs : [for t in var.target_networks : t.cidr])

  # Outbound to address ranges: the complete list. Anything not here is refused.
  node_egress_to_cidrs = merge(
    {
      for pair in setproduct(local.dns_cidrs, ["udp", "tcp"]) : "dns-${pair[1]}-${pair[0]}" => {
        cidr = pair[0], protocol = pair[1], from_port = 53, to_port = 53, description = "DNS resolver"
      }
    },
    {
      # 443 only, whatever edge_api_cidrs holds: the default 0.0.0.0/0 opens HTTPS, never other ports.
      for c in var.edge_api_cidrs : "edge-api-${c}" => {
        cidr = c, protocol = "tcp", from_port = 443, to_port = 443, description = "edge API (HTTPS)"
      }
    },
    {
      for t in var.target_networks : "target-${t.protocol}-${t.cidr}-${t.from_port}-${t.to_port}" => {
        cidr = t.cidr, protocol = t.protocol, from_port = t.from_port, to_port = t.to_port, description = t.description
      }
    },
    {
      # ICMP type 8 (echo request), code 0; replies come back as tracked traffic.
      for c in local.icmp_cidrs : "icmp-echo-${c}" => {
        cidr = c, protocol = "icmp", from_port = 8, to_port = 0, description = "ICMP echo to targets"
      }
    },
  )

  # Outbound to other security groups inside the VPC.
  node_egress_to_groups = {
    "kubernetes-api"     = { group = aws_security_group.control_plane.id, protocol = "tcp", from_port = 443, to_port = 443, description = "Kubernetes API (control plane ENIs)" }
    "aws-endpoints"      = { group = aws_security_group.endpoints.id, protocol = "tcp", from_port = 443, to_port = 443, description = "AWS APIs through the VPC interface endpoints" }
    "cluster-dns-udp"    = { group = aws_security_group.node.id, protocol = "udp", from_port = 53, to_port = 53, description = "CoreDNS on other nodes" }
    "cluster-dns-tcp"    = { group = aws_security_group.node.id, protocol = "tcp", from_port = 53, to_port = 53, description = "CoreDNS on other nodes" }
    "metrics-in-cluster" = { group = aws_security_group.node.id, protocol = "tcp", from_port = var.metrics_port, to_port = var.metrics_port, description = "in-cluster Prometheus scraping agents" }
  }

  # Inbound from other security groups.
  node_ingress_from_groups = merge(
    {
      for p in var.node_ports_from_control_plane : "control-plane-${p}" => {
        group = aws_security_group.control_plane.id, protocol = "tcp", from_port = p, to_port = p, description = "control plane to kubelet and webhooks"
      }
    },
    {
      "cluster-dns-udp"    = { group = aws_security_group.node.id, protocol = "udp", from_port = 53, to_port = 53, description = "CoreDNS from pods on other nodes" }
      "cluster-dns-tcp"    = { group = aws_security_group.node.id, protocol = "tcp", from_port = 53, to_port = 53, description = "CoreDNS from pods on other nodes" }
      "metrics-in-cluster" = { group = aws_security_group.node.id, protocol = "tcp", from_port = var.metrics_port, to_port = var.metrics_port, description = "agent metrics from in-cluster Prometheus" }
    },
    {
      for g in var.monitoring_security_group_ids : "monitoring-${g}" => {
        group = g, protocol = "tcp", from_port = var.metrics_port, to_port = var.metrics_port, description = "agent metrics from monitoring"
      }
    },
  )

  # Inbound from address ranges: the metrics port, from monitoring networks only.
  node_ingress_from_cidrs = {
    for c in var.monitoring_cidrs : "monitoring-${c}" => {
      cidr = c, protocol = "tcp", from_port = var.metrics_port, to_port = var.metrics_port, description = "agent metrics from monitoring"
    }
  }
}

resource "aws_vpc_security_group_egress_rule" "node_to_cidr" {
  for_each = local.node_egress_to_cidrs

  security_group_id = aws_security_group.node.id
  cidr_ipv4         = each.value.cidr
  ip_protocol       = each.value.protocol
  from_port         = each.value.from_port
  to_port           = each.value.to_port
  description       = each.value.description
}

resource "aws_vpc_security_group_egress_rule" "node_to_group" {
  for_each = local.node_egress_to_groups

  security_group_id            = aws_security_group.node.id
  referenced_security_group_id = each.value.group
  ip_protocol                  = each.value.protocol
  from_port                    = each.value.from_port
  to_port                      = each.value.to_port
  description                  = each.value.description
}

# Image layers: S3 through the gateway endpoint, addressed by its prefix list.
resource "aws_vpc_security_group_egress_rule" "node_to_s3" {
  security_group_id = aws_security_group.node.id
  prefix_list_id    = aws_vpc_endpoint.s3.prefix_list_id
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  description       = "S3 (image layers) through the gateway endpoint"
}

resource "aws_vpc_security_group_ingress_rule" "node_from_group" {
  for_each = local.node_ingress_from_groups

  security_group_id            = aws_security_group.node.id
  referenced_security_group_id = each.value.group
  ip_protocol                  = each.value.protocol
  from_port                    = each.value.from_port
  to_port                      = each.value.to_port
  description                  = each.value.description
}

resource "aws_vpc_security_group_ingress_rule" "node_from_cidr" {
  for_each = local.node_ingress_from_cidrs

  security_group_id = aws_security_group.node.id
  cidr_ipv4         = each.value.cidr
  ip_protocol       = each.value.protocol
  from_port         = each.value.from_port
  to_port           = each.value.to_port
  description       = each.value.description
}

resource "aws_vpc_security_group_ingress_rule" "control_plane_from_node" {
  security_group_id            = aws_security_group.control_plane.id
  referenced_security_group_id = aws_security_group.node.id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  description                  = "Kubernetes API from nodes and pods"
}

resource "aws_vpc_security_group_egress_rule" "control_plane_to_node" {
  for_each = toset([for p in var.node_ports_from_control_plane : tostring(p)])

  security_group_id            = aws_security_group.control_plane.id
  referenced_security_group_id = aws_security_group.node.id
  ip_protocol                  = "tcp"
  from_port                    = tonumber(each.key)
  to_port                      = tonumber(each.key)
  description                  = "control plane to kubelet and webhooks"
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_from_node" {
  security_group_id            = aws_security_group.endpoints.id
  referenced_security_group_id = aws_security_group.node.id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  description                  = "AWS APIs from nodes and pods"
}

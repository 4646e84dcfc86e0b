# `terraform test`: plans the stack against a mocked AWS provider (no account, no network, nothing created) and
# checks the agents' firewall as Terraform evaluates it from the variables: the complete set of node rules.

mock_provider "aws" {
  mock_data "aws_availability_zones" {
    defaults = {
      names = ["xx-test-1a", "xx-test-1b", "xx-test-1c"]
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition          = "aws"
      dns_suffix         = "partition.test"
      reverse_dns_prefix = "test.partition"
    }
  }
}

variables {
  region = "xx-test-1"
  target_networks = [
    { cidr = "192.0.2.0/24", protocol = "tcp", from_port = 443, to_port = 443 },
    { cidr = "198.51.100.0/24", protocol = "udp", from_port = 161, to_port = 161, description = "snmp" },
  ]
  monitoring_cidrs = ["203.0.113.0/28"]
}

run "node_egress_is_exactly_the_allowed_set" {
  command = plan

  assert {
    condition = toset([for k, r in aws_vpc_security_group_egress_rule.node_to_cidr : "${r.ip_protocol} ${r.cidr_ipv4} ${r.from_port}-${r.to_port}"]) == toset([
      "udp 10.40.0.2/32 53-53",
      "tcp 10.40.0.2/32 53-53",
      "tcp 0.0.0.0/0 443-443",
      "tcp 192.0.2.0/24 443-443",
      "udp 198.51.100.0/24 161-161",
      "icmp 192.0.2.0/24 8-0",
      "icmp 198.51.100.0/24 8-0",
    ])
    error_message = "node egress to address ranges must be DNS to the VPC resolver, 443 to the edge, the target rules and ICMP echo to the targets, nothing else"
  }

  assert {
    condition     = alltrue([for r in aws_vpc_security_group_egress_rule.node_to_cidr : r.ip_protocol != "-1" && !(r.cidr_ipv4 == "0.0.0.0/0" && (r.ip_protocol != "tcp" || r.from_port != 443 || r.to_port != 443))])
    error_message = "no egress rule may open all protocols, or anything but tcp 443 to 0.0.0.0/0"
  }

  assert {
    condition = toset([for k, r in aws_vpc_security_group_egress_rule.node_to_group : "${k} ${r.ip_protocol} ${r.from_port}-${r.to_port}"]) == toset([
      "kubernetes-api tcp 443-443",
      "aws-endpoints tcp 443-443",
      "cluster-dns-udp udp 53-53",
      "cluster-dns-tcp tcp 53-53",
      "metrics-in-cluster tcp 9464-9464",
    ])
    error_message = "node egress to security groups must be the Kubernetes API, the AWS endpoints, cluster DNS and in-cluster scraping"
  }

  assert {
    condition     = aws_vpc_security_group_egress_rule.node_to_s3.ip_protocol == "tcp" && aws_vpc_security_group_egress_rule.node_to_s3.from_port == 443 && aws_vpc_security_group_egress_rule.node_to_s3.to_port == 443
    error_message = "S3 through the gateway endpoint is reached on 443 only"
  }
}

run "node_ingress_is_metrics_and_control_plane_only" {
  command = plan

  assert {
    condition     = [for r in aws_vpc_security_group_ingress_rule.node_from_cidr : "${r.ip_protocol} ${r.cidr_ipv4} ${r.from_port}-${r.to_port}"] == ["tcp 203.0.113.0/28 9464-9464"]
    error_message = "inbound from address ranges must be the metrics port from monitoring_cidrs only"
  }

  assert {
    condition = toset([for k, r in aws_vpc_security_group_ingress_rule.node_from_group : "${k} ${r.ip_protocol} ${r.from_port}-${r.to_port}"]) == toset([
      "control-plane-443 tcp 443-443",
      "control-plane-10250 tcp 10250-10250",
      "cluster-dns-udp udp 53-53",
      "cluster-dns-tcp tcp 53-53",
      "metrics-in-cluster tcp 9464-9464",
    ])
    error_message = "inbound from security groups must be the control plane (443, 10250), cluster DNS and the metrics port"
  }
}

run "icmp_and_dns_follow_their_variables" {
  command = plan

  variables {
    icmp_target_cidrs  = ["192.0.2.128/25"]
    dns_resolver_cidrs = ["10.99.0.53/32"]
    edge_api_cidrs     = ["198.18.0.0/15"]
  }

  assert {
    condition = toset([for r in aws_vpc_security_group_egress_rule.node_to_cidr : "${r.ip_protocol} ${r.cidr_ipv4} ${r.from_port}-${r.to_port}"]) == toset([
      "udp 10.99.0.53/32 53-53",
      "tcp 10.99.0.53/32 53-53",
      "tcp 198.18.0.0/15 443-443",
      "tcp 192.0.2.0/24 443-443",
      "udp 198.51.100.0/24 161-161",
      "icmp 192.0.2.128/25 8-0",
    ])
    error_message = "icmp_target_cidrs, dns_resolver_cidrs and edge_api_cidrs must replace their defaults"
  }
}

run "rejects_a_target_rule_without_ports" {
  command = plan

  variables {
    target_networks = [{ cidr = "0.0.0.0/0", protocol = "-1", from_port = 0, to_port = 65535 }]
  }

  expect_failures = [var.target_networks]
}

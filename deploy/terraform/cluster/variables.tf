# Inputs of the cluster stack: where it runs, its addresses, its size, and what the agents may reach.

variable "region" {
  description = "AWS region of the cluster."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "name" {
  description = "Name of the cluster, and prefix of everything else this stack creates."
  type        = string
  default     = "uptime-agents"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,37}$", var.name))
    error_message = "name must start with a letter and hold 2-38 lower-case letters, digits and hyphens."
  }
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the control plane and the node group."
  type        = string
  default     = "1.33"

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version))
    error_message = "kubernetes_version must look like 1.33."
  }
}

variable "vpc_cidr" {
  description = "IPv4 range of the cluster's VPC. Pods take their addresses from it (VPC CNI), so size it for nodes times pods per node."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && tonumber(split("/", var.vpc_cidr)[1]) <= 24
    error_message = "vpc_cidr must be an IPv4 CIDR block of /24 or larger."
  }
}

variable "private_subnet_cidrs" {
  description = "One private subnet per availability zone (at least two, EKS requires it), inside vpc_cidr: nodes and pods live here."
  type        = list(string)
  default     = ["10.40.0.0/19", "10.40.32.0/19"]

  validation {
    condition     = length(var.private_subnet_cidrs) >= 2 && alltrue([for c in var.private_subnet_cidrs : can(cidrnetmask(c))])
    error_message = "private_subnet_cidrs must list at least two IPv4 CIDR blocks."
  }
}

variable "public_subnet_cidrs" {
  description = "Public subnets for the NAT gateways, one per availability zone in use (ignored when nat_gateway_mode is none). Nothing else runs in them."
  type        = list(string)
  default     = ["10.40.224.0/24", "10.40.225.0/24"]

  validation {
    condition     = alltrue([for c in var.public_subnet_cidrs : can(cidrnetmask(c))])
    error_message = "public_subnet_cidrs must be IPv4 CIDR blocks."
  }
}

variable "availability_zones" {
  description = "Availability zones for the subnets, in order; null takes the region's first ones."
  type        = list(string)
  default     = null
}

variable "nat_gateway_mode" {
  description = "Egress to the internet (the edge API, public targets): single (one NAT gateway), per_az (one per zone: survives a zone outage, costs more), or none (no public subnets; only the VPC endpoints and whatever routes the operator adds)."
  type        = string
  default     = "single"

  validation {
    condition     = contains(["single", "per_az", "none"], var.nat_gateway_mode)
    error_message = "nat_gateway_mode must be single, per_az or none."
  }
}

variable "vpc_interface_endpoints" {
  description = "AWS services reached through interface endpoints inside the VPC, so nodes need no internet route for them: the EC2 API (VPC CNI, EBS CSI), the image registry (ecr.api, ecr.dkr), STS (IRSA) and Secrets Manager (External Secrets). Each costs an hourly fee per zone; [] sends that traffic through NAT instead, which edge_api_cidrs must then allow."
  type        = list(string)
  default     = ["ec2", "ecr.api", "ecr.dkr", "sts", "secretsmanager"]

  validation {
    condition     = alltrue([for s in var.vpc_interface_endpoints : can(regex("^[a-z0-9.-]+$", s))])
    error_message = "vpc_interface_endpoints must be service names such as ecr.api."
  }
}

variable "endpoint_public_access" {
  description = "Expose the Kubernetes API endpoint publicly as well as inside the VPC (to public_access_cidrs only). Off: kubectl must run from inside the VPC or a network peered with it."
  type        = bool
  default     = false
}

variable "public_access_cidrs" {
  description = "Networks allowed to the public Kubernetes API endpoint when endpoint_public_access is on (the operators' and CI's egress addresses)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.public_access_cidrs : can(cidrnetmask(c))]) && (!var.endpoint_public_access || length(var.public_access_cidrs) > 0)
    error_message = "public_access_cidrs must be IPv4 CIDR blocks, and at least one when endpoint_public_access is on."
  }
}

variable "cluster_log_types" {
  description = "Control-plane logs sent to CloudWatch Logs."
  type        = list(string)
  default     = ["api", "audit", "authenticator"]

  validation {
    condition     = alltrue([for t in var.cluster_log_types : contains(["api", "audit", "authenticator", "controllerManager", "scheduler"], t)])
    error_message = "cluster_log_types may hold api, audit, authenticator, controllerManager and scheduler."
  }
}

variable "log_retention_days" {
  description = "Days the control-plane logs are kept."
  type        = number
  default     = 90

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)."
  }
}

variable "node_instance_types" {
  description = "Instance types of the agents' node group (the first that has capacity is used)."
  type        = list(string)
  default     = ["t3.small"]

  validation {
    condition     = length(var.node_instance_types) > 0
    error_message = "node_instance_types must name at least one instance type."
  }
}

variable "node_capacity_type" {
  description = "ON_DEMAND or SPOT. Spot saves money but takes nodes away at short notice; each agent's outbox survives on its volume."
  type        = string
  default     = "ON_DEMAND"

  validation {
    condition     = contains(["ON_DEMAND", "SPOT"], var.node_capacity_type)
    error_message = "node_capacity_type must be ON_DEMAND or SPOT."
  }
}

variable "node_min_size" {
  description = "Fewest nodes in the node group."
  type        = number
  default     = 2

  validation {
    condition     = var.node_min_size >= 1
    error_message = "node_min_size must be at least 1."
  }
}

variable "node_desired_size" {
  description = "Nodes the node group starts with (later changes by an autoscaler are left alone)."
  type        = number
  default     = 2

  validation {
    condition     = var.node_desired_size >= var.node_min_size && var.node_desired_size <= var.node_max_size
    error_message = "node_desired_size must be between node_min_size and node_max_size."
  }
}

variable "node_max_size" {
  description = "Most nodes in the node group."
  type        = number
  default     = 3

  validation {
    condition     = var.node_max_size >= var.node_min_size
    error_message = "node_max_size must be at least node_min_size."
  }
}

variable "node_disk_size_gib" {
  description = "Root volume of each node, GiB (images and logs; the agents' outboxes are on their own volumes)."
  type        = number
  default     = 20

  validation {
    condition     = var.node_disk_size_gib >= 20
    error_message = "node_disk_size_gib must be at least 20."
  }
}

variable "edge_api_cidrs" {
  description = "Where the edge API is: the only destinations of outbound HTTPS (443) besides the VPC endpoints. The default allows 443 anywhere, because the edge is served from the CDN's anycast ranges; narrow it to the CDN's published IPv4 ranges to make the firewall tight."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.edge_api_cidrs) > 0 && alltrue([for c in var.edge_api_cidrs : can(cidrnetmask(c))])
    error_message = "edge_api_cidrs must list at least one IPv4 CIDR block."
  }
}

variable "target_networks" {
  description = "What the agents check: each entry opens outbound protocol (tcp or udp) from_port..to_port to cidr. ICMP echo to these networks is opened separately (icmp_target_cidrs)."
  type = list(object({
    cidr        = string
    protocol    = string
    from_port   = number
    to_port     = number
    description = optional(string, "monitored targets")
  }))
  default = []

  validation {
    condition = alltrue([
      for t in var.target_networks :
      can(cidrnetmask(t.cidr)) && contains(["tcp", "udp"], t.protocol) && t.from_port >= 1 && t.to_port <= 65535 && t.from_port <= t.to_port
    ]) && length(distinct([for t in var.target_networks : [t.cidr, t.protocol, t.from_port, t.to_port]])) == length(var.target_networks)
    error_message = "each target_networks entry needs an IPv4 cidr, protocol tcp or udp, and 1 <= from_port <= to_port <= 65535; no entry twice."
  }
}

variable "icmp_target_cidrs" {
  description = "Networks the agents may ping (ICMP echo); null means every target_networks cidr."
  type        = list(string)
  default     = null

  validation {
    condition     = var.icmp_target_cidrs == null || alltrue([for c in coalesce(var.icmp_target_cidrs, []) : can(cidrnetmask(c))])
    error_message = "icmp_target_cidrs must be IPv4 CIDR blocks."
  }
}

variable "dns_resolver_cidrs" {
  description = "DNS servers the nodes and CoreDNS may query on 53; [] means the VPC's own resolver (the VPC network's address plus two)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.dns_resolver_cidrs : can(cidrnetmask(c))])
    error_message = "dns_resolver_cidrs must be IPv4 CIDR blocks."
  }
}

variable "metrics_port" {
  description = "The agents' /metrics port (the port of probe-agent's AGENT_LISTEN): the only port that accepts connections from outside the cluster's nodes."
  type        = number
  default     = 9464

  validation {
    condition     = var.metrics_port >= 1024 && var.metrics_port <= 65535
    error_message = "metrics_port must be between 1024 and 65535."
  }
}

variable "monitoring_cidrs" {
  description = "Networks of a Prometheus outside this cluster that scrapes the agents' metrics_port. A Prometheus inside the cluster needs nothing here (the nodes' own group is allowed; the NetworkPolicy narrows it to the monitoring namespace)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.monitoring_cidrs : can(cidrnetmask(c))])
    error_message = "monitoring_cidrs must be IPv4 CIDR blocks."
  }
}

variable "monitoring_security_group_ids" {
  description = "Security groups (in this VPC or a peered one) of a Prometheus outside this cluster allowed to metrics_port."
  type        = list(string)
  default     = []
}

variable "node_ports_from_control_plane" {
  description = "Ports the control plane may open on nodes: 10250 (kubelet: logs, exec, metrics) and 443; add the ports of admission webhooks that do not listen on these (the External Secrets webhook listens on 10250)."
  type        = list(number)
  default     = [443, 10250]

  validation {
    condition     = contains(var.node_ports_from_control_plane, 10250) && alltrue([for p in var.node_ports_from_control_plane : p >= 1 && p <= 65535])
    error_message = "node_ports_from_control_plane must include 10250 (the kubelet) and hold ports 1-65535."
  }
}

variable "external_secrets_namespace" {
  description = "Namespace of the service account allowed to assume the secrets role: the agents' own (deploy/k8s/components/external-secrets uses a namespaced SecretStore there)."
  type        = string
  default     = "uptime-agents"
}

variable "external_secrets_service_account" {
  description = "Name of the service account the agents' SecretStore (deploy/k8s/components/external-secrets) uses to read Secrets Manager."
  type        = string
  default     = "uptime-agent-secrets"
}

variable "agent_secrets_prefix" {
  description = "Secrets Manager name prefix of the agents' tokens; the secrets role may read only secrets whose names start with it."
  type        = string
  default     = "uptime/agents/"

  validation {
    condition     = can(regex("^[A-Za-z0-9/_+=.@-]+/$", var.agent_secrets_prefix))
    error_message = "agent_secrets_prefix must be a secret name prefix ending in / (no wildcards)."
  }
}

variable "agent_secrets_kms_key_arns" {
  description = "Customer-managed KMS keys the agents' secrets are encrypted with, if any (the secrets role gets kms:Decrypt on them); [] for the AWS-managed key."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Extra tags on every resource of this stack."
  type        = map(string)
  default     = {}
}

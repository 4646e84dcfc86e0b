# The cluster's own VPC: private subnets for nodes and pods, public subnets holding only NAT gateways, and
# endpoints so that AWS APIs and image pulls never leave the VPC.

locals {
  azs = slice(
    coalesce(var.availability_zones, data.aws_availability_zones.available.names),
    0, length(var.private_subnet_cidrs),
  )
  nat_count = { single = 1, per_az = length(local.azs), none = 0 }[var.nat_gateway_mode]
  public    = var.nat_gateway_mode != "none"
}

resource "aws_vpc" "this" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true # interface endpoints' private DNS names need both

  tags = { Name = var.name }
}

# The default security group would let anything placed in it talk to anything else in it; nothing uses it,
# and managing it without rules empties it.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id

  tags = { Name = "${var.name}-default-unused" }
}

resource "aws_subnet" "private" {
  count = length(var.private_subnet_cidrs)

  vpc_id            = aws_vpc.this.id
  cidr_block        = var.private_subnet_cidrs[count.index]
  availability_zone = local.azs[count.index]

  tags = { Name = "${var.name}-private-${local.azs[count.index]}" }
}

resource "aws_subnet" "public" {
  count = local.public ? length(local.azs) : 0

  lifecycle {
    precondition {
      condition     = length(var.public_subnet_cidrs) >= length(local.azs)
      error_message = "public_subnet_cidrs needs one block per private subnet's zone when nat_gateway_mode is not none."
    }
  }

  vpc_id                  = aws_vpc.this.id
  cidr_block              = var.public_subnet_cidrs[count.index]
  availability_zone       = local.azs[count.index]
  map_public_ip_on_launch = false # only the NAT gateways live here, with their own Elastic IPs

  tags = { Name = "${var.name}-public-${local.azs[count.index]}" }
}

resource "aws_internet_gateway" "this" {
  count = local.public ? 1 : 0

  vpc_id = aws_vpc.this.id

  tags = { Name = var.name }
}

resource "aws_eip" "nat" {
  count = local.nat_count

  domain = "vpc"

  tags = { Name = "${var.name}-nat-${local.azs[count.index]}" }
}

resource "aws_nat_gateway" "this" {
  count = local.nat_count

  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id

  tags       = { Name = "${var.name}-${local.azs[count.index]}" }
  depends_on = [aws_internet_gateway.this]
}

resource "aws_route_table" "public" {
  count = local.public ? 1 : 0

  vpc_id = aws_vpc.this.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.this[0].id
  }

  tags = { Name = "${var.name}-public" }
}

resource "aws_route_table_association" "public" {
  count = length(aws_subnet.public)

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public[0].id
}

# One route table per private subnet, so per_az can send each zone through its own NAT gateway.
resource "aws_route_table" "private" {
  count = length(aws_subnet.private)

  vpc_id = aws_vpc.this.id

  dynamic "route" {
    for_each = local.nat_count > 0 ? [aws_nat_gateway.this[min(count.index, local.nat_count - 1)].id] : []
    content {
      cidr_block     = "0.0.0.0/0"
      nat_gateway_id = route.value
    }
  }

  tags = { Name = "${var.name}-private-${local.azs[count.index]}" }
}

resource "aws_route_table_association" "private" {
  count = length(aws_subnet.private)

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[count.index].id
}

# S3 through a gateway endpoint (free): image layers from the registry are served from S3.
resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = "${data.aws_partition.current.reverse_dns_prefix}.${var.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = aws_route_table.private[*].id

  tags = { Name = "${var.name}-s3" }
}

resource "aws_vpc_endpoint" "interface" {
  for_each = toset(var.vpc_interface_endpoints)

  vpc_id              = aws_vpc.this.id
  service_name        = "${data.aws_partition.current.reverse_dns_prefix}.${var.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = aws_subnet.private[*].id
  security_group_ids  = [aws_security_group.endpoints.id]
  private_dns_enabled = true

  tags = { Name = "${var.name}-${each.key}" }
}

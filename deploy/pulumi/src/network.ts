// A VPC for the cluster: two public subnets (NAT, load balancers), two private subnets (nodes), one NAT
// gateway, and an S3 gateway endpoint so backup traffic to S3 stays off the NAT gateway. With ipv6, the
// VPC and every subnet are dual-stack (an Amazon-provided /56, one /64 per subnet), and the private
// subnets reach the IPv6 internet through an egress-only internet gateway (EKS IPv6 clusters need both).
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/** The i-th /20 of a /16 (10.0.0.0/16, 2 -> 10.0.32.0/20). */
export function subnetCidr(vpcCidr: string, index: number): string {
  const m = /^(\d+)\.(\d+)\.0\.0\/16$/.exec(vpcCidr);
  if (!m) throw new Error(`vpcCidr must be a /16 like 10.0.0.0/16, not ${vpcCidr}`);
  if (!Number.isInteger(index) || index < 0 || index > 15) throw new Error(`subnet index out of range: ${index}`);
  return `${m[1]}.${m[2]}.${index * 16}.0/20`;
}

/** The i-th /64 of an Amazon-provided /56 (2600:1f13:abc:de00::/56, 9 -> 2600:1f13:abc:de09::/64). */
export function ipv6SubnetCidr(vpcIpv6Cidr: string, index: number): string {
  const m = /^([0-9a-f]{1,4}):([0-9a-f]{1,4}):([0-9a-f]{1,4}):([0-9a-f]{1,4})::\/56$/i.exec(vpcIpv6Cidr);
  const high = m ? parseInt(m[4]!, 16) : NaN;
  if (!m || (high & 0xff) !== 0) throw new Error(`not an IPv6 /56 like 2600:1f13:abc:de00::/56: ${vpcIpv6Cidr}`);
  if (!Number.isInteger(index) || index < 0 || index > 255) throw new Error(`subnet index out of range: ${index}`);
  const fourth = (high | index).toString(16);
  return `${m[1]}:${m[2]}:${m[3]}:${fourth}::/64`;
}

export interface Network {
  vpcId: pulumi.Output<string>;
  publicSubnetIds: pulumi.Output<string>[];
  privateSubnetIds: pulumi.Output<string>[];
}

export function createNetwork(name: string, args: { vpcCidr: string; ipv6?: boolean; tags: Record<string, string> }, opts?: pulumi.CustomResourceOptions): Network {
  const tags = (extra: Record<string, string> = {}) => ({ ...args.tags, ...extra });
  const azs = aws.getAvailabilityZonesOutput({ state: 'available', filters: [{ name: 'opt-in-status', values: ['opt-in-not-required'] }] }, opts);
  const region = aws.getRegionOutput({}, opts);

  const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
    cidrBlock: args.vpcCidr,
    enableDnsHostnames: true,
    enableDnsSupport: true,
    ...(args.ipv6 ? { assignGeneratedIpv6CidrBlock: true } : {}),
    tags: tags({ Name: `${name}-vpc` }),
  }, opts);
  const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tags({ Name: `${name}-igw` }) }, opts);

  const publicRt = new aws.ec2.RouteTable(`${name}-public`, {
    vpcId: vpc.id,
    routes: [{ cidrBlock: '0.0.0.0/0', gatewayId: igw.id }, ...(args.ipv6 ? [{ ipv6CidrBlock: '::/0', gatewayId: igw.id }] : [])],
    tags: tags({ Name: `${name}-public` }),
  }, opts);

  const dualStack = (i: number) => (args.ipv6
    ? { ipv6CidrBlock: vpc.ipv6CidrBlock.apply((c) => ipv6SubnetCidr(c, i)), assignIpv6AddressOnCreation: true }
    : {});
  const publicSubnets: aws.ec2.Subnet[] = [];
  const privateSubnets: aws.ec2.Subnet[] = [];
  for (const i of [0, 1]) {
    const az = azs.names.apply((n) => {
      if (n.length < 2) throw new Error('EKS needs two availability zones; this region shows fewer');
      return n[i]!;
    });
    const pub = new aws.ec2.Subnet(`${name}-public-${i}`, {
      vpcId: vpc.id,
      cidrBlock: subnetCidr(args.vpcCidr, i),
      availabilityZone: az,
      mapPublicIpOnLaunch: false,
      ...dualStack(i),
      tags: tags({ Name: `${name}-public-${i}`, 'kubernetes.io/role/elb': '1' }),
    }, opts);
    new aws.ec2.RouteTableAssociation(`${name}-public-${i}`, { subnetId: pub.id, routeTableId: publicRt.id }, opts);
    publicSubnets.push(pub);
    privateSubnets.push(new aws.ec2.Subnet(`${name}-private-${i}`, {
      vpcId: vpc.id,
      cidrBlock: subnetCidr(args.vpcCidr, 8 + i),
      availabilityZone: az,
      ...dualStack(8 + i),
      tags: tags({ Name: `${name}-private-${i}`, 'kubernetes.io/role/internal-elb': '1' }),
    }, opts));
  }

  const eip = new aws.ec2.Eip(`${name}-nat`, { domain: 'vpc', tags: tags({ Name: `${name}-nat` }) }, opts);
  const nat = new aws.ec2.NatGateway(`${name}-nat`, {
    subnetId: publicSubnets[0]!.id,
    allocationId: eip.id,
    tags: tags({ Name: `${name}-nat` }),
  }, { ...opts, dependsOn: [igw] });
  const privateRt = new aws.ec2.RouteTable(`${name}-private`, {
    vpcId: vpc.id,
    routes: [
      { cidrBlock: '0.0.0.0/0', natGatewayId: nat.id },
      ...(args.ipv6 ? [{ ipv6CidrBlock: '::/0', egressOnlyGatewayId: new aws.ec2.EgressOnlyInternetGateway(`${name}-eigw`, { vpcId: vpc.id, tags: tags({ Name: `${name}-eigw` }) }, opts).id }] : []),
    ],
    tags: tags({ Name: `${name}-private` }),
  }, opts);
  privateSubnets.forEach((s, i) => new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, { subnetId: s.id, routeTableId: privateRt.id }, opts));

  new aws.ec2.VpcEndpoint(`${name}-s3`, {
    vpcId: vpc.id,
    serviceName: pulumi.interpolate`com.amazonaws.${region.region}.s3`,
    vpcEndpointType: 'Gateway',
    routeTableIds: [privateRt.id],
    tags: tags({ Name: `${name}-s3` }),
  }, opts);

  return {
    vpcId: vpc.id,
    publicSubnetIds: publicSubnets.map((s) => s.id),
    privateSubnetIds: privateSubnets.map((s) => s.id),
  };
}

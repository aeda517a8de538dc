// The EKS cluster (plain @pulumi/aws resources, so every piece is visible and testable), or an existing
// cluster looked up by name; the IAM OIDC provider for IRSA; EKS access entries; a kubeconfig for the
// Kubernetes provider.
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { createNetwork } from './network';
import { cniIpv6Policy, serviceTrustPolicy, STS_AUDIENCE } from './policies';

/** The add-on that serves EKS Pod Identity credentials on every node. */
export const POD_IDENTITY_AGENT = 'eks-pod-identity-agent';

/** IAM settings every role this program creates gets. */
export interface IamSettings {
  /** e.g. /s3k/ (default /) */
  path?: string;
  /** the ARN of a managed policy that bounds every role's permissions */
  permissionsBoundary?: string;
}

export function roleSettings(iam: IamSettings): { path?: string; permissionsBoundary?: string } {
  return {
    ...(iam.path ? { path: iam.path } : {}),
    ...(iam.permissionsBoundary ? { permissionsBoundary: iam.permissionsBoundary } : {}),
  };
}

export interface Cluster {
  name: pulumi.Output<string>;
  arn: pulumi.Output<string>;
  endpoint: pulumi.Output<string>;
  certificateAuthorityData: pulumi.Output<string>;
  /** https://oidc.eks.REGION.amazonaws.com/id/ID */
  oidcIssuerUrl: pulumi.Output<string>;
  /** Resources the workload must wait for (nodes, the Pod Identity agent). */
  ready: pulumi.Resource[];
  vpcId?: pulumi.Output<string>;
  /** Pod Identity on an existing cluster without installing the agent: its add-on version, or a clear failure. */
  podIdentityAgent?: pulumi.Output<string>;
}

export interface ClusterArgs {
  existingClusterName?: string;
  kubernetesVersion?: string;
  nodeInstanceTypes: string[];
  nodeCount: number;
  vpcCidr: string;
  /** New cluster: ipv4 (default) or ipv6 (dual-stack VPC, pods and services on IPv6). */
  ipFamily: 'ipv4' | 'ipv6';
  /** New cluster: who may reach the public API endpoint ([] = private endpoint only). */
  apiPublicAccessCidrs: string[];
  installPodIdentityAgent: boolean;
  /** Pod Identity on an existing cluster: fail clearly if the agent add-on is missing. */
  requirePodIdentityAgent: boolean;
  iam: IamSettings;
  tags: Record<string, string>;
}

/**
 * The eks-pod-identity-agent add-on of a cluster (its version), or an error that says what to do: without
 * the agent, pods of a service account with a Pod Identity association get no credentials at all.
 */
export async function requirePodIdentityAgent(clusterName: string, opts?: pulumi.InvokeOptions): Promise<string> {
  try {
    return (await aws.eks.getAddon({ clusterName, addonName: POD_IDENTITY_AGENT }, opts)).addonVersion;
  } catch (e) {
    throw new Error(`EKS Pod Identity on cluster ${clusterName} needs the ${POD_IDENTITY_AGENT} add-on, which the cluster does not have `
      + `(${String((e as Error).message ?? e).split('\n')[0]}). Install it with \`pulumi config set s3k:installPodIdentityAgent true\` `
      + `(or aws eks create-addon --cluster-name ${clusterName} --addon-name ${POD_IDENTITY_AGENT}), or use s3k:identity irsa; `
      + 'if the agent runs as a self-managed DaemonSet, set s3k:podIdentityAgentCheck false.');
  }
}

function managedPolicy(partition: pulumi.Output<string>, policy: string): pulumi.Output<string> {
  return pulumi.interpolate`arn:${partition}:iam::aws:policy/${policy}`;
}

export function createCluster(name: string, args: ClusterArgs, opts?: pulumi.CustomResourceOptions): Cluster {
  const ready: pulumi.Resource[] = [];
  if (args.existingClusterName) {
    const c = aws.eks.getClusterOutput({ name: args.existingClusterName }, opts);
    let podIdentityAgent: pulumi.Output<string> | undefined;
    if (args.installPodIdentityAgent) {
      ready.push(new aws.eks.Addon(`${name}-pod-identity-agent`, { clusterName: c.name, addonName: POD_IDENTITY_AGENT, tags: args.tags }, opts));
    } else if (args.requirePodIdentityAgent) {
      podIdentityAgent = pulumi.output(requirePodIdentityAgent(args.existingClusterName, opts));
    }
    return {
      name: c.name,
      arn: c.arn,
      podIdentityAgent,
      endpoint: c.endpoint,
      certificateAuthorityData: c.certificateAuthorities.apply((a) => a[0]!.data),
      oidcIssuerUrl: c.identities.apply((i) => i[0]!.oidcs[0]!.issuer),
      ready,
    };
  }

  const partition = aws.getPartitionOutput({}, opts).partition;
  const ipv6 = args.ipFamily === 'ipv6';
  const net = createNetwork(name, { vpcCidr: args.vpcCidr, ipv6, tags: args.tags }, opts);

  const clusterRole = new aws.iam.Role(`${name}-cluster`, {
    assumeRolePolicy: JSON.stringify(serviceTrustPolicy('eks.amazonaws.com')),
    ...roleSettings(args.iam),
    tags: args.tags,
  }, opts);
  const clusterPolicy = new aws.iam.RolePolicyAttachment(`${name}-cluster`, {
    role: clusterRole.name,
    policyArn: managedPolicy(partition, 'AmazonEKSClusterPolicy'),
  }, opts);

  const cluster = new aws.eks.Cluster(name, {
    roleArn: clusterRole.arn,
    version: args.kubernetesVersion,
    vpcConfig: {
      subnetIds: [...net.privateSubnetIds, ...net.publicSubnetIds],
      endpointPrivateAccess: true,
      // the API endpoint from the internet only for these CIDRs; none: reachable from the VPC only
      endpointPublicAccess: args.apiPublicAccessCidrs.length > 0,
      ...(args.apiPublicAccessCidrs.length > 0 ? { publicAccessCidrs: args.apiPublicAccessCidrs } : {}),
    },
    // set only for IPv6: an existing IPv4 stack keeps the inputs it had (the family cannot change in place)
    ...(ipv6 ? { kubernetesNetworkConfig: { ipFamily: 'ipv6' } } : {}),
    accessConfig: { authenticationMode: 'API', bootstrapClusterCreatorAdminPermissions: true },
    enabledClusterLogTypes: ['api', 'audit', 'authenticator'],
    tags: args.tags,
  }, { ...opts, dependsOn: [clusterPolicy] });

  const nodeRole = new aws.iam.Role(`${name}-node`, {
    assumeRolePolicy: JSON.stringify(serviceTrustPolicy('ec2.amazonaws.com')),
    ...roleSettings(args.iam),
    tags: args.tags,
  }, opts);
  // IPv4: AWS's AmazonEKS_CNI_Policy. IPv6: AWS has no managed policy; the VPC CNI's documented one.
  const nodePolicies = ['AmazonEKSWorkerNodePolicy', ...(ipv6 ? [] : ['AmazonEKS_CNI_Policy']), 'AmazonEC2ContainerRegistryReadOnly'].map(
    (p) => new aws.iam.RolePolicyAttachment(`${name}-node-${p}`, { role: nodeRole.name, policyArn: managedPolicy(partition, p) }, opts),
  );
  if (ipv6) {
    const cni = new aws.iam.Policy(`${name}-cni-ipv6`, {
      description: 'Amazon VPC CNI in an IPv6 EKS cluster (AmazonEKS_CNI_IPv6_Policy in the EKS user guide)',
      policy: partition.apply((p) => JSON.stringify(cniIpv6Policy(p))),
      ...(args.iam.path ? { path: args.iam.path } : {}),
      tags: args.tags,
    }, opts);
    nodePolicies.push(new aws.iam.RolePolicyAttachment(`${name}-node-cni-ipv6`, { role: nodeRole.name, policyArn: cni.arn }, opts));
  }
  // IMDSv2 only, hop limit 1: pods cannot reach the node's instance metadata, so a pod whose IRSA or
  // Pod Identity set-up is wrong fails instead of silently acting as the node role.
  const launchTemplate = new aws.ec2.LaunchTemplate(`${name}-node`, {
    metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1, ...(ipv6 ? { httpProtocolIpv6: 'enabled' } : {}) },
    tagSpecifications: [{ resourceType: 'instance', tags: { ...args.tags, Name: `${name}-node` } }],
    tags: args.tags,
  }, opts);
  const nodeGroup = new aws.eks.NodeGroup(`${name}-nodes`, {
    clusterName: cluster.name,
    nodeRoleArn: nodeRole.arn,
    subnetIds: net.privateSubnetIds,
    instanceTypes: args.nodeInstanceTypes,
    scalingConfig: { desiredSize: args.nodeCount, minSize: args.nodeCount, maxSize: args.nodeCount + 1 },
    updateConfig: { maxUnavailable: 1 },
    launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply((v) => String(v)) },
    tags: args.tags,
  }, { ...opts, dependsOn: nodePolicies });
  ready.push(nodeGroup);
  if (args.installPodIdentityAgent) {
    ready.push(new aws.eks.Addon(`${name}-pod-identity-agent`, {
      clusterName: cluster.name,
      addonName: POD_IDENTITY_AGENT,
      tags: args.tags,
    }, { ...opts, dependsOn: [nodeGroup] }));
  }

  return {
    name: cluster.name,
    arn: cluster.arn,
    endpoint: cluster.endpoint,
    certificateAuthorityData: cluster.certificateAuthority.data,
    oidcIssuerUrl: cluster.identities.apply((i) => {
      const issuer = i?.[0]?.oidcs?.[0]?.issuer;
      if (!issuer) throw new Error('the EKS cluster reports no OIDC issuer');
      return issuer;
    }),
    ready,
    vpcId: net.vpcId,
  };
}

/** The IAM OIDC provider that lets STS trust the cluster's service-account tokens (IRSA). */
export function createOidcProvider(name: string, issuerUrl: pulumi.Input<string>, tags: Record<string, string>, opts?: pulumi.CustomResourceOptions): aws.iam.OpenIdConnectProvider {
  return new aws.iam.OpenIdConnectProvider(`${name}-oidc`, {
    url: issuerUrl,
    clientIdLists: [STS_AUDIENCE],
    tags,
  }, opts);
}

/** EKS access policies an access entry can be given (cluster-wide). */
export const CLUSTER_ADMIN_POLICY = 'AmazonEKSClusterAdminPolicy';

/**
 * EKS access entries (authentication mode API): each admin principal (an IAM role or user ARN) gets
 * AmazonEKSClusterAdminPolicy on the whole cluster; each exec principal gets only the Kubernetes group
 * that the exec Role is bound to (pods/exec on the shell in the namespace, nothing else).
 */
export function createAccessEntries(name: string, clusterName: pulumi.Input<string>, args: { adminPrincipals: string[]; execPrincipals: string[]; execGroup: string; tags: Record<string, string> }, opts?: pulumi.CustomResourceOptions): pulumi.Resource[] {
  const partition = aws.getPartitionOutput({}, opts).partition;
  const out: pulumi.Resource[] = [];
  const key = (arn: string) => arn.replace(/^arn:[^:]+:iam::(\d{12}):/, '$1-').replace(/[^A-Za-z0-9-]+/g, '-');
  for (const principalArn of args.adminPrincipals) {
    const entry = new aws.eks.AccessEntry(`${name}-admin-${key(principalArn)}`, { clusterName, principalArn, type: 'STANDARD', tags: args.tags }, opts);
    out.push(entry, new aws.eks.AccessPolicyAssociation(`${name}-admin-${key(principalArn)}`, {
      clusterName,
      principalArn,
      policyArn: pulumi.interpolate`arn:${partition}:eks::aws:cluster-access-policy/${CLUSTER_ADMIN_POLICY}`,
      accessScope: { type: 'cluster' },
    }, { ...opts, dependsOn: [entry] }));
  }
  for (const principalArn of args.execPrincipals) {
    out.push(new aws.eks.AccessEntry(`${name}-exec-${key(principalArn)}`, { clusterName, principalArn, type: 'STANDARD', kubernetesGroups: [args.execGroup], tags: args.tags }, opts));
  }
  return out;
}

/** A kubeconfig whose credentials come from `aws eks get-token` (the AWS CLI with the deployer's credentials). */
export function kubeconfig(cluster: Pick<Cluster, 'name' | 'endpoint' | 'certificateAuthorityData'>, region: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.all([cluster.name, cluster.endpoint, cluster.certificateAuthorityData, region]).apply(([name, endpoint, ca, r]) =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name, cluster: { server: endpoint, 'certificate-authority-data': ca } }],
      contexts: [{ name, context: { cluster: name, user: name } }],
      'current-context': name,
      users: [
        {
          name,
          user: {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1beta1',
              command: 'aws',
              args: ['eks', 'get-token', '--cluster-name', name, '--region', r, '--output', 'json'],
              interactiveMode: 'Never',
            },
          },
        },
      ],
    }),
  );
}

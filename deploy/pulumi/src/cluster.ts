// The EKS cluster (plain @pulumi/aws resources, so every piece is visible and testable), or an existing
// cluster looked up by name; the IAM OIDC provider for IRSA; a kubeconfig for the Kubernetes provider.
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { createNetwork } from './network';
import { serviceTrustPolicy, STS_AUDIENCE } from './policies';

export interface Cluster {
  name: pulumi.Output<string>;
  endpoint: pulumi.Output<string>;
  certificateAuthorityData: pulumi.Output<string>;
  /** https://oidc.eks.REGION.amazonaws.com/id/ID */
  oidcIssuerUrl: pulumi.Output<string>;
  /** Resources the workload must wait for (nodes, the Pod Identity agent). */
  ready: pulumi.Resource[];
  vpcId?: pulumi.Output<string>;
}

export interface ClusterArgs {
  existingClusterName?: string;
  kubernetesVersion?: string;
  nodeInstanceTypes: string[];
  nodeCount: number;
  vpcCidr: string;
  installPodIdentityAgent: boolean;
  tags: Record<string, string>;
}

function managedPolicy(partition: pulumi.Output<string>, policy: string): pulumi.Output<string> {
  return pulumi.interpolate`arn:${partition}:iam::aws:policy/${policy}`;
}

export function createCluster(name: string, args: ClusterArgs, opts?: pulumi.CustomResourceOptions): Cluster {
  const ready: pulumi.Resource[] = [];
  if (args.existingClusterName) {
    const c = aws.eks.getClusterOutput({ name: args.existingClusterName }, opts);
    if (args.installPodIdentityAgent) {
      ready.push(new aws.eks.Addon(`${name}-pod-identity-agent`, { clusterName: c.name, addonName: 'eks-pod-identity-agent', tags: args.tags }, opts));
    }
    return {
      name: c.name,
      endpoint: c.endpoint,
      certificateAuthorityData: c.certificateAuthorities.apply((a) => a[0]!.data),
      oidcIssuerUrl: c.identities.apply((i) => i[0]!.oidcs[0]!.issuer),
      ready,
    };
  }

  const partition = aws.getPartitionOutput({}, opts).partition;
  const net = createNetwork(name, { vpcCidr: args.vpcCidr, tags: args.tags }, opts);

  const clusterRole = new aws.iam.Role(`${name}-cluster`, {
    assumeRolePolicy: JSON.stringify(serviceTrustPolicy('eks.amazonaws.com')),
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
      endpointPublicAccess: true,
    },
    accessConfig: { authenticationMode: 'API', bootstrapClusterCreatorAdminPermissions: true },
    enabledClusterLogTypes: ['api', 'audit', 'authenticator'],
    tags: args.tags,
  }, { ...opts, dependsOn: [clusterPolicy] });

  const nodeRole = new aws.iam.Role(`${name}-node`, {
    assumeRolePolicy: JSON.stringify(serviceTrustPolicy('ec2.amazonaws.com')),
    tags: args.tags,
  }, opts);
  const nodePolicies = ['AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy', 'AmazonEC2ContainerRegistryReadOnly'].map(
    (p) => new aws.iam.RolePolicyAttachment(`${name}-node-${p}`, { role: nodeRole.name, policyArn: managedPolicy(partition, p) }, opts),
  );
  // IMDSv2 only, hop limit 1: pods cannot reach the node's instance metadata, so a pod whose IRSA or
  // Pod Identity set-up is wrong fails instead of silently acting as the node role.
  const launchTemplate = new aws.ec2.LaunchTemplate(`${name}-node`, {
    metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1 },
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
      addonName: 'eks-pod-identity-agent',
      tags: args.tags,
    }, { ...opts, dependsOn: [nodeGroup] }));
  }

  return {
    name: cluster.name,
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

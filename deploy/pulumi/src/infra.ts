// The whole deployment: cluster (new or existing), bucket, a role that can use only that bucket, the
// identity binding (IRSA or EKS Pod Identity), and s3k in the cluster.
import * as aws from '@pulumi/aws';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { InfraArgs } from './config';
import { createCluster, createOidcProvider, kubeconfig } from './cluster';
import { bucketAccessPolicy, irsaTrustPolicy, podIdentityTrustPolicy, tlsOnlyBucketPolicy } from './policies';
import { backupCronJob, deployment, namespace as namespaceManifest, serviceAccount, type WorkloadArgs } from './workload';

export interface Infra {
  clusterName: pulumi.Output<string>;
  bucketName: pulumi.Output<string>;
  roleArn: pulumi.Output<string>;
  oidcProviderArn?: pulumi.Output<string>;
  kubeconfig: pulumi.Output<string>;
  namespace: string;
  serviceAccountName: string;
  /** For tests and stack outputs: the Kubernetes objects created, by kind/name. */
  k8sResources: pulumi.CustomResource[];
}

export function createInfra(name: string, args: InfraArgs): Infra {
  const tags = { 'app.kubernetes.io/part-of': 's3k', ...args.tags };
  const { namespace, serviceAccountName: sa } = args;
  const region = aws.getRegionOutput().region;

  // --- cluster
  const cluster = createCluster(name, {
    existingClusterName: args.existingClusterName,
    kubernetesVersion: args.kubernetesVersion,
    nodeInstanceTypes: args.nodeInstanceTypes,
    nodeCount: args.nodeCount,
    vpcCidr: args.vpcCidr,
    installPodIdentityAgent: args.identity === 'pod-identity' && args.installPodIdentityAgent,
    tags,
  });

  // --- bucket: private, encrypted, owner-enforced, TLS only, versioned
  const bucket = new aws.s3.Bucket(`${name}-data`, { forceDestroy: args.bucketForceDestroy, tags });
  const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(`${name}-data`, {
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  new aws.s3.BucketOwnershipControls(`${name}-data`, { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } });
  new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-data`, {
    bucket: bucket.id,
    rules: [
      args.kmsKeyArn
        ? { applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: args.kmsKeyArn }, bucketKeyEnabled: true }
        : { applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } },
    ],
  });
  if (args.bucketVersioning) {
    new aws.s3.BucketVersioning(`${name}-data`, { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } });
  }
  new aws.s3.BucketPolicy(`${name}-data`, {
    bucket: bucket.id,
    policy: bucket.arn.apply((arn) => JSON.stringify(tlsOnlyBucketPolicy(arn))),
  }, { dependsOn: [publicAccessBlock] });

  // --- the role: trusted by one service account, allowed one bucket
  let oidcProviderArn: pulumi.Output<string> | undefined;
  let assumeRolePolicy: pulumi.Output<string>;
  if (args.identity === 'irsa') {
    oidcProviderArn = args.existingOidcProviderArn
      ? pulumi.output(args.existingOidcProviderArn)
      : createOidcProvider(name, cluster.oidcIssuerUrl, tags).arn;
    assumeRolePolicy = pulumi.all([oidcProviderArn, cluster.oidcIssuerUrl]).apply(([arn, issuer]) =>
      JSON.stringify(irsaTrustPolicy(arn, issuer, namespace, sa)));
  } else {
    assumeRolePolicy = cluster.name.apply((c) => JSON.stringify(podIdentityTrustPolicy(c, namespace, sa)));
  }
  const role = new aws.iam.Role(`${name}-s3k`, {
    description: `s3k in ${namespace}/${sa}: one bucket`,
    assumeRolePolicy,
    maxSessionDuration: 3600,
    tags,
  });
  new aws.iam.RolePolicy(`${name}-s3k-bucket`, {
    role: role.name,
    policy: bucket.arn.apply((arn) => JSON.stringify(bucketAccessPolicy(arn, { kmsKeyArn: args.kmsKeyArn, listAllBuckets: args.listAllBuckets }))),
  });
  const bindings: pulumi.Resource[] = [];
  if (args.identity === 'pod-identity') {
    bindings.push(new aws.eks.PodIdentityAssociation(`${name}-s3k`, {
      clusterName: cluster.name,
      namespace,
      serviceAccount: sa,
      roleArn: role.arn,
      tags,
    }, { dependsOn: cluster.ready }));
  }

  // --- Kubernetes
  const kc = kubeconfig(cluster, region);
  const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: kc, enableServerSideApply: true }, { dependsOn: cluster.ready });
  const k8sOpts: pulumi.CustomResourceOptions = { provider };
  const created: pulumi.CustomResource[] = [];
  let nsDep: pulumi.Resource[] = [];
  if (args.createNamespace) {
    const ns = new k8s.core.v1.Namespace(`${name}-ns`, namespaceManifest(namespace), k8sOpts);
    created.push(ns);
    nsDep = [ns];
  }
  const w: WorkloadArgs = {
    namespace,
    serviceAccountName: sa,
    image: args.image,
    roleArn: args.identity === 'irsa' ? role.arn : undefined,
    target: pulumi.interpolate`s3://${bucket.bucket}/`,
    region,
  };
  const serviceAccountRes = new k8s.core.v1.ServiceAccount(`${name}-sa`, serviceAccount(w), { ...k8sOpts, dependsOn: nsDep });
  created.push(serviceAccountRes);
  // The pods start after the ServiceAccount has its annotation (IRSA) or the association exists (Pod
  // Identity): both are read when a pod is created, never later.
  const podDeps = [serviceAccountRes, ...bindings];
  created.push(new k8s.apps.v1.Deployment(`${name}-shell`, deployment(w), { ...k8sOpts, dependsOn: podDeps }));
  if (args.backupClaimName) {
    created.push(new k8s.batch.v1.CronJob(`${name}-backup`, backupCronJob({ ...w, claimName: args.backupClaimName, schedule: args.backupSchedule }), { ...k8sOpts, dependsOn: podDeps }));
  }

  return {
    clusterName: cluster.name,
    bucketName: bucket.bucket,
    roleArn: role.arn,
    oidcProviderArn,
    kubeconfig: kc,
    namespace,
    serviceAccountName: sa,
    k8sResources: created,
  };
}

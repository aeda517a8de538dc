// The whole deployment: cluster (new or existing), bucket, a role that can use only that bucket, the
// identity binding (IRSA or EKS Pod Identity), and s3k in the cluster.
import * as aws from '@pulumi/aws';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { InfraArgs } from './config';
import { lifecycleRules } from './bucket';
import { createCluster, createOidcProvider, kubeconfig } from './cluster';
import { irsaTrustPolicy, podIdentityTrustPolicy, prefixWriterPolicy, readOnlyBucketPolicy, tlsOnlyBucketPolicy, type PolicyDocument } from './policies';
import { backupCronJob, deployment, namespace as namespaceManifest, serviceAccount, type WorkloadArgs } from './workload';

export interface Infra {
  clusterName: pulumi.Output<string>;
  bucketName: pulumi.Output<string>;
  /** The shell's role (reads the bucket). */
  roleArn: pulumi.Output<string>;
  /** The backup's role (writes under backupPrefix), with backupClaimName. */
  backupRoleArn?: pulumi.Output<string>;
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

  // --- bucket: private, encrypted, owner-enforced, TLS 1.2 or later only, versioned, with lifecycle rules
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
  const versioning = args.bucketVersioning
    ? [new aws.s3.BucketVersioning(`${name}-data`, { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } })]
    : [];
  new aws.s3.BucketLifecycleConfiguration(`${name}-data`, {
    bucket: bucket.id,
    rules: lifecycleRules({ versioning: args.bucketVersioning, noncurrentVersionExpirationDays: args.noncurrentVersionExpirationDays }),
  }, { dependsOn: versioning });
  new aws.s3.BucketPolicy(`${name}-data`, {
    bucket: bucket.id,
    policy: bucket.arn.apply((arn) => JSON.stringify(tlsOnlyBucketPolicy(arn))),
  }, { dependsOn: [publicAccessBlock] });

  // --- one role per workload, each trusted by its own service account only (IRSA or Pod Identity):
  // the interactive shell reads the bucket; the backup writes under its prefix only.
  let oidcProviderArn: pulumi.Output<string> | undefined;
  if (args.identity === 'irsa') {
    oidcProviderArn = args.existingOidcProviderArn
      ? pulumi.output(args.existingOidcProviderArn)
      : createOidcProvider(name, cluster.oidcIssuerUrl, tags).arn;
  }
  const bindings: pulumi.Resource[] = [];
  const workloadRole = (suffix: string, serviceAccount: string, description: string, policy: pulumi.Output<string>): aws.iam.Role => {
    const assumeRolePolicy = oidcProviderArn
      ? pulumi.all([oidcProviderArn, cluster.oidcIssuerUrl]).apply(([arn, issuer]) => JSON.stringify(irsaTrustPolicy(arn, issuer, namespace, serviceAccount)))
      : cluster.name.apply((c) => JSON.stringify(podIdentityTrustPolicy(c, namespace, serviceAccount)));
    const role = new aws.iam.Role(`${name}-${suffix}`, {
      description: `s3k in ${namespace}/${serviceAccount}: ${description}`,
      assumeRolePolicy,
      maxSessionDuration: 3600,
      tags,
    });
    new aws.iam.RolePolicy(`${name}-${suffix}-bucket`, { role: role.name, policy });
    if (args.identity === 'pod-identity') {
      bindings.push(new aws.eks.PodIdentityAssociation(`${name}-${suffix}`, {
        clusterName: cluster.name,
        namespace,
        serviceAccount,
        roleArn: role.arn,
        tags,
      }, { dependsOn: cluster.ready }));
    }
    return role;
  };
  const policyJson = (build: (arn: string, region: string) => PolicyDocument) =>
    pulumi.all([bucket.arn, region]).apply(([arn, r]) => JSON.stringify(build(arn, r)));
  const role = workloadRole('s3k', sa, 'reads one bucket', policyJson((arn, r) =>
    readOnlyBucketPolicy(arn, { kmsKeyArn: args.kmsKeyArn, region: r, listAllBuckets: args.listAllBuckets })));
  const backupRole = args.backupClaimName
    ? workloadRole('backup', args.backupServiceAccountName, `writes under ${args.backupPrefix} in one bucket`, policyJson((arn, r) =>
      prefixWriterPolicy(arn, args.backupPrefix, { kmsKeyArn: args.kmsKeyArn, region: r })))
    : undefined;

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
  created.push(new k8s.apps.v1.Deployment(`${name}-shell`, deployment(w), { ...k8sOpts, dependsOn: [serviceAccountRes, ...bindings] }));
  if (args.backupClaimName && backupRole) {
    const b: WorkloadArgs = { ...w, serviceAccountName: args.backupServiceAccountName, roleArn: args.identity === 'irsa' ? backupRole.arn : undefined };
    const backupSa = new k8s.core.v1.ServiceAccount(`${name}-backup-sa`, serviceAccount(b, 'backup'), { ...k8sOpts, dependsOn: nsDep });
    created.push(backupSa);
    created.push(new k8s.batch.v1.CronJob(`${name}-backup`, backupCronJob({ ...b, claimName: args.backupClaimName, schedule: args.backupSchedule, prefix: args.backupPrefix }),
      { ...k8sOpts, dependsOn: [backupSa, ...bindings] }));
  }

  return {
    clusterName: cluster.name,
    bucketName: bucket.bucket,
    roleArn: role.arn,
    backupRoleArn: backupRole?.arn,
    oidcProviderArn,
    kubeconfig: kc,
    namespace,
    serviceAccountName: sa,
    k8sResources: created,
  };
}

// The whole deployment as one component resource (s3k:index:Deployment): cluster (new or existing),
// bucket, one role per workload that can use only that bucket, the identity binding (IRSA or EKS Pod
// Identity), EKS access entries, and s3k in the cluster. Every resource is a child of the component, so
// `pulumi stack` shows one tree and a platform team can instantiate it next to its own resources.
import * as aws from '@pulumi/aws';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { InfraArgs } from './config';
import { lifecycleRules } from './bucket';
import { createAccessEntries, createCluster, createOidcProvider, kubeconfig, roleSettings } from './cluster';
import { irsaTrustPolicy, podIdentityTrustPolicy, prefixWriterPolicy, readOnlyBucketPolicy, tlsOnlyBucketPolicy, type PolicyDocument } from './policies';
import {
  EXEC_GROUP, backupCronJob, deployment, execRole, execRoleBinding, namespace as namespaceManifest, serviceAccount, type WorkloadArgs,
} from './workload';

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

export class S3kDeployment extends pulumi.ComponentResource implements Infra {
  static readonly TYPE = 's3k:index:Deployment';
  readonly clusterName: pulumi.Output<string>;
  readonly bucketName: pulumi.Output<string>;
  readonly roleArn: pulumi.Output<string>;
  readonly backupRoleArn?: pulumi.Output<string>;
  readonly oidcProviderArn?: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;
  readonly namespace: string;
  readonly serviceAccountName: string;
  readonly k8sResources: pulumi.CustomResource[] = [];

  constructor(name: string, args: InfraArgs, opts?: pulumi.ComponentResourceOptions) {
    super(S3kDeployment.TYPE, name, {}, opts);
    // Every resource is the component's child. Stacks made before the component had them at the stack's
    // root: the alias lets `pulumi up` keep them (a new URN without it would replace every resource).
    const parent: pulumi.CustomResourceOptions = { parent: this, aliases: [{ parent: pulumi.rootStackResource }] };
    const tags = { 'app.kubernetes.io/part-of': 's3k', ...args.tags };
    const { namespace, serviceAccountName: sa } = args;
    const region = aws.getRegionOutput({}, parent).region;
    const account = aws.getCallerIdentityOutput({}, parent).accountId;
    const iam = { path: args.iamPath, permissionsBoundary: args.permissionsBoundary };

    // --- cluster
    const cluster = createCluster(name, {
      existingClusterName: args.existingClusterName,
      kubernetesVersion: args.kubernetesVersion,
      nodeInstanceTypes: args.nodeInstanceTypes,
      nodeCount: args.nodeCount,
      vpcCidr: args.vpcCidr,
      ipFamily: args.ipFamily,
      apiPublicAccessCidrs: args.apiPublicAccessCidrs,
      installPodIdentityAgent: args.identity === 'pod-identity' && args.installPodIdentityAgent,
      requirePodIdentityAgent: args.identity === 'pod-identity' && args.podIdentityAgentCheck,
      iam,
      tags,
    }, parent);
    const access = createAccessEntries(name, cluster.name, { adminPrincipals: args.adminPrincipals, execPrincipals: args.execPrincipals, execGroup: EXEC_GROUP, tags }, parent);

    // --- bucket: private, encrypted, owner-enforced, TLS 1.2 or later only, versioned, with lifecycle rules
    const bucket = new aws.s3.Bucket(`${name}-data`, { forceDestroy: args.bucketForceDestroy, tags }, parent);
    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(`${name}-data`, {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    }, parent);
    new aws.s3.BucketOwnershipControls(`${name}-data`, { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } }, parent);
    new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-data`, {
      bucket: bucket.id,
      rules: [
        args.kmsKeyArn
          ? { applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: args.kmsKeyArn }, bucketKeyEnabled: true }
          : { applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } },
      ],
    }, parent);
    const versioning = args.bucketVersioning
      ? [new aws.s3.BucketVersioning(`${name}-data`, { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } }, parent)]
      : [];
    new aws.s3.BucketLifecycleConfiguration(`${name}-data`, {
      bucket: bucket.id,
      rules: lifecycleRules({ versioning: args.bucketVersioning, noncurrentVersionExpirationDays: args.noncurrentVersionExpirationDays }),
    }, { ...parent, dependsOn: versioning });
    new aws.s3.BucketPolicy(`${name}-data`, {
      bucket: bucket.id,
      policy: bucket.arn.apply((arn) => JSON.stringify(tlsOnlyBucketPolicy(arn))),
    }, { ...parent, dependsOn: [publicAccessBlock] });

    // --- one role per workload, each trusted by its own service account only (IRSA or Pod Identity):
    // the interactive shell reads the bucket; the backup writes under its prefix only.
    if (args.identity === 'irsa') {
      this.oidcProviderArn = args.existingOidcProviderArn
        ? pulumi.output(args.existingOidcProviderArn)
        : createOidcProvider(name, cluster.oidcIssuerUrl, tags, parent).arn;
    }
    const oidcProviderArn = this.oidcProviderArn;
    // Pod Identity on an existing cluster: the association waits for the agent check (a clear failure without it)
    const associationCluster = cluster.podIdentityAgent ? pulumi.all([cluster.name, cluster.podIdentityAgent]).apply(([n]) => n) : cluster.name;
    const bindings: pulumi.Resource[] = [];
    const workloadRole = (suffix: string, serviceAccountName: string, description: string, policy: pulumi.Output<string>): aws.iam.Role => {
      const assumeRolePolicy = oidcProviderArn
        ? pulumi.all([oidcProviderArn, cluster.oidcIssuerUrl]).apply(([arn, issuer]) => JSON.stringify(irsaTrustPolicy(arn, issuer, namespace, serviceAccountName)))
        : pulumi.all([cluster.arn, account]).apply(([arn, acct]) => JSON.stringify(podIdentityTrustPolicy(arn, acct, namespace, serviceAccountName)));
      const role = new aws.iam.Role(`${name}-${suffix}`, {
        description: `s3k in ${namespace}/${serviceAccountName}: ${description}`,
        assumeRolePolicy,
        maxSessionDuration: 3600,
        ...roleSettings(iam),
        tags,
      }, parent);
      new aws.iam.RolePolicy(`${name}-${suffix}-bucket`, { role: role.name, policy }, parent);
      if (args.identity === 'pod-identity') {
        bindings.push(new aws.eks.PodIdentityAssociation(`${name}-${suffix}`, {
          clusterName: associationCluster,
          namespace,
          serviceAccount: serviceAccountName,
          roleArn: role.arn,
          tags,
        }, { ...parent, dependsOn: cluster.ready }));
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

    // --- Kubernetes, through a provider for this cluster (after the nodes, the agent and the access entries)
    const kc = kubeconfig(cluster, region);
    const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: kc, enableServerSideApply: true }, { ...parent, dependsOn: [...cluster.ready, ...access] });
    const k8sOpts: pulumi.CustomResourceOptions = { ...parent, provider };
    const created = this.k8sResources;
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
    if (args.execPrincipals.length > 0) {
      created.push(new k8s.rbac.v1.Role(`${name}-exec`, execRole(namespace), { ...k8sOpts, dependsOn: nsDep }));
      created.push(new k8s.rbac.v1.RoleBinding(`${name}-exec`, execRoleBinding(namespace), { ...k8sOpts, dependsOn: nsDep }));
    }
    if (args.backupClaimName && backupRole) {
      const b: WorkloadArgs = { ...w, serviceAccountName: args.backupServiceAccountName, roleArn: args.identity === 'irsa' ? backupRole.arn : undefined };
      const backupSa = new k8s.core.v1.ServiceAccount(`${name}-backup-sa`, serviceAccount(b, 'backup'), { ...k8sOpts, dependsOn: nsDep });
      created.push(backupSa);
      created.push(new k8s.batch.v1.CronJob(`${name}-backup`, backupCronJob({ ...b, claimName: args.backupClaimName, schedule: args.backupSchedule, prefix: args.backupPrefix }),
        { ...k8sOpts, dependsOn: [backupSa, ...bindings] }));
    }

    this.clusterName = cluster.name;
    this.bucketName = bucket.bucket;
    this.roleArn = role.arn;
    this.backupRoleArn = backupRole?.arn;
    this.kubeconfig = kc;
    this.namespace = namespace;
    this.serviceAccountName = sa;
    this.registerOutputs({
      clusterName: this.clusterName,
      bucketName: this.bucketName,
      roleArn: this.roleArn,
      backupRoleArn: this.backupRoleArn,
      oidcProviderArn: this.oidcProviderArn,
      kubeconfig: pulumi.secret(kc),
    });
  }
}

/** The deployment as a component named `name` (index.ts: s3k-<stack>). */
export function createInfra(name: string, args: InfraArgs, opts?: pulumi.ComponentResourceOptions): S3kDeployment {
  return new S3kDeployment(name, args, opts);
}

// The Pulumi program (deploy/pulumi) under Pulumi's mocks: no CLI, no plugins, no cloud. Every
// resource the program registers is recorded with its fully resolved inputs; the tests read the IAM
// documents AWS would receive, the Kubernetes objects the cluster would receive (validated against the
// Kubernetes schemas), and how they are wired (the annotation is the role's ARN output, the workload
// goes through the cluster's provider).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as pulumi from '@pulumi/pulumi';
import { REPO_ROOT } from '../support/lab.ts';
import { PSA_VERSION, podSpecOf, readManifests, securityProblems, validateManifest, type Manifest } from '../../deploy/k8s/validate.ts';
import type { InfraArgs } from '../../deploy/pulumi/src/config.ts';
import type { PolicyDocument } from '../../deploy/pulumi/src/policies.ts';

/**
 * The program under test: deploy/pulumi, or a copy of it (S3K_PULUMI_PROGRAM, set by the mutation test
 * test/unit/deploy-mutations.test.ts, which checks that these tests fail on insecure changes).
 */
const PROGRAM = process.env.S3K_PULUMI_PROGRAM ?? path.join(REPO_ROOT, 'deploy', 'pulumi');

const ACCOUNT = '210987654321';
const REGION = 'eu-west-1';
const OIDC_ID = 'A1B2C3D4E5F60718293A4B5C6D7E8F90';
const ISSUER = `https://oidc.eks.${REGION}.amazonaws.com/id/${OIDC_ID}`;
const ISSUER_HOST = ISSUER.replace('https://', '');
const EXISTING_ISSUER = `https://oidc.eks.${REGION}.amazonaws.com/id/EXISTING0000000000000000000000FF`;
const VPC_IPV6 = '2600:1f18:4a2b:c300::/56';
/** An existing cluster without the eks-pod-identity-agent add-on. */
const NO_AGENT_CLUSTER = 'no-agent-eks';

interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>;
  state: Record<string, any>;
  provider?: string;
}
const resources: Recorded[] = [];
const calls: { token: string; inputs: Record<string, any> }[] = [];

/** Made-up provider outputs per type token (what AWS would compute). */
function computed(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
  const physical = `${name}-1a2b3c4`;
  switch (type) {
    case 'aws:eks/cluster:Cluster':
      return {
        name: physical,
        arn: `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/${physical}`,
        endpoint: `https://${OIDC_ID}.gr7.${REGION}.eks.amazonaws.com`,
        certificateAuthority: { data: Buffer.from('-----BEGIN CERTIFICATE-----\nMOCK\n-----END CERTIFICATE-----\n').toString('base64') },
        identities: [{ oidcs: [{ issuer: ISSUER }] }],
      };
    case 'aws:iam/openIdConnectProvider:OpenIdConnectProvider':
      return { arn: `arn:aws:iam::${ACCOUNT}:oidc-provider/${String(inputs.url).replace('https://', '')}` };
    case 'aws:iam/role:Role':
      return { name: physical, arn: `arn:aws:iam::${ACCOUNT}:role/${physical}` };
    case 'aws:s3/bucket:Bucket':
      return { bucket: physical, arn: `arn:aws:s3:::${physical}` };
    case 'aws:ec2/launchTemplate:LaunchTemplate':
      return { latestVersion: 1 };
    case 'aws:ec2/vpc:Vpc':
      return inputs.assignGeneratedIpv6CidrBlock ? { ipv6CidrBlock: VPC_IPV6 } : {};
    case 'aws:iam/policy:Policy':
      return { arn: `arn:aws:iam::${ACCOUNT}:policy${inputs.path ?? '/'}${physical}` };
    default:
      return {};
  }
}

const mocks: pulumi.runtime.Mocks = {
  newResource(args) {
    const state = { ...args.inputs, ...computed(args.type, args.name, args.inputs) };
    resources.push({ type: args.type, name: args.name, inputs: args.inputs, state, provider: args.provider });
    return { id: `${args.name}-id`, state };
  },
  call(args) {
    calls.push({ token: args.token, inputs: args.inputs });
    switch (args.token) {
      case 'aws:index/getRegion:getRegion': return { region: REGION, name: REGION, id: REGION };
      case 'aws:index/getPartition:getPartition': return { partition: 'aws', dnsSuffix: 'amazonaws.com', id: 'aws' };
      case 'aws:index/getAvailabilityZones:getAvailabilityZones': return { names: [`${REGION}a`, `${REGION}b`, `${REGION}c`], zoneIds: ['euw1-az1', 'euw1-az2', 'euw1-az3'], id: REGION };
      case 'aws:index/getCallerIdentity:getCallerIdentity':
        return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:role/deployer`, userId: 'AROAEXAMPLE', id: ACCOUNT };
      case 'aws:eks/getAddon:getAddon':
        if (args.inputs.clusterName === NO_AGENT_CLUSTER) {
          throw new Error(`ResourceNotFoundException: No addon: ${args.inputs.addonName} found in cluster: ${args.inputs.clusterName}`);
        }
        return { clusterName: args.inputs.clusterName, addonName: args.inputs.addonName, addonVersion: 'v1.3.4-eksbuild.1', id: `${args.inputs.clusterName}:${args.inputs.addonName}` };
      case 'aws:eks/getCluster:getCluster':
        return {
          name: args.inputs.name,
          arn: `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/${args.inputs.name}`,
          endpoint: `https://EXISTING.gr7.${REGION}.eks.amazonaws.com`,
          certificateAuthorities: [{ data: 'RVhJU1RJTkc=' }],
          identities: [{ oidcs: [{ issuer: EXISTING_ISSUER }] }],
          id: args.inputs.name,
        };
      default: throw new Error(`unexpected invoke ${args.token}`);
    }
  },
};

// The program's modules are loaded after setMocks (gotcha: without mocks, resources "construct" and
// resolve to undefined).
let createInfra: typeof import('../../deploy/pulumi/src/infra.ts').createInfra;
let readConfig: typeof import('../../deploy/pulumi/src/config.ts').readConfig;
let policies: typeof import('../../deploy/pulumi/src/policies.ts');
let network: typeof import('../../deploy/pulumi/src/network.ts');
let workload: typeof import('../../deploy/pulumi/src/workload.ts');
const program = (file: string) => import(pathToFileURL(path.join(PROGRAM, file)).href);

const resolve = <T>(o: pulumi.Input<T> | undefined): Promise<T> => new Promise((r) => pulumi.output(o as pulumi.Input<T>).apply((v) => { r(v as T); return v; }));

/** Waits until the program has registered everything (registration is asynchronous). */
async function settle(): Promise<void> {
  let last = -1;
  let stable = 0;
  while (stable < 5) {
    await new Promise((r) => setTimeout(r, 20));
    if (resources.length === last) stable++;
    else { stable = 0; last = resources.length; }
  }
}

const baseArgs = (over: Partial<InfraArgs> = {}): InfraArgs => ({
  image: '210987654321.dkr.ecr.eu-west-1.amazonaws.com/s3k:0.1.0',
  identity: 'irsa',
  namespace: 'backup',
  createNamespace: true,
  serviceAccountName: 's3k-shell',
  backupServiceAccountName: 's3k-backup',
  backupPrefix: 'nightly/',
  installPodIdentityAgent: true,
  podIdentityAgentCheck: true,
  ipFamily: 'ipv4',
  apiPublicAccessCidrs: ['203.0.113.0/24'],
  adminPrincipals: [],
  execPrincipals: [],
  nodeInstanceTypes: ['t3.medium'],
  nodeCount: 2,
  vpcCidr: '10.20.0.0/16',
  bucketVersioning: true,
  noncurrentVersionExpirationDays: 30,
  bucketForceDestroy: false,
  listAllBuckets: false,
  tags: { team: 'platform' },
  ...over,
});

/** Runs the program once under a name prefix; returns its outputs resolved and its resources. */
async function deploy(prefix: string, args: InfraArgs) {
  const infra = createInfra(prefix, args);
  const out = {
    clusterName: await resolve(infra.clusterName),
    bucketName: await resolve(infra.bucketName),
    roleArn: await resolve(infra.roleArn),
    backupRoleArn: infra.backupRoleArn ? await resolve(infra.backupRoleArn) : undefined,
    oidcProviderArn: infra.oidcProviderArn ? await resolve(infra.oidcProviderArn) : undefined,
    kubeconfig: await resolve(infra.kubeconfig),
  };
  await Promise.all(infra.k8sResources.map((r) => resolve(r.urn)));
  await settle();
  const mine = resources.filter((r) => r.name === prefix || r.name.startsWith(`${prefix}-`));
  const of = (type: string) => mine.filter((r) => r.type === type);
  const one = (type: string, suffix?: string) => {
    const found = of(type).filter((r) => suffix === undefined || r.name === `${prefix}-${suffix}`);
    assert.equal(found.length, 1, `expected one ${type}${suffix ? ` named ${prefix}-${suffix}` : ''}, got ${found.map((r) => r.name).join(', ') || 'none'}`);
    return found[0]!;
  };
  const manifests = mine.filter((r) => r.type.startsWith('kubernetes:') && !r.type.startsWith('pulumi:providers')).map((r) => r.inputs as Manifest);
  return { infra, out, mine, of, one, manifests };
}

const doc = (json: unknown): PolicyDocument => JSON.parse(String(json)) as PolicyDocument;

before(async () => {
  await pulumi.runtime.setMocks(mocks, 's3k', 'unit', false);
  ({ createInfra } = await program('src/infra.ts'));
  ({ readConfig } = await program('src/config.ts'));
  policies = await program('src/policies.ts');
  network = await program('src/network.ts');
  workload = await program('src/workload.ts');
});

describe('pulumi: IRSA on a new EKS cluster', () => {
  let d: Awaited<ReturnType<typeof deploy>>;
  before(async () => {
    d = await deploy('irsa', baseArgs());
  });

  it('creates the VPC, the EKS cluster (plain @pulumi/aws), a node group in the private subnets and the IAM OIDC provider', () => {
    assert.equal(d.one('aws:ec2/vpc:Vpc').inputs.cidrBlock, '10.20.0.0/16');
    const subnets = d.of('aws:ec2/subnet:Subnet');
    assert.deepEqual(subnets.map((s) => s.inputs.cidrBlock).sort(), ['10.20.0.0/20', '10.20.128.0/20', '10.20.144.0/20', '10.20.16.0/20']);
    assert.deepEqual(new Set(subnets.map((s) => s.inputs.availabilityZone)), new Set([`${REGION}a`, `${REGION}b`]));
    d.one('aws:ec2/natGateway:NatGateway');
    const s3Endpoint = d.one('aws:ec2/vpcEndpoint:VpcEndpoint');
    assert.equal(s3Endpoint.inputs.serviceName, `com.amazonaws.${REGION}.s3`);
    assert.equal(s3Endpoint.inputs.vpcEndpointType, 'Gateway');

    const cluster = d.one('aws:eks/cluster:Cluster');
    assert.equal(d.of('eks:index:Cluster').length, 0, 'no @pulumi/eks component (untestable offline)');
    assert.equal(cluster.inputs.accessConfig.authenticationMode, 'API');
    assert.equal(cluster.inputs.roleArn, d.one('aws:iam/role:Role', 'cluster').state.arn);

    const ng = d.one('aws:eks/nodeGroup:NodeGroup');
    const privateIds = subnets.filter((s) => /private/.test(s.name)).map((s) => `${s.name}-id`).sort();
    assert.deepEqual([...ng.inputs.subnetIds].sort(), privateIds, 'nodes in the private subnets');
    assert.equal(ng.inputs.clusterName, d.out.clusterName);
    const lt = d.one('aws:ec2/launchTemplate:LaunchTemplate');
    assert.deepEqual(lt.inputs.metadataOptions, { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1 },
      'IMDSv2 with hop limit 1: pods cannot borrow the node role');

    const oidc = d.one('aws:iam/openIdConnectProvider:OpenIdConnectProvider');
    assert.equal(oidc.inputs.url, ISSUER);
    assert.deepEqual(oidc.inputs.clientIdLists, ['sts.amazonaws.com']);
    assert.equal(d.of('aws:eks/podIdentityAssociation:PodIdentityAssociation').length, 0);
    assert.equal(d.of('aws:eks/addon:Addon').length, 0);
  });

  it('trust policy: AssumeRoleWithWebIdentity from the OIDC provider, only for system:serviceaccount:<ns>:<sa> with aud sts.amazonaws.com', () => {
    const role = d.one('aws:iam/role:Role', 's3k');
    const trust = doc(role.inputs.assumeRolePolicy);
    assert.equal(trust.Statement.length, 1);
    const st = trust.Statement[0]!;
    assert.equal(st.Effect, 'Allow');
    assert.deepEqual(st.Principal, { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/${ISSUER_HOST}` });
    assert.equal(d.out.oidcProviderArn, (st.Principal as Record<string, string>).Federated);
    assert.equal(st.Action, 'sts:AssumeRoleWithWebIdentity');
    assert.deepEqual(st.Condition, {
      StringEquals: {
        [`${ISSUER_HOST}:sub`]: 'system:serviceaccount:backup:s3k-shell',
        [`${ISSUER_HOST}:aud`]: 'sts.amazonaws.com',
      },
    }, 'exactly sub and aud, with StringEquals (no wildcard), keyed by the issuer without https://');
    assert.equal(role.inputs.maxSessionDuration, 3600);
  });

  it('role policy: the shell reads the one bucket, nothing else (no write, no delete, no s3:*, no ListAllMyBuckets)', () => {
    const bucket = d.one('aws:s3/bucket:Bucket');
    const arn = bucket.state.arn as string;
    const rp = d.one('aws:iam/rolePolicy:RolePolicy');
    assert.equal(rp.inputs.role, d.one('aws:iam/role:Role', 's3k').state.name);
    assert.deepEqual(doc(rp.inputs.policy), {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'ListBucket', Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetBucketLocation'], Resource: arn },
        { Sid: 'ReadObjects', Effect: 'Allow', Action: 's3:GetObject', Resource: `${arn}/*` },
      ],
    });
    assert.equal(d.of('aws:iam/role:Role').filter((r) => /backup/.test(r.name)).length, 0, 'no backup role without backupClaimName');
    assert.equal(d.of('aws:iam/rolePolicyAttachment:RolePolicyAttachment').filter((a) => /S3|s3/.test(String(a.inputs.policyArn))).length, 0, 'no AmazonS3FullAccess');
  });

  it('bucket: public access blocked, encrypted, owner-enforced, versioned, TLS 1.2+ only bucket policy, not force-destroyed', () => {
    const bucket = d.one('aws:s3/bucket:Bucket');
    assert.equal(bucket.inputs.forceDestroy, false);
    const pab = d.one('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock');
    assert.equal(pab.inputs.bucket, `${bucket.name}-id`);
    for (const k of ['blockPublicAcls', 'blockPublicPolicy', 'ignorePublicAcls', 'restrictPublicBuckets']) assert.equal(pab.inputs[k], true, k);
    const sse = d.one('aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration');
    assert.equal(sse.inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm, 'AES256');
    assert.equal(d.one('aws:s3/bucketOwnershipControls:BucketOwnershipControls').inputs.rule.objectOwnership, 'BucketOwnerEnforced');
    assert.equal(d.one('aws:s3/bucketVersioning:BucketVersioning').inputs.versioningConfiguration.status, 'Enabled');
    const bp = doc(d.one('aws:s3/bucketPolicy:BucketPolicy').inputs.policy);
    const resources = [bucket.state.arn, `${bucket.state.arn}/*`];
    assert.deepEqual(bp, {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: resources, Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
        { Sid: 'DenyOutdatedTls', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: resources, Condition: { NumericLessThan: { 's3:TlsVersion': '1.2' } } },
      ],
    }, 'no plain HTTP, no TLS below 1.2');
  });

  it('ServiceAccount: annotated with the role ARN output, in the namespace the trust policy names', () => {
    const sa = d.manifests.find((m) => m.kind === 'ServiceAccount')!;
    assert.ok(sa);
    assert.equal(sa.metadata?.name, 's3k-shell');
    assert.equal(sa.metadata?.namespace, 'backup');
    const ann = sa.metadata?.annotations as Record<string, string>;
    assert.equal(ann['eks.amazonaws.com/role-arn'], d.out.roleArn);
    assert.equal(ann['eks.amazonaws.com/role-arn'], d.one('aws:iam/role:Role', 's3k').state.arn);
    assert.equal(sa.automountServiceAccountToken, false);
  });

  it('workload: the original Deployment (sh -c loop) with the image, the service account, the bucket, secure defaults', () => {
    const dep = d.manifests.find((m) => m.kind === 'Deployment')!;
    assert.ok(dep);
    const pod = (dep.spec as any).template.spec;
    assert.equal(pod.serviceAccountName, 's3k-shell');
    const c = pod.containers[0];
    assert.equal(c.image, baseArgs().image);
    assert.deepEqual(c.command.slice(0, 2), ['sh', '-c']);
    const yamlDep = readManifests(path.join(REPO_ROOT, 'deploy', 'k8s', 'deployment.yaml'))[0]!;
    assert.equal(c.command[2], podSpecOf(yamlDep)!.containers[0].command[2], 'the same script as deploy/k8s/deployment.yaml (refuses to start without credentials)');
    assert.deepEqual(c.env.filter((e: { name: string }) => e.name.startsWith('POD_')), podSpecOf(yamlDep)!.containers[0].env.filter((e: { name: string }) => e.name.startsWith('POD_')));
    const env = Object.fromEntries((c.env as { name: string; value: string }[]).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
    assert.equal(env.S3_TARGET, `s3://${d.out.bucketName}/`);
    assert.equal(env.AWS_REGION, REGION);
    assert.equal(env.AWS_EC2_METADATA_DISABLED, 'true');
    assert.deepEqual(securityProblems(dep), []);
    const ns = d.manifests.find((m) => m.kind === 'Namespace')!;
    assert.equal(ns.metadata?.name, 'backup');
    assert.deepEqual(ns.metadata?.labels, {
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': PSA_VERSION,
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/warn-version': 'latest',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/audit-version': 'latest',
    });
    assert.deepEqual(securityProblems(ns), []);
    assert.equal(workload.POD_SECURITY_VERSION, PSA_VERSION, 'the same pinned version as deploy/k8s/namespace.yaml');
    assert.equal(d.manifests.filter((m) => m.kind === 'CronJob').length, 0, 'no backup CronJob unless backupClaimName is set');
  });

  it('every Kubernetes object goes through the cluster provider, whose kubeconfig points at the new cluster', () => {
    const provider = d.one('pulumi:providers:kubernetes', 'k8s');
    const kc = JSON.parse(provider.inputs.kubeconfig);
    assert.equal(provider.inputs.kubeconfig, d.out.kubeconfig);
    assert.equal(kc.clusters[0].cluster.server, d.one('aws:eks/cluster:Cluster').state.endpoint);
    assert.equal(kc.users[0].user.exec.command, 'aws');
    assert.deepEqual(kc.users[0].user.exec.args.slice(0, 4), ['eks', 'get-token', '--cluster-name', d.out.clusterName]);
    const k8sRes = d.mine.filter((r) => r.type.startsWith('kubernetes:'));
    assert.ok(k8sRes.length >= 3);
    for (const r of k8sRes) assert.match(r.provider ?? '', /::irsa-k8s::/, `${r.type} ${r.name} uses the cluster provider`);
  });

  it('every rendered manifest is valid against the Kubernetes schemas (no unknown fields)', async () => {
    assert.ok(d.manifests.length >= 3);
    for (const m of d.manifests) assert.deepEqual(await validateManifest(m), [], `${m.kind}/${m.metadata?.name}`);
  });
});

describe('pulumi: EKS Pod Identity', () => {
  let d: Awaited<ReturnType<typeof deploy>>;
  before(async () => {
    d = await deploy('podid', baseArgs({ identity: 'pod-identity', backupClaimName: 'app-data', backupSchedule: '5 3 * * *' }));
  });

  it('trust policy: pods.eks.amazonaws.com with AssumeRole + TagSession, only this cluster (name tag and aws:SourceArn), account (aws:SourceAccount), namespace and service account', () => {
    const trust = doc(d.one('aws:iam/role:Role', 's3k').inputs.assumeRolePolicy);
    assert.equal(trust.Statement.length, 1);
    assert.deepEqual(trust.Statement[0], {
      Sid: 'PodIdentityOneServiceAccount',
      Effect: 'Allow',
      Principal: { Service: 'pods.eks.amazonaws.com' },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
      Condition: {
        StringEquals: {
          'aws:SourceAccount': ACCOUNT,
          'aws:RequestTag/eks-cluster-name': d.out.clusterName,
          'aws:RequestTag/kubernetes-namespace': 'backup',
          'aws:RequestTag/kubernetes-service-account': 's3k-shell',
        },
        ArnEquals: { 'aws:SourceArn': d.one('aws:eks/cluster:Cluster').state.arn },
      },
    });
  });

  it('an association per service account (shell, backup) with its own role, the agent add-on, no OIDC provider, no annotation', () => {
    const assocs = d.of('aws:eks/podIdentityAssociation:PodIdentityAssociation')
      .map((a) => ({ clusterName: a.inputs.clusterName, namespace: a.inputs.namespace, serviceAccount: a.inputs.serviceAccount, roleArn: a.inputs.roleArn }));
    assert.deepEqual(assocs, [
      { clusterName: d.out.clusterName, namespace: 'backup', serviceAccount: 's3k-shell', roleArn: d.out.roleArn },
      { clusterName: d.out.clusterName, namespace: 'backup', serviceAccount: 's3k-backup', roleArn: d.out.backupRoleArn },
    ]);
    assert.notEqual(d.out.roleArn, d.out.backupRoleArn);
    assert.equal(d.one('aws:eks/addon:Addon').inputs.addonName, 'eks-pod-identity-agent');
    assert.equal(d.of('aws:iam/openIdConnectProvider:OpenIdConnectProvider').length, 0);
    assert.equal(d.out.oidcProviderArn, undefined);
    const sas = d.manifests.filter((m) => m.kind === 'ServiceAccount');
    assert.deepEqual(sas.map((m) => m.metadata?.name), ['s3k-shell', 's3k-backup']);
    for (const sa of sas) assert.equal(sa.metadata?.annotations, undefined);
  });

  it('the backup role writes under nightly/ only (no delete, no other prefix); the CronJob runs as its own service account', () => {
    const arn = d.one('aws:s3/bucket:Bucket').state.arn as string;
    const rp = d.one('aws:iam/rolePolicy:RolePolicy', 'backup-bucket');
    assert.equal(rp.inputs.role, d.one('aws:iam/role:Role', 'backup').state.name);
    assert.deepEqual(doc(rp.inputs.policy), {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'ListPrefix', Effect: 'Allow', Action: 's3:ListBucket', Resource: arn, Condition: { StringLike: { 's3:prefix': ['nightly/*'] } } },
        { Sid: 'BucketLocation', Effect: 'Allow', Action: 's3:GetBucketLocation', Resource: arn },
        { Sid: 'WritePrefix', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], Resource: `${arn}/nightly/*` },
      ],
    });
    const trust = doc(d.one('aws:iam/role:Role', 'backup').inputs.assumeRolePolicy);
    assert.equal(trust.Statement[0]!.Condition!.StringEquals!['aws:RequestTag/kubernetes-service-account'], 's3k-backup');
    const cj = d.manifests.find((m) => m.kind === 'CronJob')!;
    assert.equal(podSpecOf(cj)!.serviceAccountName, 's3k-backup');
  });

  it('optional nightly backup CronJob of a volume claim: valid, secure, syncs to the bucket', async () => {
    const cj = d.manifests.find((m) => m.kind === 'CronJob')!;
    assert.ok(cj);
    const spec = cj.spec as any;
    assert.equal(spec.schedule, '5 3 * * *');
    assert.equal(spec.concurrencyPolicy, 'Forbid');
    const pod = spec.jobTemplate.spec.template.spec;
    assert.equal(pod.volumes.find((v: any) => v.name === 'data').persistentVolumeClaim.claimName, 'app-data');
    assert.deepEqual(pod.containers[0].command, ['s3cmd']);
    assert.deepEqual(pod.containers[0].args, ['sync', '--json', '--progress-interval=60', '/data/', '$(S3_TARGET)nightly/']);
    assert.deepEqual(securityProblems(cj), []);
    for (const m of d.manifests) assert.deepEqual(await validateManifest(m), [], `${m.kind}/${m.metadata?.name}`);
  });
});

describe('pulumi: an existing cluster', () => {
  it('IRSA with the account\'s existing OIDC provider: no VPC, no cluster, no new provider; trust uses the looked-up issuer', async () => {
    const providerArn = `arn:aws:iam::${ACCOUNT}:oidc-provider/${EXISTING_ISSUER.replace('https://', '')}`;
    const d = await deploy('existing', baseArgs({ existingClusterName: 'prod-eks', existingOidcProviderArn: providerArn, createNamespace: false, installPodIdentityAgent: false }));
    for (const t of ['aws:ec2/vpc:Vpc', 'aws:eks/cluster:Cluster', 'aws:eks/nodeGroup:NodeGroup', 'aws:iam/openIdConnectProvider:OpenIdConnectProvider', 'aws:eks/addon:Addon']) {
      assert.equal(d.of(t).length, 0, t);
    }
    assert.ok(calls.some((c) => c.token === 'aws:eks/getCluster:getCluster' && c.inputs.name === 'prod-eks'));
    assert.equal(d.out.clusterName, 'prod-eks');
    const st = doc(d.one('aws:iam/role:Role', 's3k').inputs.assumeRolePolicy).Statement[0]!;
    const host = EXISTING_ISSUER.replace('https://', '');
    assert.deepEqual(st.Principal, { Federated: providerArn });
    assert.deepEqual(Object.keys(st.Condition!.StringEquals!).sort(), [`${host}:aud`, `${host}:sub`]);
    assert.equal(d.manifests.filter((m) => m.kind === 'Namespace').length, 0);
    assert.equal(JSON.parse(d.out.kubeconfig).clusters[0].cluster.server, `https://EXISTING.gr7.${REGION}.eks.amazonaws.com`);
  });

  it('IRSA without a provider ARN creates the OIDC provider for the looked-up issuer', async () => {
    const d = await deploy('existing2', baseArgs({ existingClusterName: 'stage-eks', installPodIdentityAgent: false }));
    assert.equal(d.one('aws:iam/openIdConnectProvider:OpenIdConnectProvider').inputs.url, EXISTING_ISSUER);
  });
});

describe('pulumi: the IAM documents, whole (deep equality), for every option combination', () => {
  const KMS = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789`;
  const combos = [
    { kmsKeyArn: undefined, listAllBuckets: false },
    { kmsKeyArn: undefined, listAllBuckets: true },
    { kmsKeyArn: KMS, listAllBuckets: false },
    { kmsKeyArn: KMS, listAllBuckets: true },
  ];
  for (const [i, o] of combos.entries()) {
    it(`role policy with${o.kmsKeyArn ? '' : 'out'} a KMS key, listAllBuckets ${o.listAllBuckets}: the shell's and the backup's`, async () => {
      const d = await deploy(`combo${i}`, baseArgs({ ...o, backupClaimName: 'app-data', backupPrefix: i % 2 ? 'nightly/' : 'backups/db/' }));
      const arn = d.one('aws:s3/bucket:Bucket').state.arn as string;
      const expected: PolicyDocument = {
        Version: '2012-10-17',
        Statement: [
          { Sid: 'ListBucket', Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetBucketLocation'], Resource: arn },
          { Sid: 'ReadObjects', Effect: 'Allow', Action: 's3:GetObject', Resource: `${arn}/*` },
          ...(o.kmsKeyArn ? [{ Sid: 'BucketKeyViaS3', Effect: 'Allow' as const, Action: 'kms:Decrypt', Resource: KMS, Condition: { StringEquals: { 'kms:ViaService': `s3.${REGION}.amazonaws.com` } } }] : []),
          ...(o.listAllBuckets ? [{ Sid: 'ListAllBuckets', Effect: 'Allow' as const, Action: 's3:ListAllMyBuckets', Resource: '*' }] : []),
        ],
      };
      assert.deepEqual(doc(d.one('aws:iam/rolePolicy:RolePolicy', 's3k-bucket').inputs.policy), expected);
      assert.deepEqual(policies.readOnlyBucketPolicy(arn, { ...o, region: REGION }), expected, 'the builder alone');
      const prefix = i % 2 ? 'nightly/' : 'backups/db/';
      assert.deepEqual(doc(d.one('aws:iam/rolePolicy:RolePolicy', 'backup-bucket').inputs.policy), {
        Version: '2012-10-17',
        Statement: [
          { Sid: 'ListPrefix', Effect: 'Allow', Action: 's3:ListBucket', Resource: arn, Condition: { StringLike: { 's3:prefix': [`${prefix}*`] } } },
          { Sid: 'BucketLocation', Effect: 'Allow', Action: 's3:GetBucketLocation', Resource: arn },
          { Sid: 'WritePrefix', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], Resource: `${arn}/${prefix}*` },
          ...(o.kmsKeyArn ? [{ Sid: 'BucketKeyViaS3', Effect: 'Allow' as const, Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: KMS, Condition: { StringEquals: { 'kms:ViaService': `s3.${REGION}.amazonaws.com` } } }] : []),
        ],
      }, 'the backup: its prefix only, listAllBuckets never');
      assert.deepEqual(d.of('aws:iam/rolePolicy:RolePolicy').map((r) => r.name).sort(), [`combo${i}-backup-bucket`, `combo${i}-s3k-bucket`], 'no other role policy');
    });
  }
});

describe('pulumi: bucket lifecycle, whole, for every versioning / noncurrent-expiry combination', () => {
  const abort = { id: 'abort-incomplete-multipart-uploads', status: 'Enabled', filter: {}, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } };
  const combos = [
    { bucketVersioning: true, noncurrentVersionExpirationDays: 30 },
    { bucketVersioning: true, noncurrentVersionExpirationDays: 365 },
    { bucketVersioning: true, noncurrentVersionExpirationDays: 0 },
    { bucketVersioning: false, noncurrentVersionExpirationDays: 30 },
  ];
  for (const [i, o] of combos.entries()) {
    it(`versioning ${o.bucketVersioning}, noncurrent versions expire after ${o.noncurrentVersionExpirationDays || 'never'}`, async () => {
      const d = await deploy(`lifecycle${i}`, baseArgs(o));
      const lc = d.one('aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration');
      assert.equal(lc.inputs.bucket, `${d.one('aws:s3/bucket:Bucket').name}-id`);
      const expected = o.bucketVersioning && o.noncurrentVersionExpirationDays > 0
        ? [abort, { id: 'expire-noncurrent-versions', status: 'Enabled', filter: {}, noncurrentVersionExpiration: { noncurrentDays: o.noncurrentVersionExpirationDays }, expiration: { expiredObjectDeleteMarker: true } }]
        : [abort];
      assert.deepEqual(lc.inputs.rules, expected);
      assert.equal(d.of('aws:s3/bucketVersioning:BucketVersioning').length, o.bucketVersioning ? 1 : 0);
    });
  }
  it('a negative or fractional expiry is refused', async () => {
    const { lifecycleRules } = await program('src/bucket.ts');
    assert.throws(() => lifecycleRules({ versioning: true, noncurrentVersionExpirationDays: -1 }), /whole number/);
    assert.throws(() => lifecycleRules({ versioning: true, noncurrentVersionExpirationDays: 1.5 }), /whole number/);
  });
});

describe('pulumi: a component resource, as a platform team needs it', () => {
  const registered = () => (pulumi.runtime.getMonitor() as unknown as { getRegisteredResources(): Map<string, { urn: string; state: any }> }).getRegisteredResources();

  it('every resource is a child of one s3k:index:Deployment component, which registers its outputs', async () => {
    const d = await deploy('comp', baseArgs({ backupClaimName: 'app-data', execPrincipals: [`arn:aws:iam::${ACCOUNT}:role/oncall`] }));
    const urns = [...registered().keys()].filter((u) => /::comp(-[^:]*)?$/.test(u));
    const component = urns.filter((u) => u.split('::')[2] === 's3k:index:Deployment');
    assert.equal(component.length, 1, urns.join('\n'));
    assert.ok(d.mine.length > 40, `${d.mine.length} resources`);
    const children = urns.filter((u) => u !== component[0]);
    assert.equal(children.length, d.mine.length - 1, 'every recorded resource has a URN');
    for (const u of children) assert.match(u.split('::')[2]!, /^s3k:index:Deployment\$/, `${u}: a child of the component`);
    const state = registered().get(component[0]!)!.state; // registerOutputs: a protobuf Struct
    const outputs = typeof state?.toJavaScript === 'function' ? state.toJavaScript() : state;
    const keys = Object.keys(outputs).sort();
    assert.deepEqual(keys, ['backupRoleArn', 'bucketName', 'clusterName', 'kubeconfig', 'oidcProviderArn', 'roleArn']);
  });

  it('API endpoint: public only from the configured CIDRs, or private only; the CIDR list is validated', async () => {
    const d = await deploy('cidrs', baseArgs({ apiPublicAccessCidrs: ['203.0.113.0/24', '198.51.100.7/32'] }));
    assert.deepEqual(d.one('aws:eks/cluster:Cluster').inputs.vpcConfig, {
      subnetIds: d.of('aws:ec2/subnet:Subnet').map((x) => `${x.name}-id`).sort((a, b) => Number(/public/.test(a)) - Number(/public/.test(b)) || a.localeCompare(b)),
      endpointPrivateAccess: true,
      endpointPublicAccess: true,
      publicAccessCidrs: ['203.0.113.0/24', '198.51.100.7/32'],
    });
    const p = await deploy('private', baseArgs({ apiPublicAccessCidrs: [] }));
    const vpc = p.one('aws:eks/cluster:Cluster').inputs.vpcConfig;
    assert.equal(vpc.endpointPublicAccess, false);
    assert.equal(vpc.publicAccessCidrs, undefined);
    assert.equal(vpc.endpointPrivateAccess, true);
    pulumi.runtime.setAllConfig({ 's3k:image': 'x', 's3k:apiPublicAccessCidrs': '["10.0.0.0/33"]' });
    assert.throws(() => readConfig(new pulumi.Config('s3k')), /apiPublicAccessCidrs: not an IPv4 CIDR/);
    pulumi.runtime.setAllConfig({ 's3k:image': 'x' });
    assert.deepEqual(readConfig(new pulumi.Config('s3k')).apiPublicAccessCidrs, ['0.0.0.0/0'], 'default as EKS');
  });

  it('admin principals get EKS access entries with AmazonEKSClusterAdminPolicy; exec principals only the group bound to the exec Role', async () => {
    const admin = `arn:aws:iam::${ACCOUNT}:role/platform-admin`;
    const oncall = `arn:aws:iam::${ACCOUNT}:role/oncall`;
    const d = await deploy('access', baseArgs({ adminPrincipals: [admin], execPrincipals: [oncall] }));
    const entries = d.of('aws:eks/accessEntry:AccessEntry').map((e) => e.inputs);
    assert.deepEqual(entries.map((e) => ({ principalArn: e.principalArn, type: e.type, kubernetesGroups: e.kubernetesGroups, clusterName: e.clusterName })), [
      { principalArn: admin, type: 'STANDARD', kubernetesGroups: undefined, clusterName: d.out.clusterName },
      { principalArn: oncall, type: 'STANDARD', kubernetesGroups: ['s3k-operators'], clusterName: d.out.clusterName },
    ]);
    const assoc = d.one('aws:eks/accessPolicyAssociation:AccessPolicyAssociation').inputs;
    assert.deepEqual({ ...assoc }, {
      clusterName: d.out.clusterName,
      principalArn: admin,
      policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy',
      accessScope: { type: 'cluster' },
    });
    // the exec Role and RoleBinding: exactly deploy/k8s/components/exec-access/rbac.yaml in this namespace
    const rbac = readManifests(path.join(REPO_ROOT, 'deploy', 'k8s', 'components', 'exec-access', 'rbac.yaml'));
    for (const kind of ['Role', 'RoleBinding']) {
      const mine = d.manifests.find((m) => m.kind === kind)!;
      const yaml = structuredClone(rbac.find((m) => m.kind === kind)!);
      yaml.metadata!.namespace = 'backup';
      assert.deepEqual(mine, yaml, kind);
      assert.deepEqual(securityProblems(mine), []);
      assert.deepEqual(await validateManifest(mine), []);
    }
    const none = await deploy('noaccess', baseArgs());
    assert.equal(none.of('aws:eks/accessEntry:AccessEntry').length, 0);
    assert.equal(none.manifests.filter((m) => m.kind === 'Role').length, 0, 'no exec Role without exec principals');
    pulumi.runtime.setAllConfig({ 's3k:image': 'x', 's3k:adminPrincipals': '["arn:aws:iam::*:role/x"]' });
    assert.throws(() => readConfig(new pulumi.Config('s3k')), /adminPrincipals: not an IAM role or user ARN/);
  });

  it('permissions boundary and IAM path on every role (and on the IPv6 CNI policy)', async () => {
    const boundary = `arn:aws:iam::${ACCOUNT}:policy/platform-boundary`;
    const d = await deploy('bounded', baseArgs({ permissionsBoundary: boundary, iamPath: '/s3k/', backupClaimName: 'app-data', ipFamily: 'ipv6' }));
    const roles = d.of('aws:iam/role:Role');
    assert.deepEqual(roles.map((r) => r.name).sort(), ['bounded-backup', 'bounded-cluster', 'bounded-node', 'bounded-s3k']);
    for (const r of roles) {
      assert.equal(r.inputs.permissionsBoundary, boundary, r.name);
      assert.equal(r.inputs.path, '/s3k/', r.name);
    }
    assert.equal(d.one('aws:iam/policy:Policy').inputs.path, '/s3k/');
    for (const r of (await deploy('unbounded', baseArgs())).of('aws:iam/role:Role')) {
      assert.equal(r.inputs.permissionsBoundary, undefined);
      assert.equal(r.inputs.path, undefined);
    }
    pulumi.runtime.setAllConfig({ 's3k:image': 'x', 's3k:iamPath': 's3k' });
    assert.throws(() => readConfig(new pulumi.Config('s3k')), /iamPath/);
    pulumi.runtime.setAllConfig({ 's3k:image': 'x', 's3k:permissionsBoundary': 'AdministratorAccess' });
    assert.throws(() => readConfig(new pulumi.Config('s3k')), /permissionsBoundary/);
  });

  it('Pod Identity on an existing cluster: the eks-pod-identity-agent add-on is looked up; without it, a clear failure', async () => {
    const { requirePodIdentityAgent } = await program('src/cluster.ts');
    assert.equal(await requirePodIdentityAgent('prod-eks'), 'v1.3.4-eksbuild.1');
    await assert.rejects(requirePodIdentityAgent(NO_AGENT_CLUSTER),
      new RegExp(`EKS Pod Identity on cluster ${NO_AGENT_CLUSTER} needs the eks-pod-identity-agent add-on.*s3k:installPodIdentityAgent true.*s3k:identity irsa`));
    const before = calls.length;
    const d = await deploy('existing-podid', baseArgs({ identity: 'pod-identity', existingClusterName: 'prod-eks', installPodIdentityAgent: false, createNamespace: false }));
    assert.ok(calls.slice(before).some((c) => c.token === 'aws:eks/getAddon:getAddon' && c.inputs.clusterName === 'prod-eks' && c.inputs.addonName === 'eks-pod-identity-agent'));
    assert.equal(d.of('aws:eks/addon:Addon').length, 0);
    assert.equal(d.one('aws:eks/podIdentityAssociation:PodIdentityAssociation').inputs.clusterName, 'prod-eks');
    const unchecked = calls.length;
    await deploy('existing-podid-nocheck', baseArgs({ identity: 'pod-identity', existingClusterName: 'prod-eks', installPodIdentityAgent: false, podIdentityAgentCheck: false, createNamespace: false }));
    assert.ok(!calls.slice(unchecked).some((c) => c.token === 'aws:eks/getAddon:getAddon'), 'podIdentityAgentCheck false: no lookup');
  });

  it('IPv6: a dual-stack VPC (a /64 per subnet, egress-only gateway), an ipv6 cluster, the CNI IPv6 policy instead of AmazonEKS_CNI_Policy', async () => {
    const d = await deploy('v6', baseArgs({ ipFamily: 'ipv6' }));
    assert.deepEqual(d.one('aws:eks/cluster:Cluster').inputs.kubernetesNetworkConfig, { ipFamily: 'ipv6' });
    assert.equal(d.one('aws:ec2/vpc:Vpc').inputs.assignGeneratedIpv6CidrBlock, true);
    const subnets = Object.fromEntries(d.of('aws:ec2/subnet:Subnet').map((x) => [x.name, x.inputs]));
    assert.deepEqual(Object.fromEntries(Object.entries(subnets).map(([n, i]) => [n, [i.ipv6CidrBlock, i.assignIpv6AddressOnCreation]])), {
      'v6-public-0': ['2600:1f18:4a2b:c300::/64', true],
      'v6-public-1': ['2600:1f18:4a2b:c301::/64', true],
      'v6-private-0': ['2600:1f18:4a2b:c308::/64', true],
      'v6-private-1': ['2600:1f18:4a2b:c309::/64', true],
    });
    const eigw = d.one('aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway');
    const privateRt = d.one('aws:ec2/routeTable:RouteTable', 'private');
    assert.deepEqual(privateRt.inputs.routes.find((r: any) => r.ipv6CidrBlock), { ipv6CidrBlock: '::/0', egressOnlyGatewayId: `${eigw.name}-id` });
    assert.deepEqual(d.one('aws:ec2/routeTable:RouteTable', 'public').inputs.routes.find((r: any) => r.ipv6CidrBlock), { ipv6CidrBlock: '::/0', gatewayId: `${d.one('aws:ec2/internetGateway:InternetGateway').name}-id` });
    const attached = d.of('aws:iam/rolePolicyAttachment:RolePolicyAttachment').map((a) => String(a.inputs.policyArn));
    assert.ok(!attached.some((a) => a.endsWith('/AmazonEKS_CNI_Policy')), attached.join(', '));
    const cni = d.one('aws:iam/policy:Policy');
    assert.ok(attached.includes(cni.state.arn), 'the CNI IPv6 policy is attached to the node role');
    assert.deepEqual(doc(cni.inputs.policy), {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'AssignIpv6', Effect: 'Allow', Action: ['ec2:AssignIpv6Addresses', 'ec2:DescribeInstances', 'ec2:DescribeTags', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeInstanceTypes'], Resource: '*' },
        { Sid: 'TagEnis', Effect: 'Allow', Action: 'ec2:CreateTags', Resource: 'arn:aws:ec2:*:*:network-interface/*' },
      ],
    });
    assert.equal(d.one('aws:ec2/launchTemplate:LaunchTemplate').inputs.metadataOptions.httpPutResponseHopLimit, 1);
    const v4 = await deploy('v4', baseArgs());
    assert.equal(v4.one('aws:eks/cluster:Cluster').inputs.kubernetesNetworkConfig, undefined, 'IPv4: EKS\'s default, inputs as before');
    assert.equal(v4.of('aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway').length, 0);
    assert.ok(v4.of('aws:ec2/subnet:Subnet').every((x) => x.inputs.ipv6CidrBlock === undefined));
    assert.equal(network.ipv6SubnetCidr('2600:1f18:4a2b:c300::/56', 255), '2600:1f18:4a2b:c3ff::/64');
    assert.equal(network.ipv6SubnetCidr('2600:1f18:4a2b:0::/56', 9), '2600:1f18:4a2b:9::/64');
    assert.throws(() => network.ipv6SubnetCidr('2600:1f18:4a2b:c300::/64', 1), /\/56/);
    pulumi.runtime.setAllConfig({ 's3k:image': 'x', 's3k:ipFamily': 'ipv6', 's3k:clusterName': 'c' });
    assert.throws(() => readConfig(new pulumi.Config('s3k')), /ipFamily applies to a new cluster/);
  });
});

describe('pulumi: trust policies, whole (deep equality), for every identity / cluster / workload combination', () => {
  const providerArn = (issuer: string) => `arn:aws:iam::${ACCOUNT}:oidc-provider/${issuer.replace('https://', '')}`;
  const combos = [
    { identity: 'irsa' as const, existing: false },
    { identity: 'irsa' as const, existing: true },
    { identity: 'pod-identity' as const, existing: false },
    { identity: 'pod-identity' as const, existing: true },
  ];
  for (const [i, o] of combos.entries()) {
    it(`${o.identity} on ${o.existing ? 'an existing' : 'a new'} cluster: the shell's and the backup's roles`, async () => {
      const d = await deploy(`trust${i}`, baseArgs({
        identity: o.identity,
        backupClaimName: 'app-data',
        ...(o.existing ? { existingClusterName: 'prod-eks', existingOidcProviderArn: o.identity === 'irsa' ? providerArn(EXISTING_ISSUER) : undefined, installPodIdentityAgent: false } : {}),
      }));
      const issuer = (o.existing ? EXISTING_ISSUER : ISSUER).replace('https://', '');
      const clusterArn = o.existing ? `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/prod-eks` : d.one('aws:eks/cluster:Cluster').state.arn;
      for (const [suffix, sa] of [['s3k', 's3k-shell'], ['backup', 's3k-backup']] as const) {
        const expected: PolicyDocument = o.identity === 'irsa'
          ? {
              Version: '2012-10-17',
              Statement: [{
                Sid: 'IrsaOneServiceAccount',
                Effect: 'Allow',
                Principal: { Federated: providerArn(`https://${issuer}`) },
                Action: 'sts:AssumeRoleWithWebIdentity',
                Condition: { StringEquals: { [`${issuer}:sub`]: `system:serviceaccount:backup:${sa}`, [`${issuer}:aud`]: 'sts.amazonaws.com' } },
              }],
            }
          : {
              Version: '2012-10-17',
              Statement: [{
                Sid: 'PodIdentityOneServiceAccount',
                Effect: 'Allow',
                Principal: { Service: 'pods.eks.amazonaws.com' },
                Action: ['sts:AssumeRole', 'sts:TagSession'],
                Condition: {
                  StringEquals: {
                    'aws:SourceAccount': ACCOUNT,
                    'aws:RequestTag/eks-cluster-name': clusterArn.split('/').pop()!,
                    'aws:RequestTag/kubernetes-namespace': 'backup',
                    'aws:RequestTag/kubernetes-service-account': sa,
                  },
                  ArnEquals: { 'aws:SourceArn': clusterArn },
                },
              }],
            };
        assert.deepEqual(doc(d.one('aws:iam/role:Role', suffix).inputs.assumeRolePolicy), expected, suffix);
      }
    });
  }

  it('builders: Pod Identity refuses a cluster of another account or a malformed cluster ARN', () => {
    const arn = `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/c1`;
    assert.equal(policies.podIdentityTrustPolicy(arn, ACCOUNT, 'ns', 'sa').Statement[0]!.Condition!.ArnEquals!['aws:SourceArn'], arn);
    assert.throws(() => policies.podIdentityTrustPolicy(arn, '111122223333', 'ns', 'sa'), /not in account/);
    assert.throws(() => policies.podIdentityTrustPolicy('c1', ACCOUNT, 'ns', 'sa'), /cluster ARN/);
    assert.throws(() => policies.podIdentityTrustPolicy(`arn:aws:eks:${REGION}:${ACCOUNT}:cluster/*`, ACCOUNT, 'ns', 'sa'), /cluster ARN/);
  });
});

describe('pulumi: configuration and IAM document builders', () => {
  it('readConfig: only image is required; defaults; errors for a bad identity', () => {
    pulumi.runtime.setAllConfig({ 's3k:image': 'reg/s3k:1' });
    const c = readConfig(new pulumi.Config('s3k'));
    assert.equal(c.image, 'reg/s3k:1');
    assert.equal(c.identity, 'irsa');
    assert.equal(c.namespace, 's3k');
    assert.equal(c.serviceAccountName, 's3k');
    assert.equal(c.existingClusterName, undefined);
    assert.equal(c.listAllBuckets, false);
    assert.equal(c.bucketForceDestroy, false);
    assert.equal(c.noncurrentVersionExpirationDays, 30);
    assert.equal(c.backupServiceAccountName, 's3k-backup');
    assert.equal(c.backupPrefix, 'nightly/');
    assert.equal(c.podIdentityAgentCheck, true);
    assert.equal(c.ipFamily, 'ipv4');
    assert.deepEqual([c.adminPrincipals, c.execPrincipals, c.permissionsBoundary, c.iamPath], [[], [], undefined, undefined]);
    pulumi.runtime.setAllConfig({ 's3k:image': 'x', 's3k:identity': 'pod-identity', 's3k:clusterName': 'c1', 's3k:nodeInstanceTypes': '["m7i.large"]', 's3k:tags': '{"a":"b"}' });
    const p = readConfig(new pulumi.Config('s3k'));
    assert.equal(p.identity, 'pod-identity');
    assert.equal(p.existingClusterName, 'c1');
    assert.equal(p.installPodIdentityAgent, false, 'existing clusters usually have the agent');
    assert.deepEqual(p.nodeInstanceTypes, ['m7i.large']);
    assert.deepEqual(p.tags, { a: 'b' });
    pulumi.runtime.setAllConfig({ 's3k:image': 'x', 's3k:identity': 'keys' });
    assert.throws(() => readConfig(new pulumi.Config('s3k')), /irsa.*pod-identity/);
    pulumi.runtime.setAllConfig({});
    assert.throws(() => readConfig(new pulumi.Config('s3k')), /image/);
  });

  it('IRSA trust: an OIDC provider of another cluster (or another issuer) is refused', () => {
    const other = `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.${REGION}.amazonaws.com/id/0THERC1USTER0000000000000000000F`;
    assert.throws(() => policies.irsaTrustPolicy(other, ISSUER, 'ns', 'sa'), /not the cluster's/);
    assert.throws(() => policies.irsaTrustPolicy(`arn:aws:iam::${ACCOUNT}:oidc-provider/${ISSUER_HOST}/x`, ISSUER, 'ns', 'sa'), /not the cluster's/);
    assert.throws(() => policies.irsaTrustPolicy(`arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`, ISSUER, 'ns', 'sa'), /not the cluster's/);
    const ok = policies.irsaTrustPolicy(`arn:aws:iam::${ACCOUNT}:oidc-provider/${ISSUER_HOST}`, `${ISSUER}/`, 'ns', 'sa');
    assert.deepEqual(ok.Statement[0]!.Principal, { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/${ISSUER_HOST}` });
  });

  it('builders refuse malformed input instead of writing a broad policy', () => {
    assert.throws(() => policies.irsaTrustPolicy('arn:aws:iam::123:oidc-provider/x', ISSUER, 'ns', 'sa'), /OIDC provider ARN/);
    assert.throws(() => policies.irsaTrustPolicy(`arn:aws:iam::${ACCOUNT}:oidc-provider/${ISSUER_HOST}`, ISSUER, 'ns', '*'), /invalid/);
    assert.throws(() => policies.irsaTrustPolicy(`arn:aws:iam::${ACCOUNT}:oidc-provider/${ISSUER_HOST}`, 'http://x', 'ns', 'sa'), /issuer/);
    assert.throws(() => policies.readOnlyBucketPolicy('*'), /bucket ARN/);
    assert.throws(() => policies.prefixWriterPolicy('arn:aws:s3:::b-1', '*'), /prefix/);
    for (const bad of ['', 'nightly', '/nightly/', 'night*/', 'a/../b/', '../', 'a b/']) assert.throws(() => policies.prefixWriterPolicy('arn:aws:s3:::b-1', bad), /prefix/, bad);
    assert.throws(() => policies.readOnlyBucketPolicy('arn:aws:s3:::b-1', { kmsKeyArn: '*', region: REGION }), /KMS key ARN/);
    assert.throws(() => policies.readOnlyBucketPolicy('arn:aws:s3:::b-1', { kmsKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/k` }), /region/);
    assert.equal(policies.issuerHostPath(`${ISSUER}/`), ISSUER_HOST);
    assert.equal(network.subnetCidr('10.0.0.0/16', 9), '10.0.144.0/20');
    assert.throws(() => network.subnetCidr('10.0.0.0/8', 0), /16/);
  });

  it('the program hard-codes no AWS account id (the annotation comes from the role ARN output)', () => {
    const dir = PROGRAM;
    const files = ['index.ts', ...fs.readdirSync(path.join(dir, 'src')).map((f) => `src/${f}`)];
    for (const f of files) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      assert.deepEqual(text.match(/(?<![\d{])\d{12}(?!\d)/g) ?? [], [], `${f}: a 12-digit number (an account id?)`);
      assert.equal(text.includes('AmazonS3FullAccess'), false, `${f} attaches AmazonS3FullAccess`);
    }
  });

  it('index.ts: reads the stack config and exports the outputs', async () => {
    pulumi.runtime.setAllConfig({ 's3k:image': 'reg/s3k:2', 's3k:namespace': 'tools' });
    const before = resources.length;
    const index = await program('index.ts');
    assert.match(await resolve(index.roleArn), new RegExp(`^arn:aws:iam::${ACCOUNT}:role/s3k-unit-s3k-`));
    assert.match(await resolve(index.execExample), /^kubectl -n tools exec deploy\/s3k -- s3cmd ls s3:\/\/s3k-unit-data-/);
    await settle();
    const sa = resources.slice(before).find((r) => r.type === 'kubernetes:core/v1:ServiceAccount');
    assert.equal(sa?.inputs.metadata.namespace, 'tools');
    assert.equal(sa?.inputs.metadata.annotations['eks.amazonaws.com/role-arn'], await resolve(index.roleArn));
  });
});

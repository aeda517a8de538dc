// Stack configuration -> InfraArgs. Every key is optional except `image`; see Pulumi.example.yaml.
import * as pulumi from '@pulumi/pulumi';
import { checkPrefix } from './policies';

export type IdentityMode = 'irsa' | 'pod-identity';

export interface InfraArgs {
  /** Container image for the workload (push deploy/image's image to a registry the nodes can pull from). */
  image: string;
  /** irsa (IAM OIDC provider + annotated ServiceAccount) or pod-identity (PodIdentityAssociation). */
  identity: IdentityMode;
  namespace: string;
  createNamespace: boolean;
  serviceAccountName: string;
  /**
   * Use this existing EKS cluster instead of creating a VPC and a cluster. Its OIDC issuer is read
   * from the cluster; kubectl access comes from the local AWS credentials (aws eks get-token).
   */
  existingClusterName?: string;
  /** IRSA on an existing cluster whose account already has the IAM OIDC provider: reuse it (an ARN). */
  existingOidcProviderArn?: string;
  /** Pod Identity: install the eks-pod-identity-agent add-on (default: yes on a new cluster, no on an existing one). */
  installPodIdentityAgent: boolean;
  /** Pod Identity on an existing cluster, agent not installed here: fail clearly if it has no agent add-on (default true). */
  podIdentityAgentCheck: boolean;
  /** New cluster: ipv4 (default) or ipv6. */
  ipFamily: 'ipv4' | 'ipv6';
  /** New cluster: CIDRs that may reach the public API endpoint (default 0.0.0.0/0, as EKS; [] = private endpoint only). */
  apiPublicAccessCidrs: string[];
  /** IAM roles/users given cluster admin through EKS access entries (AmazonEKSClusterAdminPolicy). */
  adminPrincipals: string[];
  /** IAM roles/users that may only exec into the shell (an access entry in the group the exec Role is bound to). */
  execPrincipals: string[];
  /** Every IAM role created gets this permissions boundary (a managed policy ARN) and path. */
  permissionsBoundary?: string;
  iamPath?: string;
  /** New cluster: Kubernetes version (default: EKS's default), node instance types and count. */
  kubernetesVersion?: string;
  nodeInstanceTypes: string[];
  nodeCount: number;
  vpcCidr: string;
  /** Bucket: versioning on (default), forceDestroy off (default), optional SSE-KMS key. */
  bucketVersioning: boolean;
  /** With versioning: delete noncurrent versions after this many days (default 30; 0 keeps them). */
  noncurrentVersionExpirationDays: number;
  bucketForceDestroy: boolean;
  kmsKeyArn?: string;
  /** The shell's role may also s3:ListAllMyBuckets (a bare `s3cmd ls`). Default false: it sees one bucket. */
  listAllBuckets: boolean;
  /** A PersistentVolumeClaim to back up nightly with a CronJob (none by default). */
  backupClaimName?: string;
  backupSchedule?: string;
  /** The backup's own service account (and role, which may write under backupPrefix only). */
  backupServiceAccountName: string;
  /** Where the backup writes in the bucket (default nightly/). */
  backupPrefix: string;
  tags: Record<string, string>;
}

const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/;
const POLICY_ARN = /^arn:aws[a-z-]*:iam::(\d{12}|aws):policy\/[\w+=,.@/-]+$/;
const IAM_PATH = /^\/([\w+=,.@-]+\/)*$/;

function list(cfg: pulumi.Config, key: string, re: RegExp, what: string, dflt: string[] = []): string[] {
  const v = cfg.getObject<string[]>(key) ?? dflt;
  if (!Array.isArray(v)) throw new Error(`config ${key} must be a list of ${what}`);
  for (const x of v) if (typeof x !== 'string' || !re.test(x)) throw new Error(`config ${key}: not ${what}: ${JSON.stringify(x)}`);
  return v;
}

function one(cfg: pulumi.Config, key: string, re: RegExp, what: string): string | undefined {
  const v = cfg.get(key) || undefined;
  if (v !== undefined && !re.test(v)) throw new Error(`config ${key}: not ${what}: ${JSON.stringify(v)}`);
  return v;
}

function bool(cfg: pulumi.Config, key: string, dflt: boolean): boolean {
  const v = cfg.getBoolean(key);
  return v === undefined ? dflt : v;
}

export function readConfig(cfg: pulumi.Config = new pulumi.Config()): InfraArgs {
  const identity = (cfg.get('identity') ?? 'irsa') as IdentityMode;
  if (identity !== 'irsa' && identity !== 'pod-identity') {
    throw new Error(`config identity must be "irsa" or "pod-identity", not "${identity}"`);
  }
  const existingClusterName = cfg.get('clusterName') || undefined;
  const serviceAccountName = cfg.get('serviceAccountName') ?? 's3k';
  const nodeCount = cfg.getNumber('nodeCount') ?? 2;
  const ipFamily = (cfg.get('ipFamily') ?? 'ipv4') as InfraArgs['ipFamily'];
  if (ipFamily !== 'ipv4' && ipFamily !== 'ipv6') throw new Error(`config ipFamily must be "ipv4" or "ipv6", not "${ipFamily}"`);
  if (ipFamily === 'ipv6' && existingClusterName) throw new Error('config ipFamily applies to a new cluster; an existing cluster keeps its own');
  if (!Number.isInteger(nodeCount) || nodeCount < 1) throw new Error('config nodeCount must be a positive integer');
  return {
    image: cfg.require('image'),
    identity,
    namespace: cfg.get('namespace') ?? 's3k',
    createNamespace: bool(cfg, 'createNamespace', true),
    serviceAccountName,
    existingClusterName,
    existingOidcProviderArn: cfg.get('oidcProviderArn') || undefined,
    installPodIdentityAgent: bool(cfg, 'installPodIdentityAgent', existingClusterName === undefined),
    podIdentityAgentCheck: bool(cfg, 'podIdentityAgentCheck', true),
    ipFamily,
    apiPublicAccessCidrs: list(cfg, 'apiPublicAccessCidrs', IPV4_CIDR, 'an IPv4 CIDR', ['0.0.0.0/0']),
    adminPrincipals: list(cfg, 'adminPrincipals', PRINCIPAL_ARN, 'an IAM role or user ARN'),
    execPrincipals: list(cfg, 'execPrincipals', PRINCIPAL_ARN, 'an IAM role or user ARN'),
    permissionsBoundary: one(cfg, 'permissionsBoundary', POLICY_ARN, 'a managed policy ARN'),
    iamPath: one(cfg, 'iamPath', IAM_PATH, 'an IAM path like /s3k/ (starts and ends with /)'),
    kubernetesVersion: cfg.get('kubernetesVersion') || undefined,
    nodeInstanceTypes: cfg.getObject<string[]>('nodeInstanceTypes') ?? ['t3.medium'],
    nodeCount,
    vpcCidr: cfg.get('vpcCidr') ?? '10.0.0.0/16',
    bucketVersioning: bool(cfg, 'bucketVersioning', true),
    noncurrentVersionExpirationDays: cfg.getNumber('noncurrentVersionExpirationDays') ?? 30,
    bucketForceDestroy: bool(cfg, 'bucketForceDestroy', false),
    kmsKeyArn: cfg.get('kmsKeyArn') || undefined,
    listAllBuckets: bool(cfg, 'listAllBuckets', false),
    backupClaimName: cfg.get('backupClaimName') || undefined,
    backupSchedule: cfg.get('backupSchedule') || undefined,
    backupServiceAccountName: cfg.get('backupServiceAccountName') ?? `${serviceAccountName}-backup`,
    backupPrefix: checkPrefix(cfg.get('backupPrefix') ?? 'nightly/'),
    tags: cfg.getObject<Record<string, string>>('tags') ?? {},
  };
}

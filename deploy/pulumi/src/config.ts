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

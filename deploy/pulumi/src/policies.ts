// IAM documents as plain data, built from resolved values (pulumi.all(...).apply(...) calls these), so
// they can be tested without Pulumi and read as the JSON that AWS receives.

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: Record<string, string | string[]> | '*';
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/** The audience EKS projects into IRSA tokens, and the only client id the OIDC provider accepts. */
export const STS_AUDIENCE = 'sts.amazonaws.com';

/** https://oidc.eks.REGION.amazonaws.com/id/ID -> oidc.eks.REGION.amazonaws.com/id/ID (the IAM condition key prefix). */
export function issuerHostPath(issuerUrl: string): string {
  const u = issuerUrl.trim().replace(/^https:\/\//, '').replace(/\/+$/, '');
  if (!u || /^[a-z]+:\/\//i.test(u)) throw new Error(`not an https OIDC issuer URL: ${issuerUrl}`);
  return u;
}

/** system:serviceaccount:NS:SA, the `sub` of a projected service-account token. */
export function serviceAccountSubject(namespace: string, serviceAccount: string): string {
  if (!namespace || !serviceAccount || /[:*?\s]/.test(namespace + serviceAccount)) {
    throw new Error(`invalid namespace/service account: ${namespace}/${serviceAccount}`);
  }
  return `system:serviceaccount:${namespace}:${serviceAccount}`;
}

/**
 * IRSA trust policy: sts:AssumeRoleWithWebIdentity from the cluster's OIDC provider, only for one
 * service account (sub) and only for tokens minted for STS (aud), as in the EKS user guide. Checking
 * sub alone would also accept a token of that service account minted for any other audience.
 */
export function irsaTrustPolicy(providerArn: string, issuerUrl: string, namespace: string, serviceAccount: string): PolicyDocument {
  const issuer = issuerHostPath(issuerUrl);
  const m = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/(.+)$/.exec(providerArn);
  if (!m) throw new Error(`not an IAM OIDC provider ARN: ${providerArn}`);
  // The provider must be the cluster's own: one of another cluster (a reused or mistyped
  // oidcProviderArn) would let that cluster's service accounts of the same name assume the role.
  if (m[1] !== issuer) throw new Error(`the OIDC provider ${providerArn} is not the cluster's (its issuer is https://${issuer})`);
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'IrsaOneServiceAccount',
        Effect: 'Allow',
        Principal: { Federated: providerArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            [`${issuer}:sub`]: serviceAccountSubject(namespace, serviceAccount),
            [`${issuer}:aud`]: STS_AUDIENCE,
          },
        },
      },
    ],
  };
}

/**
 * EKS Pod Identity trust policy: the EKS Auth service assumes the role (AssumeRole + TagSession) and
 * tags the session; the conditions accept only the one cluster, namespace and service account, and
 * against the confused deputy, only calls on behalf of this account (aws:SourceAccount) for this
 * cluster (aws:SourceArn).
 */
export function podIdentityTrustPolicy(clusterArn: string, accountId: string, namespace: string, serviceAccount: string): PolicyDocument {
  serviceAccountSubject(namespace, serviceAccount); // validates
  const m = /^arn:aws[a-z-]*:eks:[a-z0-9-]+:(\d{12}):cluster\/([A-Za-z0-9][A-Za-z0-9_-]{0,99})$/.exec(clusterArn);
  if (!m) throw new Error(`not an EKS cluster ARN: ${clusterArn}`);
  if (m[1] !== accountId) throw new Error(`cluster ${clusterArn} is not in account ${accountId}`);
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'PodIdentityOneServiceAccount',
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Condition: {
          StringEquals: {
            'aws:SourceAccount': accountId,
            'aws:RequestTag/eks-cluster-name': m[2]!,
            'aws:RequestTag/kubernetes-namespace': namespace,
            'aws:RequestTag/kubernetes-service-account': serviceAccount,
          },
          ArnEquals: { 'aws:SourceArn': clusterArn },
        },
      },
    ],
  };
}

/** Trust policy of an AWS service role (EKS control plane, EC2 nodes). */
export function serviceTrustPolicy(service: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  };
}

const BUCKET_ARN = /^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

export interface BucketPolicyOptions {
  /** SSE-KMS key of the bucket: the role may use it only through S3 (kms:ViaService) in this region. */
  kmsKeyArn?: string;
  /** The bucket's region (required with kmsKeyArn). */
  region?: string;
}

function checkBucket(bucketArn: string, opts: BucketPolicyOptions): void {
  if (!BUCKET_ARN.test(bucketArn)) throw new Error(`not a bucket ARN: ${bucketArn}`);
  if (opts.kmsKeyArn !== undefined) {
    if (!KMS_KEY_ARN.test(opts.kmsKeyArn)) throw new Error(`not a KMS key ARN: ${opts.kmsKeyArn}`);
    if (!opts.region || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(opts.region)) throw new Error(`a KMS key needs the bucket's region, not ${opts.region}`);
  }
}

/** The KMS key, through S3 only: Decrypt (read), and GenerateDataKey to write. */
function kmsStatement(opts: BucketPolicyOptions, write: boolean): PolicyStatement[] {
  if (!opts.kmsKeyArn) return [];
  return [{
    Sid: 'BucketKeyViaS3',
    Effect: 'Allow',
    Action: write ? ['kms:Decrypt', 'kms:GenerateDataKey'] : 'kms:Decrypt',
    Resource: opts.kmsKeyArn,
    Condition: { StringEquals: { 'kms:ViaService': `s3.${opts.region}.amazonaws.com` } },
  }];
}

/**
 * The Amazon VPC CNI's permissions in an IPv6 cluster, as the EKS user guide gives them (there is no AWS
 * managed policy for it): assign IPv6 addresses, describe (these actions take no resource), tag ENIs.
 */
export function cniIpv6Policy(partition: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AssignIpv6',
        Effect: 'Allow',
        Action: ['ec2:AssignIpv6Addresses', 'ec2:DescribeInstances', 'ec2:DescribeTags', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeInstanceTypes'],
        Resource: '*',
      },
      { Sid: 'TagEnis', Effect: 'Allow', Action: 'ec2:CreateTags', Resource: `arn:${partition}:ec2:*:*:network-interface/*` },
    ],
  };
}

/**
 * The interactive shell (kubectl exec deploy/s3k -- s3cmd ...): read one bucket and nothing else
 * (ls, get, du, info). No write, no delete, no bucket configuration. listAllBuckets adds
 * s3:ListAllMyBuckets for a bare `s3cmd ls` (it shows bucket names only).
 */
export function readOnlyBucketPolicy(bucketArn: string, opts: BucketPolicyOptions & { listAllBuckets?: boolean } = {}): PolicyDocument {
  checkBucket(bucketArn, opts);
  const statements: PolicyStatement[] = [
    { Sid: 'ListBucket', Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetBucketLocation'], Resource: bucketArn },
    { Sid: 'ReadObjects', Effect: 'Allow', Action: 's3:GetObject', Resource: `${bucketArn}/*` },
    ...kmsStatement(opts, false),
  ];
  if (opts.listAllBuckets) statements.push({ Sid: 'ListAllBuckets', Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' });
  return { Version: '2012-10-17', Statement: statements };
}

/** A key prefix a writer is confined to: one or more path segments, ending with '/', no IAM wildcards. */
export function checkPrefix(prefix: string): string {
  if (!/^(?:[A-Za-z0-9!_.'()-]+\/)+$/.test(prefix) || /(^|\/)\.\.?\//.test(prefix)) {
    throw new Error(`a key prefix like nightly/ (segments ending with /, no wildcards), not ${JSON.stringify(prefix)}`);
  }
  return prefix;
}

/**
 * A writer confined to one key prefix (the nightly backup: nightly/): list and read that prefix (sync
 * compares sizes and MD5s), upload into it (multipart too, and abort its own uploads). No delete, no
 * other prefix, no bucket configuration.
 */
export function prefixWriterPolicy(bucketArn: string, prefix: string, opts: BucketPolicyOptions = {}): PolicyDocument {
  checkBucket(bucketArn, opts);
  checkPrefix(prefix);
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ListPrefix', Effect: 'Allow', Action: 's3:ListBucket', Resource: bucketArn, Condition: { StringLike: { 's3:prefix': [`${prefix}*`] } } },
      { Sid: 'BucketLocation', Effect: 'Allow', Action: 's3:GetBucketLocation', Resource: bucketArn },
      {
        Sid: 'WritePrefix',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        Resource: `${bucketArn}/${prefix}*`,
      },
      ...kmsStatement(opts, true),
    ],
  };
}

/** The oldest TLS version the bucket accepts. */
export const MIN_TLS_VERSION = '1.2';

/** Bucket policy: refuse every request that does not use TLS, or uses TLS older than 1.2. */
export function tlsOnlyBucketPolicy(bucketArn: string): PolicyDocument {
  if (!BUCKET_ARN.test(bucketArn)) throw new Error(`not a bucket ARN: ${bucketArn}`);
  const resources = [bucketArn, `${bucketArn}/*`];
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: resources,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Sid: 'DenyOutdatedTls',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: resources,
        Condition: { NumericLessThan: { 's3:TlsVersion': MIN_TLS_VERSION } },
      },
    ],
  };
}

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
 * tags the session; the conditions accept only the one cluster, namespace and service account.
 */
export function podIdentityTrustPolicy(clusterName: string, namespace: string, serviceAccount: string): PolicyDocument {
  serviceAccountSubject(namespace, serviceAccount); // validates
  if (!clusterName) throw new Error('cluster name is empty');
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
            'aws:RequestTag/eks-cluster-name': clusterName,
            'aws:RequestTag/kubernetes-namespace': namespace,
            'aws:RequestTag/kubernetes-service-account': serviceAccount,
          },
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

/**
 * What s3k needs on one bucket and nothing else: list, read, write, delete objects and clean up
 * multipart uploads (ls, get, put, sync --delete-removed). No s3:* and no other bucket, so
 * `s3cmd ls` without a bucket (ListAllMyBuckets) is denied unless listAllBuckets is set.
 */
export function bucketAccessPolicy(bucketArn: string, opts: { kmsKeyArn?: string; listAllBuckets?: boolean } = {}): PolicyDocument {
  if (!/^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucketArn)) throw new Error(`not a bucket ARN: ${bucketArn}`);
  const statements: PolicyStatement[] = [
    {
      Sid: 'Bucket',
      Effect: 'Allow',
      Action: ['s3:ListBucket', 's3:GetBucketLocation', 's3:ListBucketMultipartUploads'],
      Resource: bucketArn,
    },
    {
      Sid: 'Objects',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      Resource: `${bucketArn}/*`,
    },
  ];
  if (opts.kmsKeyArn) {
    statements.push({
      Sid: 'BucketKey',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: opts.kmsKeyArn,
    });
  }
  if (opts.listAllBuckets) {
    statements.push({ Sid: 'ListAllBuckets', Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' });
  }
  return { Version: '2012-10-17', Statement: statements };
}

/** Bucket policy: refuse every request that does not use TLS. */
export function tlsOnlyBucketPolicy(bucketArn: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  };
}

// The Kubernetes side as plain manifests (the same shape and defaults as deploy/k8s), so a test
// can validate exactly what Pulumi sends. Values may be Pulumi outputs (the role ARN, the bucket name).
import type * as pulumi from '@pulumi/pulumi';
import type * as k8s from '@pulumi/kubernetes';

type Input<T> = pulumi.Input<T>;

/** The image's runtime user (deploy/image): non-root, and the group that may read the projected token. */
export const RUNTIME_UID = 65532;

/** The projected IRSA token as the EKS webhook mounts it. */
export const IRSA_TOKEN_DIR = '/var/run/secrets/eks.amazonaws.com/serviceaccount';

export interface WorkloadArgs {
  namespace: string;
  serviceAccountName: string;
  /** Container image, e.g. ACCOUNT.dkr.ecr.REGION.amazonaws.com/s3k:0.1.0 */
  image: string;
  /** IRSA: the role ARN for the eks.amazonaws.com/role-arn annotation. Absent with Pod Identity. */
  roleArn?: Input<string>;
  /** s3://bucket/ the workload works on (env S3_TARGET). */
  target: Input<string>;
  region: Input<string>;
  labels?: Record<string, string>;
}

/** Pod Security Admission version the namespace enforces (pinned; warn and audit follow "latest"). */
export const POD_SECURITY_VERSION = 'v1.32';

/**
 * The namespace, with Pod Security Admission at "restricted": enforced at a pinned version (a cluster
 * upgrade never changes what is admitted), warned and audited at "latest" (a pod that a newer profile
 * would refuse shows up first in kubectl's warnings and the audit log).
 */
export function namespace(name: string): k8s.types.input.core.v1.Namespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': POD_SECURITY_VERSION,
        'pod-security.kubernetes.io/warn': 'restricted',
        'pod-security.kubernetes.io/warn-version': 'latest',
        'pod-security.kubernetes.io/audit': 'restricted',
        'pod-security.kubernetes.io/audit-version': 'latest',
      },
    },
  };
}

/** Linux nodes only (the image is linux/amd64 + linux/arm64). */
export const NODE_SELECTOR = { 'kubernetes.io/os': 'linux' };

export function labels(args: Pick<WorkloadArgs, 'labels'>, component: string): Record<string, string> {
  return { 'app.kubernetes.io/name': 's3k', 'app.kubernetes.io/component': component, ...(args.labels ?? {}) };
}

/** The service account of one workload (component: shell, backup), with its own role. */
export function serviceAccount(args: WorkloadArgs, component = 'shell'): k8s.types.input.core.v1.ServiceAccount {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: {
      name: args.serviceAccountName,
      namespace: args.namespace,
      labels: labels(args, component),
      ...(args.roleArn
        ? {
            annotations: {
              'eks.amazonaws.com/role-arn': args.roleArn,
              // regional STS endpoint (works in private subnets with an STS VPC endpoint; lower latency)
              'eks.amazonaws.com/sts-regional-endpoints': 'true',
            },
          }
        : {}),
    },
    // s3k needs AWS credentials, not the Kubernetes API.
    automountServiceAccountToken: false,
  };
}

/** Pod-level security: non-root 65532, fsGroup so that user can read the projected token, seccomp. */
export function podSecurityContext(): k8s.types.input.core.v1.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: RUNTIME_UID,
    runAsGroup: RUNTIME_UID,
    fsGroup: RUNTIME_UID,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function containerSecurityContext(): k8s.types.input.core.v1.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    privileged: false,
    capabilities: { drop: ['ALL'] },
  };
}

/** Env every s3k container gets. AWS_EC2_METADATA_DISABLED: never fall back to the node's role. */
export function baseEnv(args: WorkloadArgs): k8s.types.input.core.v1.EnvVar[] {
  return [
    { name: 'AWS_REGION', value: args.region },
    { name: 'AWS_EC2_METADATA_DISABLED', value: 'true' },
    { name: 'S3_TARGET', value: args.target },
  ];
}

/**
 * The shell Deployment's script (the same as deploy/k8s/deployment.yaml's): refuse to start without IRSA
 * or Pod Identity variables, with one line naming the likely cause (the pod was created before the EKS
 * pod identity webhook saw its ServiceAccount), then stay up until SIGTERM.
 */
export const SHELL_SCRIPT = `# Refuse to start without AWS credentials from the cluster: the EKS pod identity webhook injects them
# only into pods created after it saw the ServiceAccount's role-arn annotation (or, for Pod Identity,
# the association); a pod created earlier never gets them, and a restart of its container does not help.
if [ -n "$AWS_ROLE_ARN" ] && [ -n "$AWS_WEB_IDENTITY_TOKEN_FILE" ]; then
  if [ ! -r "$AWS_WEB_IDENTITY_TOKEN_FILE" ]; then
    echo "s3k: the IRSA token $AWS_WEB_IDENTITY_TOKEN_FILE is not readable: the pod needs securityContext.fsGroup 65532" >&2
    exit 1
  fi
elif [ -n "$AWS_CONTAINER_CREDENTIALS_FULL_URI" ] && [ -n "$AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE" ]; then
  :
else
  echo "s3k: no IRSA (AWS_ROLE_ARN) or Pod Identity (AWS_CONTAINER_CREDENTIALS_FULL_URI) variables in this pod: it was most likely created before the EKS pod identity webhook saw the eks.amazonaws.com/role-arn annotation of service account $POD_SERVICE_ACCOUNT (or before its Pod Identity association existed); fix that, then: kubectl -n $POD_NAMESPACE rollout restart deployment/s3k" >&2
  exit 1
fi
# PID 1: exit at once on SIGTERM instead of waiting out the grace period
trap 'exit 0' TERM INT
while true; do sleep 3600 & wait $!; done
`;

/** Downward-API env the shell script names in its error line. */
export function podInfoEnv(): k8s.types.input.core.v1.EnvVar[] {
  return [
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    { name: 'POD_SERVICE_ACCOUNT', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
  ];
}

/**
 * The original Deployment: one pod kept alive by a shell loop, for `kubectl exec deploy/s3k -- s3cmd ls`.
 * The trap makes the shell (PID 1) exit at once on SIGTERM instead of waiting out the grace period.
 */
export function deployment(args: WorkloadArgs): k8s.types.input.apps.v1.Deployment {
  const l = labels(args, 'shell');
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 's3k', namespace: args.namespace, labels: l },
    spec: {
      replicas: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': 's3k', 'app.kubernetes.io/component': 'shell' } },
      template: {
        metadata: { labels: l },
        spec: {
          serviceAccountName: args.serviceAccountName,
          automountServiceAccountToken: false,
          nodeSelector: NODE_SELECTOR,
          securityContext: podSecurityContext(),
          terminationGracePeriodSeconds: 10,
          containers: [
            {
              name: 's3k',
              image: args.image,
              imagePullPolicy: 'IfNotPresent',
              command: ['sh', '-c', SHELL_SCRIPT],
              env: [...podInfoEnv(), ...baseEnv(args)],
              securityContext: containerSecurityContext(),
              resources: {
                requests: { cpu: '10m', memory: '64Mi' },
                limits: { cpu: '1', memory: '512Mi' },
              },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '1Gi' } }],
        },
      },
    },
  };
}

/** Nightly backup: sync a volume (a PersistentVolumeClaim, mounted read-only) to the bucket. */
export function backupCronJob(args: WorkloadArgs & { claimName: string; schedule?: string; prefix?: string }): k8s.types.input.batch.v1.CronJob {
  const l = labels(args, 'backup');
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 's3k-backup', namespace: args.namespace, labels: l },
    spec: {
      schedule: args.schedule ?? '17 2 * * *',
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        spec: {
          backoffLimit: 2,
          activeDeadlineSeconds: 6 * 3600,
          template: {
            metadata: { labels: l },
            spec: {
              restartPolicy: 'Never',
              serviceAccountName: args.serviceAccountName,
              automountServiceAccountToken: false,
              nodeSelector: NODE_SELECTOR,
              securityContext: podSecurityContext(),
              containers: [
                {
                  name: 'backup',
                  image: args.image,
                  imagePullPolicy: 'IfNotPresent',
                  command: ['s3cmd'],
                  // a progress line every 60 s in the log; one JSON summary (counts, failures, exit code) at the end
                  args: ['sync', '--json', '--progress-interval=60', '/data/', `$(S3_TARGET)${args.prefix ?? 'nightly/'}`],
                  env: baseEnv(args),
                  securityContext: containerSecurityContext(),
                  resources: {
                    requests: { cpu: '100m', memory: '128Mi' },
                    limits: { cpu: '2', memory: '1Gi' },
                  },
                  volumeMounts: [
                    { name: 'data', mountPath: '/data', readOnly: true },
                    { name: 'tmp', mountPath: '/tmp' },
                  ],
                },
              ],
              volumes: [
                { name: 'data', persistentVolumeClaim: { claimName: args.claimName, readOnly: true } },
                { name: 'tmp', emptyDir: { sizeLimit: '1Gi' } },
              ],
            },
          },
        },
      },
    },
  };
}

/** The Kubernetes group that may exec into the shell (deploy/k8s/components/exec-access). */
export const EXEC_GROUP = 's3k-operators';

/**
 * RBAC for `kubectl exec deploy/s3k -- s3cmd ...` (the same as deploy/k8s/components/exec-access/rbac.yaml):
 * get the Deployment s3k, find its pod, exec (create: SPDY; get: WebSocket, kubectl 1.31 and later),
 * read its log. Whoever can exec into the shell acts with its role (read access to the bucket).
 */
export function execRole(namespace: string, labels?: Record<string, string>): k8s.types.input.rbac.v1.Role {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 's3k-exec', namespace, labels: { 'app.kubernetes.io/name': 's3k', 'app.kubernetes.io/component': 'exec-access', ...(labels ?? {}) } },
    rules: [
      { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['s3k'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
      { apiGroups: [''], resources: ['pods/exec'], verbs: ['get', 'create'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    ],
  };
}

export function execRoleBinding(namespace: string, group = EXEC_GROUP, labels?: Record<string, string>): k8s.types.input.rbac.v1.RoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 's3k-exec', namespace, labels: { 'app.kubernetes.io/name': 's3k', 'app.kubernetes.io/component': 'exec-access', ...(labels ?? {}) } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 's3k-exec' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }],
  };
}

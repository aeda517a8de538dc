// Mutation test of deploy/: insecure changes a reviewer would look for, each applied to a temporary
// copy of the manifests (deploy/k8s) or of the Pulumi program (deploy/pulumi), must make a check fail:
// deploy/k8s/validate.ts for the manifests, the Pulumi unit tests (test/unit/deploy-pulumi.test.ts,
// run against the mutated copy) for the program. A mutation that no longer applies (the code it edits
// changed) fails too, so this list is kept in step with the code.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { REPO_ROOT, makeTempDir, run } from '../support/lab.ts';
import { checkPaths, podSpecOf, podTemplateOf, type Checked, type Manifest } from '../../deploy/k8s/validate.ts';

const K8S = path.join(REPO_ROOT, 'deploy', 'k8s');
const PULUMI = path.join(REPO_ROOT, 'deploy', 'pulumi');
const tmp = makeTempDir('deploy-mutations');
after(() => tmp.cleanup());

let copies = 0;
/** A fresh copy of deploy/k8s (with its components). */
function copyK8s(): string {
  const dir = path.join(tmp.path, `k8s-${copies++}`);
  fs.cpSync(K8S, dir, { recursive: true });
  return dir;
}

/** Rewrites the documents of one YAML file through fn (each document as plain data). */
function editYaml(file: string, fn: (m: Manifest) => void): void {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS() as Manifest).filter(Boolean);
  for (const m of docs) fn(m);
  fs.writeFileSync(file, docs.map((m) => YAML.stringify(m)).join('---\n'));
}

const problemsOf = (checked: Checked[], file: string) =>
  checked.filter((c) => c.source === file).flatMap((c) => c.problems.map((p) => `${c.object} ${p.path}: ${p.message}`));

/** Files of deploy/k8s (relative) that hold a workload (a pod template). */
const workloadFiles = (await checkPaths([K8S])).filter((c) => !c.skipped && /^(Deployment|CronJob|Job)\//.test(c.object))
  .map((c) => path.relative(K8S, c.source));

interface PodMutation {
  name: string;
  /** the check that must report it */
  caughtBy: RegExp;
  apply(pod: Record<string, any>, container: Record<string, any>, template: Record<string, any>): void;
}

/** The insecure changes to a pod: the list first, then the rest of the restricted profile. */
const POD_MUTATIONS: PodMutation[] = [
  {
    name: 'container-level seccompProfile: Unconfined',
    caughtBy: /containers\/[\w-]+\/securityContext\/seccompProfile: must be RuntimeDefault or Localhost/,
    apply: (_p, c) => { c.securityContext.seccompProfile = { type: 'Unconfined' }; },
  },
  {
    name: 'container-level runAsNonRoot: false with runAsUser: 0',
    caughtBy: /containers\/[\w-]+\/securityContext\/runAsNonRoot: must be true/,
    apply: (_p, c) => { c.securityContext.runAsNonRoot = false; c.securityContext.runAsUser = 0; },
  },
  { name: 'hostNetwork: true', caughtBy: /pod\/hostNetwork: must not be true/, apply: (p) => { p.hostNetwork = true; } },
  { name: 'hostPID: true', caughtBy: /pod\/hostPID: must not be true/, apply: (p) => { p.hostPID = true; } },
  { name: 'shareProcessNamespace: true', caughtBy: /pod\/shareProcessNamespace: must not be true/, apply: (p) => { p.shareProcessNamespace = true; } },
  {
    name: 'a hostPath volume of / mounted in the container',
    caughtBy: /pod\/volumes\/host: volume type hostPath is not allowed/,
    apply: (p, c) => {
      p.volumes.push({ name: 'host', hostPath: { path: '/', type: 'Directory' } });
      c.volumeMounts.push({ name: 'host', mountPath: '/host', readOnly: true });
    },
  },
  {
    name: 'a hostPort',
    caughtBy: /containers\/[\w-]+\/ports\/8080\/hostPort: must not be set/,
    apply: (_p, c) => { c.ports = [{ containerPort: 8080, hostPort: 8080, protocol: 'TCP' }]; },
  },
  // the rest of Pod Security Standards "restricted"
  { name: 'hostIPC: true', caughtBy: /pod\/hostIPC: must not be true/, apply: (p) => { p.hostIPC = true; } },
  { name: 'privileged: true', caughtBy: /securityContext\/privileged: must not be true/, apply: (_p, c) => { c.securityContext.privileged = true; } },
  {
    name: 'allowPrivilegeEscalation: true',
    caughtBy: /securityContext\/allowPrivilegeEscalation: must be false/,
    apply: (_p, c) => { c.securityContext.allowPrivilegeEscalation = true; },
  },
  {
    name: 'capabilities: add SYS_ADMIN, drop nothing',
    caughtBy: /capabilities\/add: may only add NET_BIND_SERVICE/,
    apply: (_p, c) => { c.securityContext.capabilities = { add: ['SYS_ADMIN'] }; },
  },
  {
    name: 'pod-level seccompProfile: Unconfined',
    caughtBy: /pod\/securityContext\/seccompProfile: must not be Unconfined/,
    apply: (p) => { p.securityContext.seccompProfile = { type: 'Unconfined' }; },
  },
  { name: 'pod-level runAsUser: 0', caughtBy: /pod\/securityContext\/runAsUser: must not be 0/, apply: (p) => { p.securityContext.runAsUser = 0; } },
  {
    name: 'an unsafe sysctl',
    caughtBy: /sysctls\/kernel\.msgmax: is not a safe sysctl/,
    apply: (p) => { p.securityContext.sysctls = [{ name: 'kernel.msgmax', value: '65536' }]; },
  },
  {
    name: 'AppArmor Unconfined (field)',
    caughtBy: /securityContext\/appArmorProfile: must be RuntimeDefault or Localhost/,
    apply: (_p, c) => { c.securityContext.appArmorProfile = { type: 'Unconfined' }; },
  },
  {
    name: 'AppArmor unconfined (annotation)',
    caughtBy: /annotations\/container\.apparmor\.security\.beta\.kubernetes\.io\/[\w-]+: must be runtime\/default/,
    apply: (_p, c, t) => { t.metadata = { ...(t.metadata ?? {}), annotations: { [`container.apparmor.security.beta.kubernetes.io/${c.name}`]: 'unconfined' } }; },
  },
  {
    name: 'SELinux type spc_t',
    caughtBy: /securityContext\/seLinuxOptions: type must be one of/,
    apply: (_p, c) => { c.securityContext.seLinuxOptions = { type: 'spc_t' }; },
  },
  { name: 'procMount: Unmasked', caughtBy: /securityContext\/procMount: must be Default/, apply: (_p, c) => { c.securityContext.procMount = 'Unmasked'; } },
  {
    name: 'windowsOptions.hostProcess: true',
    caughtBy: /windowsOptions\/hostProcess: must not be true/,
    apply: (p) => { p.securityContext.windowsOptions = { hostProcess: true }; },
  },
];

describe('deploy/k8s: each insecure change to a copy of the manifests makes validate.ts fail', () => {
  it('the unchanged copy passes, and there are workloads to change', async () => {
    assert.ok(workloadFiles.length >= 3, `workloads: ${workloadFiles.join(', ')}`);
    const dir = copyK8s();
    const checked = await checkPaths([dir]);
    assert.deepEqual(checked.flatMap((c) => c.problems.map((p) => `${c.source}: ${c.object} ${p.path}: ${p.message}`)), []);
  });

  for (const mut of POD_MUTATIONS) {
    for (const file of workloadFiles) {
      it(`${mut.name} (${file})`, async () => {
        const dir = copyK8s();
        const target = path.join(dir, file);
        let applied = 0;
        editYaml(target, (m) => {
          const t = podTemplateOf(m);
          if (!t) return;
          const pod = podSpecOf(m)!;
          mut.apply(pod, pod.containers[0], t);
          applied++;
        });
        assert.equal(applied, 1, 'one workload changed');
        const problems = problemsOf(await checkPaths([dir]), target);
        assert.ok(problems.some((p) => mut.caughtBy.test(p)), `not caught (want ${mut.caughtBy}); problems: ${JSON.stringify(problems, null, 1)}`);
      });
    }
  }

  const NS_MUTATIONS: { name: string; caughtBy: RegExp; apply(labels: Record<string, string>): void }[] = [
    { name: 'the enforce label removed', caughtBy: /labels\/pod-security\.kubernetes\.io\/enforce: must be "restricted" \(is null\)/, apply: (l) => { delete l['pod-security.kubernetes.io/enforce']; } },
    { name: 'enforce: privileged', caughtBy: /labels\/pod-security\.kubernetes\.io\/enforce: must be "restricted" \(is "privileged"\)/, apply: (l) => { l['pod-security.kubernetes.io/enforce'] = 'privileged'; } },
    { name: 'enforce: baseline', caughtBy: /labels\/pod-security\.kubernetes\.io\/enforce: must be "restricted"/, apply: (l) => { l['pod-security.kubernetes.io/enforce'] = 'baseline'; } },
    { name: 'enforce-version: latest (not pinned)', caughtBy: /enforce-version: must pin a version/, apply: (l) => { l['pod-security.kubernetes.io/enforce-version'] = 'latest'; } },
    { name: 'warn label removed', caughtBy: /labels\/pod-security\.kubernetes\.io\/warn: must be "restricted"/, apply: (l) => { delete l['pod-security.kubernetes.io/warn']; } },
    { name: 'audit: privileged', caughtBy: /labels\/pod-security\.kubernetes\.io\/audit: must be "restricted"/, apply: (l) => { l['pod-security.kubernetes.io/audit'] = 'privileged'; } },
  ];
  for (const mut of NS_MUTATIONS) {
    it(`namespace: ${mut.name}`, async () => {
      const dir = copyK8s();
      const target = path.join(dir, 'namespace.yaml');
      editYaml(target, (m) => {
        assert.equal(m.kind, 'Namespace');
        mut.apply(m.metadata!.labels as Record<string, string>);
      });
      const problems = problemsOf(await checkPaths([dir]), target);
      assert.ok(problems.some((p) => mut.caughtBy.test(p)), `not caught (want ${mut.caughtBy}); problems: ${JSON.stringify(problems, null, 1)}`);
    });
  }

  const RBAC_MUTATIONS: { name: string; caughtBy: RegExp; apply(m: Record<string, any>): void }[] = [
    { name: 'a wildcard verb', caughtBy: /Role\/s3k-exec rules\/2\/verbs: no wildcards/, apply: (m) => { if (m.kind === 'Role') m.rules[2].verbs = ['*']; } },
    { name: 'access to secrets', caughtBy: /Role\/s3k-exec rules\/\d\/resources: no secrets/, apply: (m) => { if (m.kind === 'Role') m.rules.push({ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }); } },
    { name: 'creating pods', caughtBy: /no creating or changing pods/, apply: (m) => { if (m.kind === 'Role') m.rules[1].verbs.push('create'); } },
    {
      name: 'bound to the ClusterRole cluster-admin',
      caughtBy: /RoleBinding\/s3k-exec roleRef\/kind: must be a Role/,
      apply: (m) => { if (m.kind === 'RoleBinding') m.roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }; },
    },
    { name: 'a ClusterRole instead of a Role', caughtBy: /ClusterRole\/s3k-exec kind: ClusterRole: only namespace-scoped/, apply: (m) => { if (m.kind === 'Role') { m.kind = 'ClusterRole'; delete m.metadata.namespace; } } },
  ];
  for (const mut of RBAC_MUTATIONS) {
    it(`exec RBAC: ${mut.name}`, async () => {
      const dir = copyK8s();
      const target = path.join(dir, 'components', 'exec-access', 'rbac.yaml');
      editYaml(target, (m) => mut.apply(m as Record<string, any>));
      const problems = problemsOf(await checkPaths([dir]), target);
      assert.ok(problems.some((p) => mut.caughtBy.test(p)), `not caught (want ${mut.caughtBy}); problems: ${JSON.stringify(problems, null, 1)}`);
    });
  }

  it('the command line (npx tsx deploy/k8s/validate.ts DIR) exits 0 on the copy and 1 on a changed copy, naming the problem', async () => {
    const cli = (dir: string) => run(process.execPath, ['--import', 'tsx', path.join(K8S, 'validate.ts'), dir], { guard: false, timeoutMs: 60_000 });
    const clean = await cli(copyK8s());
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    const dir = copyK8s();
    editYaml(path.join(dir, 'deployment.yaml'), (m) => { podSpecOf(m)!.hostPID = true; });
    const bad = await cli(dir);
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /^FAIL .*deployment\.yaml: Deployment\/s3k pod\/hostPID: must not be true/m);
  });
});

// --------------------------------------------------------------------------------------- Pulumi
interface SourceMutation {
  name: string;
  file: string;
  /** exact text to replace (must occur once), and its replacement */
  from: string | RegExp;
  to: string;
  /** a test of deploy-pulumi.test.ts that must fail */
  caughtBy: RegExp;
}

const PULUMI_MUTATIONS: SourceMutation[] = [
  {
    name: 's3:PutBucketPolicy and s3:DeleteBucket added to the role',
    file: 'src/policies.ts',
    from: "Action: ['s3:ListBucket', 's3:GetBucketLocation'], Resource: bucketArn },",
    to: "Action: ['s3:ListBucket', 's3:GetBucketLocation', 's3:PutBucketPolicy', 's3:DeleteBucket'], Resource: bucketArn },",
    caughtBy: /role policy/,
  },
  {
    name: 'kms:* on * when a KMS key is set',
    file: 'src/policies.ts',
    from: /Action: write \? \['kms:Decrypt', 'kms:GenerateDataKey'\] : 'kms:Decrypt',\s*Resource: opts\.kmsKeyArn,/,
    to: "Action: 'kms:*', Resource: '*',",
    caughtBy: /with a KMS key/,
  },
  {
    name: 's3:* on * when listing all buckets is enabled',
    file: 'src/policies.ts',
    from: "Action: 's3:ListAllMyBuckets', Resource: '*'",
    to: "Action: 's3:*', Resource: '*'",
    caughtBy: /listAllBuckets true/,
  },
  {
    name: 'an OIDC provider ARN of another cluster accepted',
    file: 'src/policies.ts',
    from: /\n\s*if \(m\[1\] !== issuer\) throw [^\n]*/,
    to: '',
    caughtBy: /OIDC provider of another cluster/,
  },
  // the bucket
  {
    name: 'TLS below 1.2 accepted (the DenyOutdatedTls statement dropped)',
    file: 'src/policies.ts',
    from: /\n\s*\{\n\s*Sid: 'DenyOutdatedTls',[\s\S]*?\n\s{6}\},/,
    to: '',
    caughtBy: /TLS 1\.2\+ only bucket policy/,
  },
  {
    name: 'incomplete multipart uploads kept for ever',
    file: 'src/bucket.ts',
    from: 'export const ABORT_INCOMPLETE_MULTIPART_DAYS = 7;',
    to: 'export const ABORT_INCOMPLETE_MULTIPART_DAYS = 36500;',
    caughtBy: /versioning (true|false), noncurrent/,
  },
  // the platform settings
  {
    name: 'Pod Identity trust without aws:SourceAccount',
    file: 'src/policies.ts',
    from: "            'aws:SourceAccount': accountId,\n",
    to: '',
    caughtBy: /pod-identity on (a new|an existing) cluster/,
  },
  {
    name: 'the permissions boundary left off the roles',
    file: 'src/cluster.ts',
    from: "...(iam.permissionsBoundary ? { permissionsBoundary: iam.permissionsBoundary } : {}),",
    to: '',
    caughtBy: /permissions boundary and IAM path on every role/,
  },
  {
    name: 'the API endpoint public to everyone whatever the configured CIDRs',
    file: 'src/cluster.ts',
    from: "...(args.apiPublicAccessCidrs.length > 0 ? { publicAccessCidrs: args.apiPublicAccessCidrs } : {}),",
    to: "publicAccessCidrs: ['0.0.0.0/0'],",
    caughtBy: /API endpoint: public only from the configured CIDRs/,
  },
  // least privilege per workload
  {
    name: 'the read-only shell role may also write',
    file: 'src/policies.ts',
    from: "{ Sid: 'ReadObjects', Effect: 'Allow', Action: 's3:GetObject', Resource: `${bucketArn}/*` },",
    to: "{ Sid: 'ReadObjects', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: `${bucketArn}/*` },",
    caughtBy: /role policy/,
  },
  {
    name: 'the backup writer may delete',
    file: 'src/policies.ts',
    from: "Action: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],",
    to: "Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],",
    caughtBy: /backup role writes under nightly\/ only/,
  },
  {
    name: 'the backup writer is not confined to its prefix',
    file: 'src/policies.ts',
    from: 'Resource: `${bucketArn}/${prefix}*`,',
    to: 'Resource: `${bucketArn}/*`,',
    caughtBy: /backup role writes under nightly\/ only/,
  },
  {
    name: 'the backup CronJob runs as the shell\'s service account',
    file: 'src/infra.ts',
    from: 'const b: WorkloadArgs = { ...w, serviceAccountName: args.backupServiceAccountName,',
    to: 'const b: WorkloadArgs = { ...w, serviceAccountName: sa,',
    caughtBy: /association per service account|backup role writes/,
  },
];

/** A copy of deploy/pulumi that resolves its packages from the repository's node_modules. */
function copyPulumi(): string {
  const dir = path.join(tmp.path, `pulumi-${copies++}`);
  fs.mkdirSync(dir);
  for (const f of fs.readdirSync(PULUMI)) {
    if (f === 'node_modules' || f === 'bin') continue;
    fs.cpSync(path.join(PULUMI, f), path.join(dir, f), { recursive: true });
  }
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

/**
 * Runs the tests of test/unit/deploy-pulumi.test.ts whose names match `only` against a program directory
 * (only those: the whole file deploys the program some 40 times); returns the names of the failed tests.
 */
async function pulumiTests(dir: string, only: RegExp): Promise<{ code: number | null; failed: string[]; passed: string[]; output: string }> {
  const r = await run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', `--test-name-pattern=${only.source}`, path.join(REPO_ROOT, 'test', 'unit', 'deploy-pulumi.test.ts')], {
    guard: false,
    env: { S3K_PULUMI_PROGRAM: dir },
    timeoutMs: 180_000,
  });
  const failed = [...r.stdout.matchAll(/^\s*not ok \d+ - (.*)$/gm)].map((m) => m[1]!);
  const passed = [...r.stdout.matchAll(/^\s*ok \d+ - (.*?)( # SKIP.*)?$/gm)].filter((m) => !m[2] && only.test(m[1]!)).map((m) => m[1]!);
  return { code: r.code, failed, passed, output: r.stdout.slice(-4000) + r.stderr.slice(-2000) };
}

describe('deploy/pulumi: each insecure change to a copy of the program makes its unit tests fail', { concurrency: 2 }, () => {
  it('the unchanged copy passes the tests that must catch the changes below', async () => {
    const all = new RegExp(PULUMI_MUTATIONS.map((m) => `(?:${m.caughtBy.source})`).join('|'));
    const r = await pulumiTests(copyPulumi(), all);
    assert.deepEqual(r.failed, [], r.output);
    assert.equal(r.code, 0, r.output);
    for (const m of PULUMI_MUTATIONS) assert.ok(r.passed.some((n) => m.caughtBy.test(n)), `${m.name}: no test matches ${m.caughtBy}`);
  });

  for (const mut of PULUMI_MUTATIONS) {
    it(mut.name, async () => {
      const dir = copyPulumi();
      const file = path.join(dir, mut.file);
      const src = fs.readFileSync(file, 'utf8');
      const hits = typeof mut.from === 'string' ? src.split(mut.from).length - 1 : [...src.matchAll(new RegExp(mut.from, 'g'))].length;
      assert.equal(hits, 1, `the mutation applies once to ${mut.file} (if the code changed, update this mutation)`);
      fs.writeFileSync(file, src.replace(mut.from, mut.to));
      const r = await pulumiTests(dir, mut.caughtBy);
      assert.notEqual(r.code, 0, `the tests passed with the change:\n${r.output}`);
      assert.ok(r.failed.some((n) => mut.caughtBy.test(n)), `no failing test matches ${mut.caughtBy}; failed: ${JSON.stringify(r.failed)}\n${r.output}`);
    });
  }
});

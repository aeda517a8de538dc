// deploy/k8s: every manifest validated against the Kubernetes schemas (kubernetes-models, offline),
// with unknown fields refused, and the secure defaults and wiring the pods depend on checked.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { REPO_ROOT, makeTempDir } from '../support/lab.ts';
import { parseCommandLine } from '../../src/cli/options.ts';
import { resolveSettings, checkRefused } from '../../src/config/settings.ts';
import { isApiObject, podSpecOf, readManifests, securityProblems, validateManifest, yamlFiles, type Manifest } from '../../deploy/k8s/validate.ts';

const K8S = path.join(REPO_ROOT, 'deploy', 'k8s');
/** every .yaml below deploy/k8s (components/* too), relative */
const files = yamlFiles(K8S).map((f) => path.relative(K8S, f));
const all: { file: string; m: Manifest }[] = files.flatMap((file) => readManifests(path.join(K8S, file)).map((m) => ({ file, m })));
const api = all.filter(({ m }) => isApiObject(m));
const find = (kind: string) => {
  const found = api.filter(({ m }) => m.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0]!.m;
};
const container = (m: Manifest) => podSpecOf(m)!.containers[0] as Record<string, any>;
const envOf = (c: Record<string, any>) => new Map<string, Record<string, any>>((c.env ?? []).map((e: Record<string, any>) => [e.name, e]));

describe('deploy/k8s manifests', () => {
  it('has the ServiceAccount, the Deployment, the backup CronJob and the Indexed Job', () => {
    assert.deepEqual(api.map(({ m }) => m.kind).sort(), ['ConfigMap', 'CronJob', 'Deployment', 'Job', 'Namespace', 'Role', 'RoleBinding', 'ServiceAccount', 'ServiceAccount', 'ServiceAccount']);
  });

  for (const { file, m } of api) {
    it(`${file}: ${m.kind}/${m.metadata?.name} is valid against the Kubernetes schema (no unknown fields)`, async () => {
      assert.deepEqual(await validateManifest(m), []);
      assert.equal(m.metadata?.namespace, 'Namespace' === m.kind ? undefined : 's3k');
      assert.doesNotMatch(file, /kustomization\.yaml$/);
    });
  }

  for (const { file, m } of api.filter(({ m }) => podSpecOf(m))) {
    it(`${file}: secure defaults (non-root 65532, fsGroup, read-only root, no escalation, caps dropped, limits, no node role)`, () => {
      assert.deepEqual(securityProblems(m), []);
      // one service account (and role) per workload, in the same file set (the base or the component)
      const sa = podSpecOf(m)!.serviceAccountName as string;
      assert.equal(sa, { Deployment: 's3k', CronJob: 's3k-backup', Job: 's3k-sync' }[m.kind]);
      const own = api.find((x) => x.m.kind === 'ServiceAccount' && x.m.metadata?.name === sa)!;
      assert.ok(own, `ServiceAccount ${sa}`);
      assert.equal(path.dirname(own.file), path.dirname(file), `ServiceAccount ${sa} next to ${file}`);
      assert.match(container(m).image, /^s3k:\d+\.\d+\.\d+$/, 'the image kustomization rewrites');
    });
  }

  it('the validator is not vacuous: a misspelt security field, a wrong type and a bad enum are reported', async () => {
    const dep = structuredClone(find('Deployment'));
    const c = container(dep);
    c.securityContext.readOnlyRootFileSystem = c.securityContext.readOnlyRootFilesystem;
    delete c.securityContext.readOnlyRootFilesystem;
    (dep.spec as any).replicas = '1';
    c.imagePullPolicy = 'Sometimes';
    const schema = await validateManifest(dep);
    assert.ok(schema.some((p) => p.path === '/spec/replicas'), JSON.stringify(schema));
    assert.ok(schema.some((p) => /imagePullPolicy/.test(p.path)), JSON.stringify(schema));
    (dep.spec as any).replicas = 1;
    c.imagePullPolicy = 'IfNotPresent';
    const unknown = await validateManifest(dep);
    assert.deepEqual(unknown, [{ path: '/spec/template/spec/containers/0/securityContext/readOnlyRootFileSystem', message: 'unknown field' }]);
    assert.ok(securityProblems(dep).some((p) => /readOnlyRootFilesystem/.test(p.path)));
    const labels = structuredClone(find('Deployment'));
    (labels.metadata!.labels as Record<string, string>)['any.example/key'] = 'x';
    assert.deepEqual(await validateManifest(labels), [], 'map keys (labels) are not unknown fields');
  });

  it('ServiceAccounts: one per workload, each with its own role ARN; no Kubernetes API token', () => {
    const sas = api.filter(({ m }) => m.kind === 'ServiceAccount').map(({ m }) => m);
    assert.deepEqual(sas.map((m) => m.metadata?.name).sort(), ['s3k', 's3k-backup', 's3k-sync']);
    const roles = new Set<string>();
    for (const sa of sas) {
      const ann = sa.metadata!.annotations as Record<string, string>;
      assert.match(ann['eks.amazonaws.com/role-arn']!, /^arn:aws:iam::\d{12}:role\/[\w+=,.@-]+$/);
      roles.add(ann['eks.amazonaws.com/role-arn']!);
      assert.equal(ann['eks.amazonaws.com/sts-regional-endpoints'], 'true');
      assert.equal((sa as any).automountServiceAccountToken, false);
    }
    assert.equal(roles.size, sas.length, 'no role shared between workloads');
  });

  it('exec access: a Role for pods/exec in the namespace only, bound to a group, nothing else', () => {
    const role = find('Role') as any;
    assert.deepEqual(role.rules, [
      { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['s3k'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
      { apiGroups: [''], resources: ['pods/exec'], verbs: ['get', 'create'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    ]);
    const binding = find('RoleBinding') as any;
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
    assert.deepEqual(binding.subjects, [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 's3k-operators' }]);
    assert.deepEqual(securityProblems(role), []);
    const wild = structuredClone(role);
    wild.rules[2].verbs = ['*'];
    assert.ok(securityProblems(wild).some((p) => /wildcards/.test(p.message)));
    const admin = structuredClone(binding);
    admin.roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' };
    assert.ok(securityProblems(admin).some((p) => /ClusterRole/.test(p.message)));
  });

  it('Deployment: the original pod kept alive by a `sh -c` loop that exits on SIGTERM, after checking for IRSA / Pod Identity variables', () => {
    const dep = find('Deployment');
    assert.equal((dep.spec as any).replicas, 1);
    const c = container(dep);
    assert.deepEqual(c.command.slice(0, 2), ['sh', '-c']);
    assert.match(c.command[2], /^trap 'exit 0' TERM INT$/m);
    assert.match(c.command[2], /^while true; do sleep \d+ & wait \$!; done$/m);
    assert.equal(c.args, undefined);
    const env = envOf(c);
    assert.deepEqual(env.get('POD_NAMESPACE')!.valueFrom, { fieldRef: { fieldPath: 'metadata.namespace' } });
    assert.deepEqual(env.get('POD_SERVICE_ACCOUNT')!.valueFrom, { fieldRef: { fieldPath: 'spec.serviceAccountName' } });
  });

  describe('the shell entrypoint (run here with sh): the webhook race', () => {
    const script = () => container(find('Deployment')).command[2] as string;
    const tmp = makeTempDir('deploy-shell');
    after(() => tmp.cleanup());
    const token = path.join(tmp.path, 'token');
    fs.writeFileSync(token, 'eyJ...');
    const base = { POD_NAMESPACE: 's3k', POD_SERVICE_ACCOUNT: 's3k', PATH: process.env.PATH ?? '/usr/bin:/bin' };

    /**
     * Starts the script; resolves how it ended, or 'running' if it is still up after ms (then SIGTERM,
     * which must end it at once with 0). Where it must exit, give a long ms: an exit resolves at once.
     */
    function start(env: Record<string, string>, ms = 400): Promise<{ state: 'exited' | 'running'; code: number | null; stderr: string; stopMs?: number }> {
      return new Promise((resolve) => {
        // its own process group, like a container's PID 1: the loop's `sleep` goes with it
        const child = spawn('sh', ['-c', script()], { env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
        const killGroup = () => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } };
        let stderr = '';
        child.stderr.on('data', (d) => { stderr += d; });
        let up = true;
        child.on('exit', (code) => { if (up) { up = false; killGroup(); resolve({ state: 'exited', code, stderr }); } });
        setTimeout(() => {
          if (!up) return;
          up = false;
          const t0 = Date.now();
          child.removeAllListeners('exit');
          child.on('exit', (code) => { const stopMs = Date.now() - t0; killGroup(); resolve({ state: 'running', code, stderr, stopMs }); });
          child.kill('SIGTERM');
        }, ms);
      });
    }

    it('no IRSA or Pod Identity variables (a pod admitted before the webhook saw its ServiceAccount): exit 1, one line naming the cause and the fix', async () => {
      const r = await start(base, 10_000);
      assert.equal(r.state, 'exited');
      assert.equal(r.code, 1);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /^s3k: no IRSA \(AWS_ROLE_ARN\) or Pod Identity \(AWS_CONTAINER_CREDENTIALS_FULL_URI\) variables/);
      assert.match(lines[0]!, /webhook saw the eks\.amazonaws\.com\/role-arn annotation of service account s3k/);
      assert.match(lines[0]!, /kubectl -n s3k rollout restart deployment\/s3k$/);
      const half = await start({ ...base, AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/s3k' }, 10_000);
      assert.equal(half.code, 1, 'AWS_ROLE_ARN without the token file is not IRSA');
    });

    it('IRSA variables with a readable token: stays up, and SIGTERM ends it at once with 0', async () => {
      const r = await start({ ...base, AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/s3k', AWS_WEB_IDENTITY_TOKEN_FILE: token });
      assert.equal(r.state, 'running', r.stderr);
      assert.equal(r.code, 0);
      assert.ok(r.stopMs! < 2000, `${r.stopMs} ms`);
    });

    it('IRSA token not readable: exit 1 naming fsGroup', async () => {
      const r = await start({ ...base, AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/s3k', AWS_WEB_IDENTITY_TOKEN_FILE: path.join(tmp.path, 'missing') }, 10_000);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^s3k: the IRSA token .* is not readable: the pod needs securityContext\.fsGroup 65532\n$/);
    });

    it('Pod Identity variables: stays up', async () => {
      const r = await start({ ...base, AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials', AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: token });
      assert.equal(r.state, 'running', r.stderr);
      assert.equal(r.code, 0);
    });
  });

  it('CronJob: nightly, never overlapping, syncs the read-only volume to the bucket from the ConfigMap', () => {
    const cj = find('CronJob');
    const spec = cj.spec as any;
    assert.equal(spec.schedule.split(/\s+/).length, 5);
    assert.match(spec.schedule, /^\d+ \d+ \* \* \*$/, 'once a day');
    assert.equal(spec.concurrencyPolicy, 'Forbid');
    const pod = podSpecOf(cj)!;
    const c = container(cj);
    assert.deepEqual(c.command, ['s3cmd']);
    assert.deepEqual(c.args, ['sync', '--json', '--progress-interval=60', '/data/', '$(S3_TARGET)nightly/']);
    assert.deepEqual(c.volumeMounts.find((v: any) => v.mountPath === '/data'), { name: 'data', mountPath: '/data', readOnly: true });
    assert.equal(pod.volumes.find((v: any) => v.name === 'data').persistentVolumeClaim.readOnly, true);
    assert.deepEqual(envOf(c).get('S3_TARGET')!.valueFrom, { configMapKeyRef: { name: 's3k', key: 'S3_TARGET' } });
  });

  it("CronJob and Job arguments: options s3k's sync reads (none refused); both log progress every 60 s and end with a --json summary", () => {
    for (const kind of ['CronJob', 'Job']) {
      const args = (container(find(kind)).args as string[]).map((a) => a.replace('$(JOB_COMPLETION_INDEX)/$(SHARD_COUNT)', '0/4'));
      const { values, positionals } = parseCommandLine(args);
      assert.equal(positionals[0], 'sync', kind);
      const s = resolveSettings(values, { HOME: '/nonexistent-home-s3k' });
      checkRefused(s, 'sync');
      // both log a progress line every 60 s (no --no-progress, which would silence them) and end with a --json summary
      assert.equal(s.json, true, kind);
      assert.equal(s.progressInterval, 60, kind);
      assert.ok(!args.includes('--no-progress'), kind);
    }
  });

  it('Indexed Job: N pods, pod K runs sync --shard K/N with JOB_COMPLETION_INDEX; completions = parallelism = SHARD_COUNT', () => {
    const job = find('Job');
    const spec = job.spec as any;
    assert.equal(spec.completionMode, 'Indexed');
    const c = container(job);
    const n = Number(envOf(c).get('SHARD_COUNT')!.value);
    assert.ok(n >= 2);
    assert.equal(spec.completions, n);
    assert.equal(spec.parallelism, n);
    assert.deepEqual(c.command, ['s3cmd']);
    assert.ok(c.args.includes('--shard=$(JOB_COMPLETION_INDEX)/$(SHARD_COUNT)'), c.args.join(' '));
    assert.equal(c.args[0], 'sync');
    assert.ok(!c.args.some((a: string) => /delete/.test(a)), 'a shard must not delete what other shards copy');
  });

  it('ConfigMap keys used by the pods exist; kustomization lists the top-level files and the image; components list theirs', () => {
    const cm = find('ConfigMap');
    const data = (cm as any).data as Record<string, string>;
    for (const { m } of api.filter(({ m }) => podSpecOf(m))) {
      for (const e of envOf(container(m)).values()) {
        const ref = e.valueFrom?.configMapKeyRef;
        if (ref) {
          assert.equal(ref.name, cm.metadata!.name);
          assert.ok(ref.key in data, `${m.kind}: ConfigMap key ${ref.key}`);
        }
      }
    }
    assert.match(data.S3_TARGET!, /^s3:\/\/[a-z0-9.-]+\/$/);
    const k = YAML.parse(fs.readFileSync(path.join(K8S, 'kustomization.yaml'), 'utf8'));
    assert.equal(k.kind, 'Kustomization');
    assert.equal(k.namespace, 's3k');
    assert.deepEqual([...k.resources].sort(), files.filter((f) => !f.includes('/') && f !== 'kustomization.yaml').sort(), 'every top-level file');
    assert.equal(k.images[0].name, 's3k');
    assert.equal(k.components, undefined, 'no component by default: the backup needs a claim, the Job starts copying at once');
    // each component: kind Component, lists exactly the .yaml files of its directory
    const components = fs.readdirSync(path.join(K8S, 'components')).sort();
    assert.deepEqual(components, ['backup', 'exec-access', 'sharded-sync']);
    for (const c of components) {
      const ck = YAML.parse(fs.readFileSync(path.join(K8S, 'components', c, 'kustomization.yaml'), 'utf8'));
      assert.equal(ck.kind, 'Component', c);
      assert.equal(ck.apiVersion, 'kustomize.config.k8s.io/v1alpha1', c);
      const own = files.filter((f) => f.startsWith(`components/${c}/`) && !f.endsWith('/kustomization.yaml')).map((f) => path.basename(f));
      assert.deepEqual([...(ck.resources ?? [])].sort(), own.sort(), `components/${c} lists its files`);
    }
  });
});

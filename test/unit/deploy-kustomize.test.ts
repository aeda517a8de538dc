// deploy/k8s through kustomize (kubectl kustomize, kubectl 1.32 / kustomize 5.5 from deploy/k8s/kubectl.sh,
// offline): after `kustomize edit set image s3k=REGISTRY/s3k:TAG` in deploy/k8s, every workload,
// the components' Job and CronJob too, runs REGISTRY/s3k:TAG (a bare s3k:0.1.0 would be pulled from
// docker.io). Every rendered object passes deploy/k8s/validate.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { REPO_ROOT, makeTempDir, run } from '../support/lab.ts';
import { checkManifests, describe as describeObject, parseManifests, podSpecOf, type Manifest } from '../../deploy/k8s/validate.ts';

const K8S = path.join(REPO_ROOT, 'deploy', 'k8s');
const IMAGE = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/s3k';
const TAG = '1.2.3';
const tmp = makeTempDir('deploy-kustomize');
after(() => tmp.cleanup());
let kubectl = '';
let n = 0;

/** deploy/k8s copied, with `kustomize edit set image s3k=IMAGE:TAG` and the given components added, as kustomize edit writes them. */
function overlay(components: string[], setImage = true): string {
  const dir = path.join(tmp.path, `k8s-${n++}`);
  fs.cpSync(K8S, dir, { recursive: true });
  const file = path.join(dir, 'kustomization.yaml');
  const k = YAML.parse(fs.readFileSync(file, 'utf8'));
  if (setImage) k.images = [{ name: 's3k', newName: IMAGE, newTag: TAG }];
  if (components.length) k.components = components;
  fs.writeFileSync(file, YAML.stringify(k));
  return dir;
}

async function render(dir: string): Promise<Manifest[]> {
  const r = await run(kubectl, ['kustomize', dir], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  return parseManifests(r.stdout, `kubectl kustomize ${dir}`);
}

const images = (ms: Manifest[]) => ms.flatMap((m) => {
  const pod = podSpecOf(m);
  return pod ? [...(pod.initContainers ?? []), ...pod.containers].map((c: Record<string, any>) => `${describeObject(m)} ${c.image}`) : [];
});

describe('deploy/k8s with kustomize (kubectl kustomize)', () => {
  before(async () => {
    const r = await run('bash', [path.join(K8S, 'kubectl.sh')], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    kubectl = r.stdout.trim();
    const v = await run(kubectl, ['version', '--client'], { timeoutMs: 30_000 });
    assert.match(v.stdout, /Kustomize Version: v5\./, v.stdout);
  });

  it('as shipped: the namespace, service account, ConfigMap and shell Deployment, image s3k:0.1.0, all valid', async () => {
    const ms = await render(K8S);
    assert.deepEqual(ms.map(describeObject).sort(), ['ConfigMap/s3k', 'Deployment/s3k', 'Namespace/s3k', 'ServiceAccount/s3k']);
    assert.deepEqual(images(ms), ['Deployment/s3k s3k:0.1.0']);
    for (const c of await checkManifests(ms, 'rendered')) assert.deepEqual(c.problems, [], c.object);
  });

  const components = fs.readdirSync(path.join(K8S, 'components')).sort();
  for (const c of components) {
    it(`components/${c}: rendered with the image set in deploy/k8s (every container runs ${IMAGE}:${TAG}), in namespace s3k, valid`, async () => {
      const own = (await render(overlay([], false))).map(describeObject);
      const ms = await render(overlay([`components/${c}`]));
      const added = ms.filter((m) => !own.includes(describeObject(m)));
      assert.ok(added.length > 0, `components/${c} adds objects`);
      const imgs = images(ms);
      assert.ok(imgs.length >= 1, imgs.join(', '));
      for (const i of imgs) assert.match(i, new RegExp(` ${IMAGE.replace(/\./g, '\\.')}:${TAG}$`));
      for (const m of added) assert.equal(m.metadata?.namespace, 's3k', describeObject(m));
      for (const ch of await checkManifests(ms, 'rendered')) assert.deepEqual(ch.problems, [], ch.object);
    });
  }

  it('all components together: every image rewritten, no object twice', async () => {
    const ms = await render(overlay(components.map((c) => `components/${c}`)));
    const names = ms.map(describeObject);
    assert.equal(new Set(names).size, names.length, names.join(', '));
    for (const kind of ['Deployment', 'CronJob', 'Job']) assert.ok(ms.some((m) => m.kind === kind), kind);
    for (const i of images(ms)) assert.match(i, new RegExp(`${TAG}$`));
    assert.ok(!images(ms).some((i) => / s3k:/.test(i)), 'no bare s3k image left');
  });
});

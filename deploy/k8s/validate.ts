// Offline validation of Kubernetes manifests against the Kubernetes OpenAPI schemas shipped in the npm
// package kubernetes-models (no cluster, no kubectl). Two checks per object:
//  1. the schema: types, enums, required fields (kubernetes-models' validate());
//  2. unknown fields, which the schema validators let through (a typo such as readOnlyRootFileSystem
//     would silently drop a security setting): the object is validated once more behind a Proxy that
//     records every property the validator looks up; a property it never looked at is unknown to the
//     schema. Objects the validator enumerates (labels, annotations, data: maps) accept any key.
//
// It also checks the secure defaults every s3k pod must have (securityProblems()).
//
//   npx tsx deploy/k8s/validate.ts deploy/k8s/*.yaml      # prints one line per object; exit 1 on a problem
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export interface Problem {
  path: string;
  message: string;
}

type AjvError = { instancePath: string; message?: string; keyword: string; params: Record<string, unknown> };
type ValidateFn = ((data: unknown) => boolean) & { errors?: AjvError[] | null };
interface ModelClass {
  new (data: unknown): { validate(): void };
}

/** Kinds that are not Kubernetes API objects but may sit next to manifests. */
const NOT_API_OBJECTS = new Set(['kustomize.config.k8s.io/v1beta1/Kustomization', 'kustomize.config.k8s.io/v1alpha1/Component']);

export function isApiObject(m: Manifest): boolean {
  return !NOT_API_OBJECTS.has(`${m.apiVersion}/${m.kind}`);
}

/** kubernetes-models module path of apiVersion/kind: v1/ServiceAccount, apps/v1/Deployment. */
function modelPath(m: Manifest): string {
  if (typeof m.apiVersion !== 'string' || typeof m.kind !== 'string' || !/^[A-Za-z]+$/.test(m.kind)) {
    throw new Error('apiVersion and kind must be strings');
  }
  return `kubernetes-models/${m.apiVersion}/${m.kind}`;
}

const cache = new Map<string, Promise<{ Model: ModelClass; validate: ValidateFn }>>();

async function load(m: Manifest): Promise<{ Model: ModelClass; validate: ValidateFn }> {
  const mod = modelPath(m);
  let p = cache.get(mod);
  if (!p) {
    p = (async () => {
      let url: string;
      try {
        url = import.meta.resolve(mod);
      } catch {
        throw new Error(`unknown apiVersion/kind ${m.apiVersion} ${m.kind} (no ${mod} in kubernetes-models)`);
      }
      const exported = (await import(url)) as Record<string, unknown>;
      const Model = exported[m.kind] as ModelClass | undefined;
      // The model module imports its schema validator as ../_schemas/<Name>.js; use the same one.
      const schemaName = /_schemas\/(\w+)\.js/.exec(fs.readFileSync(fileURLToPath(url), 'utf8'))?.[1];
      if (!Model || !schemaName) throw new Error(`kubernetes-models has no model/schema for ${m.apiVersion} ${m.kind}`);
      const { validate } = (await import(import.meta.resolve(`kubernetes-models/_schemas/${schemaName}`))) as { validate: ValidateFn };
      return { Model, validate };
    })();
    cache.set(mod, p);
  }
  return p;
}

/** Runs validate on a recording proxy; returns the paths of properties it never read. */
function unknownFields(validate: ValidateFn, obj: unknown): string[] {
  const seen = new Map<object, { read: Set<PropertyKey>; enumerated: boolean; path: string }>();
  const wrap = (value: unknown, path: string): unknown => {
    if (value === null || typeof value !== 'object') return value;
    const rec = { read: new Set<PropertyKey>(), enumerated: false, path };
    seen.set(value, rec);
    const children = new Map<PropertyKey, unknown>();
    return new Proxy(value, {
      get(target, prop, receiver) {
        rec.read.add(prop);
        const v = Reflect.get(target, prop, receiver);
        if (v === null || typeof v !== 'object') return v;
        if (!children.has(prop)) children.set(prop, wrap(v, `${path}/${String(prop)}`));
        return children.get(prop);
      },
      has(target, prop) {
        rec.read.add(prop);
        return Reflect.has(target, prop);
      },
      ownKeys(target) {
        rec.enumerated = true;
        return Reflect.ownKeys(target);
      },
    });
  };
  validate(wrap(obj, ''));
  const unknown: string[] = [];
  for (const [target, rec] of seen) {
    if (Array.isArray(target) || rec.enumerated) continue;
    for (const k of Object.keys(target)) if (!rec.read.has(k)) unknown.push(`${rec.path}/${k}`);
  }
  return unknown;
}

/** Problems of one manifest (empty = valid). Throws for a kind kubernetes-models does not know. */
export async function validateManifest(m: Manifest): Promise<Problem[]> {
  const { Model, validate } = await load(m);
  const problems: Problem[] = [];
  try {
    new Model(m).validate();
  } catch (e) {
    const errors = (e as { errors?: AjvError[] }).errors;
    if (errors?.length) {
      for (const er of errors) problems.push({ path: er.instancePath || '/', message: er.message ?? er.keyword });
    } else {
      problems.push({ path: '/', message: String((e as Error).message ?? e) });
    }
  }
  if (problems.length === 0) {
    for (const p of unknownFields(validate, JSON.parse(JSON.stringify(m)))) problems.push({ path: p, message: 'unknown field' });
  }
  return problems;
}

/** The pod template of a workload (Deployment, StatefulSet, DaemonSet, Job, CronJob, Pod), else undefined. */
export function podSpecOf(m: Manifest): Record<string, any> | undefined {
  const spec = m.spec as Record<string, any> | undefined;
  switch (m.kind) {
    case 'Pod': return spec;
    case 'CronJob': return spec?.jobTemplate?.spec?.template?.spec;
    case 'Deployment': case 'StatefulSet': case 'DaemonSet': case 'ReplicaSet': case 'Job': return spec?.template?.spec;
    default: return undefined;
  }
}

/**
 * The secure defaults every s3k pod must have: non-root user 65532 with fsGroup (to read the
 * projected token), RuntimeDefault seccomp, no privilege escalation, read-only root filesystem, all
 * capabilities dropped, requests and limits, no Kubernetes API token, no fallback to the node's role.
 */
export function securityProblems(m: Manifest): Problem[] {
  const pod = podSpecOf(m);
  if (!pod) return [];
  const out: Problem[] = [];
  const need = (ok: unknown, path: string, message: string) => { if (!ok) out.push({ path, message }); };
  const sc = pod.securityContext ?? {};
  need(sc.runAsNonRoot === true, 'pod/securityContext/runAsNonRoot', 'must be true');
  need(sc.runAsUser === 65532, 'pod/securityContext/runAsUser', 'must be 65532 (the image user)');
  need(sc.runAsGroup === 65532, 'pod/securityContext/runAsGroup', 'must be 65532');
  need(sc.fsGroup === 65532, 'pod/securityContext/fsGroup', 'must be 65532 so the non-root user can read the projected token');
  need(sc.seccompProfile?.type === 'RuntimeDefault', 'pod/securityContext/seccompProfile', 'must be RuntimeDefault');
  need(pod.automountServiceAccountToken === false, 'pod/automountServiceAccountToken', 'must be false (s3k does not use the Kubernetes API)');
  need(typeof pod.serviceAccountName === 'string' && pod.serviceAccountName !== 'default', 'pod/serviceAccountName', 'must name the IRSA / Pod Identity service account');
  const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? [])] as Record<string, any>[];
  need(containers.length > 0, 'pod/containers', 'none');
  for (const c of containers) {
    const p = `containers/${c.name}`;
    const csc = c.securityContext ?? {};
    need(csc.allowPrivilegeEscalation === false, `${p}/securityContext/allowPrivilegeEscalation`, 'must be false');
    need(csc.readOnlyRootFilesystem === true, `${p}/securityContext/readOnlyRootFilesystem`, 'must be true');
    need(csc.privileged !== true, `${p}/securityContext/privileged`, 'must not be true');
    need(Array.isArray(csc.capabilities?.drop) && csc.capabilities.drop.includes('ALL'), `${p}/securityContext/capabilities/drop`, 'must include ALL');
    need(!csc.capabilities?.add?.length, `${p}/securityContext/capabilities/add`, 'must be empty');
    for (const kind of ['requests', 'limits'] as const) {
      for (const r of ['cpu', 'memory']) need(c.resources?.[kind]?.[r] !== undefined, `${p}/resources/${kind}/${r}`, 'must be set');
    }
    const env = (c.env ?? []) as { name: string; value?: string }[];
    need(env.some((e) => e.name === 'AWS_EC2_METADATA_DISABLED' && e.value === 'true'), `${p}/env/AWS_EC2_METADATA_DISABLED`, 'must be "true" (never use the node role)');
    const mounts = (c.volumeMounts ?? []) as { name: string; mountPath: string; readOnly?: boolean }[];
    const tmp = mounts.find((v) => v.mountPath === '/tmp');
    need(tmp && (pod.volumes ?? []).some((v: Record<string, unknown>) => v.name === tmp.name && v.emptyDir), `${p}/volumeMounts//tmp`, 'needs an emptyDir at /tmp (the root filesystem is read-only)');
    // $(VAR) in command/args must name a variable of the container (else Kubernetes leaves it as is)
    const defined = new Set(env.map((e) => e.name));
    if (m.kind === 'Job' && (m.spec as Record<string, unknown>)?.completionMode === 'Indexed') defined.add('JOB_COMPLETION_INDEX');
    for (const word of [...(c.command ?? []), ...(c.args ?? [])] as string[]) {
      for (const ref of word.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
        need(defined.has(ref[1]!), `${p}/args`, `$(${ref[1]}) is not defined in the container's env`);
      }
    }
  }
  return out;
}

/** All documents of a YAML file (empty documents skipped). */
export function readManifests(file: string): Manifest[] {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'));
  const out: Manifest[] = [];
  for (const d of docs) {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
    const v = d.toJS() as Manifest | null;
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}

export const describe = (m: Manifest) => `${m.kind}/${m.metadata?.name ?? '?'}`;

async function main(files: string[]): Promise<number> {
  if (files.length === 0) {
    console.error('usage: tsx deploy/k8s/validate.ts FILE.yaml...');
    return 2;
  }
  let bad = 0;
  for (const f of files) {
    for (const m of readManifests(f)) {
      if (!isApiObject(m)) {
        console.log(`skip ${f}: ${m.apiVersion} ${m.kind} (not a Kubernetes API object)`);
        continue;
      }
      const problems = await validateManifest(m).catch((e: Error) => [{ path: '/', message: e.message }]);
      problems.push(...securityProblems(m));
      if (problems.length === 0) console.log(`ok   ${f}: ${describe(m)}`);
      else {
        bad++;
        for (const p of problems) console.log(`FAIL ${f}: ${describe(m)} ${p.path}: ${p.message}`);
      }
    }
  }
  return bad ? 1 : 0;
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}

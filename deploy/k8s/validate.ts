// Offline validation of Kubernetes manifests against the Kubernetes OpenAPI schemas shipped in the npm
// package kubernetes-models (no cluster, no kubectl). Two checks per object:
//  1. the schema: types, enums, required fields (kubernetes-models' validate());
//  2. unknown fields, which the schema validators let through (a typo such as readOnlyRootFileSystem
//     would silently drop a security setting): the object is validated once more behind a Proxy that
//     records every property the validator looks up; a property it never looked at is unknown to the
//     schema. Objects the validator enumerates (labels, annotations, data: maps) accept any key.
//
// It also checks the secure defaults of every s3k object (securityProblems()): the whole Pod Security
// Standards "restricted" profile on every pod and container, more of s3k's own, and the Pod Security
// Admission labels of namespaces.
//
//   npx tsx deploy/k8s/validate.ts deploy/k8s             # every .yaml below it; one line per object; exit 1 on a problem
//   kubectl kustomize deploy/k8s | npx tsx deploy/k8s/validate.ts -      # what kustomize renders
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
export function podTemplateOf(m: Manifest): { metadata?: Record<string, any>; spec?: Record<string, any> } | undefined {
  const spec = m.spec as Record<string, any> | undefined;
  switch (m.kind) {
    case 'Pod': return { metadata: m.metadata as Record<string, any>, spec };
    case 'CronJob': return spec?.jobTemplate?.spec?.template ?? {};
    case 'Deployment': case 'StatefulSet': case 'DaemonSet': case 'ReplicaSet': case 'Job': return spec?.template ?? {};
    default: return undefined;
  }
}

/** The pod spec of a workload, else undefined. */
export function podSpecOf(m: Manifest): Record<string, any> | undefined {
  const t = podTemplateOf(m);
  return t ? (t.spec ?? {}) : undefined;
}

/**
 * Pod Security Standards, "restricted" profile (which includes "baseline"), as Kubernetes' Pod Security
 * Admission checks it: https://kubernetes.io/docs/concepts/security/pod-security-standards/
 */
export const PSS = {
  /** restricted: the only volume types allowed */
  volumeTypes: ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'],
  /** baseline: the "safe" sysctls */
  sysctls: [
    'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies',
    'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout',
    'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes',
  ],
  /** baseline: SELinux types a pod may ask for (empty = the runtime's default) */
  seLinuxTypes: ['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'],
  /** restricted: the only capability that may be added back after drop ALL */
  addableCapabilities: ['NET_BIND_SERVICE'],
};

/** The Pod Security Admission version the namespaces pin (enforce); warn and audit follow "latest". */
export const PSA_VERSION = 'v1.32';
/** The oldest version whose restricted profile has everything this file checks (seccomp, capabilities: v1.25). */
const PSA_MIN_MINOR = 25;

/** The runtime user of the image (deploy/image): non-root, and the group that may read the projected token. */
export const RUNTIME_UID = 65532;

const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

/**
 * Problems of a Namespace's Pod Security Admission labels: "restricted" enforced at a pinned version
 * (v1.N, so a cluster upgrade does not change what is admitted), and also warned and audited (at
 * "latest": a pod that a newer profile would refuse shows up in warnings and the audit log first).
 */
export function namespaceProblems(m: Manifest): Problem[] {
  if (m.kind !== 'Namespace') return [];
  const out: Problem[] = [];
  const labels = (m.metadata?.labels ?? {}) as Record<string, string>;
  for (const mode of ['enforce', 'warn', 'audit']) {
    const key = `pod-security.kubernetes.io/${mode}`;
    if (labels[key] !== 'restricted') out.push({ path: `metadata/labels/${key}`, message: `must be "restricted" (is ${JSON.stringify(labels[key] ?? null)})` });
    const v = labels[`${key}-version`];
    if (mode === 'enforce') {
      const minor = /^v1\.(\d+)$/.exec(v ?? '')?.[1];
      if (!minor || Number(minor) < PSA_MIN_MINOR) {
        out.push({ path: `metadata/labels/${key}-version`, message: `must pin a version v1.${PSA_MIN_MINOR} or later, like ${PSA_VERSION} (is ${JSON.stringify(v ?? null)})` });
      }
    } else if (v !== undefined && v !== 'latest' && !/^v1\.\d+$/.test(v)) {
      out.push({ path: `metadata/labels/${key}-version`, message: `must be "latest" or v1.N (is ${JSON.stringify(v)})` });
    }
  }
  return out;
}

/**
 * Every check of the Pod Security Standards "restricted" profile on a pod spec (host namespaces,
 * HostProcess, privileged, capabilities, volume types, host ports, AppArmor, SELinux, /proc mount,
 * seccomp, sysctls, privilege escalation, non-root), on the pod and on every container (init and
 * ephemeral ones too), with container settings overriding the pod's as the kubelet applies them.
 */
export function podSecurityStandardProblems(m: Manifest): Problem[] {
  const t = podTemplateOf(m);
  if (!t) return [];
  const pod = t.spec ?? {};
  const out: Problem[] = [];
  const need = (ok: unknown, path: string, message: string) => { if (!ok) out.push({ path, message }); };
  const psc = (pod.securityContext ?? {}) as Record<string, any>;

  for (const f of ['hostNetwork', 'hostPID', 'hostIPC']) need(pod[f] !== true, `pod/${f}`, 'must not be true (host namespaces)');
  need(psc.windowsOptions?.hostProcess !== true, 'pod/securityContext/windowsOptions/hostProcess', 'must not be true');
  for (const [i, v] of ((pod.volumes ?? []) as Record<string, any>[]).entries()) {
    const types = Object.keys(v).filter((k) => k !== 'name');
    const bad = types.filter((k) => !PSS.volumeTypes.includes(k));
    need(bad.length === 0, `pod/volumes/${v.name ?? i}`, `volume type ${bad.join(', ')} is not allowed (only ${PSS.volumeTypes.join(', ')})`);
  }
  for (const s of (psc.sysctls ?? []) as { name: string }[]) need(PSS.sysctls.includes(s.name), `pod/securityContext/sysctls/${s.name}`, 'is not a safe sysctl');
  const appArmorOk = (p: Record<string, any> | undefined) => !p || p.type === 'RuntimeDefault' || p.type === 'Localhost';
  need(appArmorOk(psc.appArmorProfile), 'pod/securityContext/appArmorProfile', 'must be RuntimeDefault or Localhost');
  const seLinuxOk = (o: Record<string, any> | undefined) => !o || (PSS.seLinuxTypes.includes(o.type ?? '') && !o.user && !o.role);
  need(seLinuxOk(psc.seLinuxOptions), 'pod/securityContext/seLinuxOptions', `type must be one of ${PSS.seLinuxTypes.filter(Boolean).join(', ')}; user and role unset`);
  need(psc.seccompProfile?.type !== 'Unconfined', 'pod/securityContext/seccompProfile', 'must not be Unconfined');
  need(psc.runAsUser !== 0, 'pod/securityContext/runAsUser', 'must not be 0 (root)');
  const annotations = (t.metadata?.annotations ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(annotations)) {
    if (k.startsWith('container.apparmor.security.beta.kubernetes.io/')) {
      need(v === 'runtime/default' || v.startsWith('localhost/'), `pod/metadata/annotations/${k}`, 'must be runtime/default or localhost/*');
    }
  }

  for (const list of CONTAINER_LISTS) {
    for (const c of (pod[list] ?? []) as Record<string, any>[]) {
      const p = `${list}/${c.name}`;
      const csc = (c.securityContext ?? {}) as Record<string, any>;
      need(csc.windowsOptions?.hostProcess !== true, `${p}/securityContext/windowsOptions/hostProcess`, 'must not be true');
      need(csc.privileged !== true, `${p}/securityContext/privileged`, 'must not be true');
      need(csc.allowPrivilegeEscalation === false, `${p}/securityContext/allowPrivilegeEscalation`, 'must be false');
      const drop = (csc.capabilities?.drop ?? []) as string[];
      need(drop.includes('ALL'), `${p}/securityContext/capabilities/drop`, 'must include ALL');
      const add = (csc.capabilities?.add ?? []) as string[];
      need(add.every((a) => PSS.addableCapabilities.includes(a)), `${p}/securityContext/capabilities/add`, `may only add ${PSS.addableCapabilities.join(', ')}`);
      for (const port of (c.ports ?? []) as Record<string, any>[]) {
        need(!port.hostPort, `${p}/ports/${port.containerPort}/hostPort`, 'must not be set (host ports)');
      }
      need(appArmorOk(csc.appArmorProfile), `${p}/securityContext/appArmorProfile`, 'must be RuntimeDefault or Localhost');
      need(seLinuxOk(csc.seLinuxOptions), `${p}/securityContext/seLinuxOptions`, `type must be one of ${PSS.seLinuxTypes.filter(Boolean).join(', ')}; user and role unset`);
      need(csc.procMount === undefined || csc.procMount === 'Default', `${p}/securityContext/procMount`, 'must be Default');
      // seccomp and non-root: the container's setting wins over the pod's
      const seccomp = csc.seccompProfile?.type ?? psc.seccompProfile?.type;
      need(seccomp === 'RuntimeDefault' || seccomp === 'Localhost', `${p}/securityContext/seccompProfile`, `must be RuntimeDefault or Localhost (is ${seccomp ?? 'unset'}${csc.seccompProfile ? ' in the container' : ''})`);
      const nonRoot = csc.runAsNonRoot ?? psc.runAsNonRoot;
      need(nonRoot === true, `${p}/securityContext/runAsNonRoot`, `must be true (is ${nonRoot ?? 'unset'}${csc.runAsNonRoot !== undefined ? ' in the container' : ''})`);
      need(csc.runAsUser !== 0, `${p}/securityContext/runAsUser`, 'must not be 0 (root)');
    }
  }
  return out;
}

/**
 * RBAC: namespace-scoped only (no ClusterRole or ClusterRoleBinding), no wildcards, no secrets, no verbs
 * that grant more RBAC or another identity (escalate, bind, impersonate), no pod creation (a new pod
 * could name any service account of the namespace, and so any of its roles); bindings refer to a Role.
 */
export function rbacProblems(m: Manifest): Problem[] {
  if (!m.apiVersion?.startsWith('rbac.authorization.k8s.io/')) return [];
  const out: Problem[] = [];
  const need = (ok: unknown, path: string, message: string) => { if (!ok) out.push({ path, message }); };
  need(m.kind === 'Role' || m.kind === 'RoleBinding', 'kind', `${m.kind}: only namespace-scoped Role and RoleBinding`);
  if (m.kind === 'Role') {
    for (const [i, r] of ((m as any).rules ?? []).entries() as Iterable<[number, Record<string, string[]>]>) {
      const p = `rules/${i}`;
      for (const f of ['apiGroups', 'resources', 'verbs', 'resourceNames']) need(!(r[f] ?? []).includes('*'), `${p}/${f}`, 'no wildcards');
      need(!(r.resources ?? []).some((x) => x === 'secrets' || x.startsWith('secrets/')), `${p}/resources`, 'no secrets');
      need(!(r.verbs ?? []).some((v) => ['escalate', 'bind', 'impersonate'].includes(v)), `${p}/verbs`, 'no escalate, bind or impersonate');
      const podWrite = (r.resources ?? []).some((x) => x === 'pods' || ['deployments', 'jobs', 'cronjobs', 'replicasets', 'statefulsets', 'daemonsets'].includes(x));
      need(!(podWrite && (r.verbs ?? []).some((v) => ['create', 'update', 'patch'].includes(v))), `${p}/verbs`, 'no creating or changing pods or workloads (a pod can name any service account)');
    }
  }
  if (m.kind === 'RoleBinding') need((m as any).roleRef?.kind === 'Role', 'roleRef/kind', 'must be a Role of the namespace (not a ClusterRole such as admin or edit)');
  return out;
}

/**
 * The secure defaults every s3k object must have. Namespaces: namespaceProblems(). RBAC: rbacProblems(). Pods: the whole Pod
 * Security Standards "restricted" profile (podSecurityStandardProblems), and more: user and group
 * 65532 with fsGroup (to read the projected token), RuntimeDefault seccomp on the pod, no sharing of
 * the process namespace (a sidecar could read s3k's environment and memory), a read-only root filesystem
 * with an emptyDir at /tmp, no added capability at all, requests and limits, no Kubernetes API token,
 * Linux nodes, and no fallback to the node's role.
 */
export function securityProblems(m: Manifest): Problem[] {
  if (m.kind === 'Namespace') return namespaceProblems(m);
  if (m.apiVersion?.startsWith('rbac.authorization.k8s.io/')) return rbacProblems(m);
  const pod = podSpecOf(m);
  if (!pod) return [];
  const out: Problem[] = podSecurityStandardProblems(m);
  const need = (ok: unknown, path: string, message: string) => { if (!ok) out.push({ path, message }); };
  const sc = pod.securityContext ?? {};
  need(sc.runAsNonRoot === true, 'pod/securityContext/runAsNonRoot', 'must be true');
  need(sc.runAsUser === RUNTIME_UID, 'pod/securityContext/runAsUser', `must be ${RUNTIME_UID} (the image user)`);
  need(sc.runAsGroup === RUNTIME_UID, 'pod/securityContext/runAsGroup', `must be ${RUNTIME_UID}`);
  need(sc.fsGroup === RUNTIME_UID, 'pod/securityContext/fsGroup', `must be ${RUNTIME_UID} so the non-root user can read the projected token`);
  need(sc.seccompProfile?.type === 'RuntimeDefault', 'pod/securityContext/seccompProfile', 'must be RuntimeDefault');
  need(pod.shareProcessNamespace !== true, 'pod/shareProcessNamespace', 'must not be true (another container could read s3k\'s credentials in /proc)');
  need(pod.automountServiceAccountToken === false, 'pod/automountServiceAccountToken', 'must be false (s3k does not use the Kubernetes API)');
  need(typeof pod.serviceAccountName === 'string' && pod.serviceAccountName !== 'default', 'pod/serviceAccountName', 'must name the IRSA / Pod Identity service account');
  need(pod.nodeSelector?.['kubernetes.io/os'] === 'linux', 'pod/nodeSelector/kubernetes.io/os', 'must be linux (the image is linux/amd64 + linux/arm64)');
  const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? [])] as Record<string, any>[];
  need(containers.length > 0, 'pod/containers', 'none');
  need(!(pod.ephemeralContainers ?? []).length, 'pod/ephemeralContainers', 'must be empty in a manifest');
  for (const c of containers) {
    const p = `containers/${c.name}`;
    const csc = c.securityContext ?? {};
    need(csc.readOnlyRootFilesystem === true, `${p}/securityContext/readOnlyRootFilesystem`, 'must be true');
    need(!csc.capabilities?.add?.length, `${p}/securityContext/capabilities/add`, 'must be empty');
    need((csc.runAsUser ?? sc.runAsUser) === RUNTIME_UID, `${p}/securityContext/runAsUser`, `must be ${RUNTIME_UID} (the image user)`);
    need((csc.runAsGroup ?? sc.runAsGroup) === RUNTIME_UID, `${p}/securityContext/runAsGroup`, `must be ${RUNTIME_UID}`);
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

/** All documents of YAML text (empty documents skipped). */
export function parseManifests(text: string, source = 'input'): Manifest[] {
  const docs = YAML.parseAllDocuments(text);
  const out: Manifest[] = [];
  for (const d of docs) {
    if (d.errors.length) throw new Error(`${source}: ${d.errors[0]!.message}`);
    const v = d.toJS() as Manifest | null;
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}

/** All documents of a YAML file (empty documents skipped). */
export function readManifests(file: string): Manifest[] {
  return parseManifests(fs.readFileSync(file, 'utf8'), file);
}

/** The .yaml/.yml files of a directory and its subdirectories (sorted), or the file itself. */
export function yamlFiles(fileOrDir: string): string[] {
  if (!fs.statSync(fileOrDir).isDirectory()) return [fileOrDir];
  return fs.readdirSync(fileOrDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => `${fileOrDir.replace(/\/+$/, '')}/${f}`)
    .sort();
}

export const describe = (m: Manifest) => `${m.kind}/${m.metadata?.name ?? '?'}`;

export interface Checked {
  source: string;
  object: string;
  skipped?: string;
  problems: Problem[];
}

/** Schema, unknown fields and secure defaults of every object in these manifests. */
export async function checkManifests(manifests: Manifest[], source: string): Promise<Checked[]> {
  const out: Checked[] = [];
  for (const m of manifests) {
    if (!isApiObject(m)) {
      out.push({ source, object: describe(m), skipped: `${m.apiVersion} ${m.kind} (not a Kubernetes API object)`, problems: [] });
      continue;
    }
    const problems = await validateManifest(m).catch((e: Error) => [{ path: '/', message: e.message }]);
    problems.push(...securityProblems(m));
    out.push({ source, object: describe(m), problems });
  }
  return out;
}

/** checkManifests() of files and directories (recursively; "-" reads standard input). */
export async function checkPaths(paths: string[]): Promise<Checked[]> {
  const out: Checked[] = [];
  for (const p of paths) {
    if (p === '-') out.push(...await checkManifests(parseManifests(fs.readFileSync(0, 'utf8'), 'stdin'), 'stdin'));
    else for (const f of yamlFiles(p)) out.push(...await checkManifests(readManifests(f), f));
  }
  return out;
}

async function main(paths: string[]): Promise<number> {
  if (paths.length === 0) {
    console.error('usage: tsx deploy/k8s/validate.ts FILE.yaml|DIR|-...   (- = standard input, e.g. kubectl kustomize deploy/k8s | ...)');
    return 2;
  }
  let bad = 0;
  for (const c of await checkPaths(paths)) {
    if (c.skipped) console.log(`skip ${c.source}: ${c.skipped}`);
    else if (c.problems.length === 0) console.log(`ok   ${c.source}: ${c.object}`);
    else {
      bad++;
      for (const p of c.problems) console.log(`FAIL ${c.source}: ${c.object} ${p.path}: ${p.message}`);
    }
  }
  return bad ? 1 : 0;
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}

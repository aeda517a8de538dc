// End to end: `npm run image` builds the container image offline (Node 24 single executable, FROM
// scratch) with podman for linux/amd64 and linux/arm64 (one OCI image index); both images pass the same
// container test against the lab, arm64 under qemu-user; and the image runs the way the manifests in
// deploy/k8s run it, against the lab:
// read-only root filesystem, user 65532, all capabilities dropped, no privilege escalation, only the
// IRSA environment and the projected token at /var/run/secrets/eks.amazonaws.com/serviceaccount/token.
// Each workload runs as its own service account with exactly the policy the Pulumi program gives its role
// (deploy/pulumi/src/policies.ts): the shell reads, the backup writes under nightly/, the sharded sync under big/.
//
// podman on CI-like VMs: no CAP_SYS_RESOURCE (podman's default rlimits cannot be set) and hybrid
// cgroups (crun refuses them), so this test gives podman its own containers.conf (runc, lower ulimits,
// cgroupfs) and its own storage under the test's temp dir (sockets under a short /tmp/s3kp-* dir). The host network reaches the lab on
// 127.0.0.1; the containers get AWS_EC2_METADATA_DISABLED=true and lab endpoints, so nothing leaves
// loopback.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  REPO_ROOT, adminDeleteBucket, assumeRole, labEndpoint, makeTempDir, mintToken, run, s3Request, setupIrsa,
  signingCredentials, uniqueBucket, writeToken, type RunResult, type SigningCredentials,
} from '../support/lab.ts';
import { podSpecOf, readManifests, type Manifest } from '../../deploy/k8s/validate.ts';
import { prefixWriterPolicy, readOnlyBucketPolicy, type PolicyDocument } from '../../deploy/pulumi/src/policies.ts';

const VERSION = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version as string;
/** A manifest list of IMAGE-amd64 and IMAGE-arm64 (podman runs the host's, amd64, by this name). */
const IMAGE = `localhost/s3k-e2e:${VERSION}`;
const QEMU = '/usr/bin/qemu-aarch64-static';
const TOKEN_PATH = '/var/run/secrets/eks.amazonaws.com/serviceaccount/token';
const NS = 's3k';
const SA = 's3k';
const ROLE = 's3k-deploy-e2e';
const MAX_IMAGE_BYTES = 120_000_000;
const isRoot = process.getuid?.() === 0;

const tmp = makeTempDir('deploy-image');
// podman's run root and tmp dir hold unix sockets (conmon's attach socket under
// overlay-containers/<64-hex id>/userdata/): under a long $TMPDIR the path passes the 108-byte limit and
// every `podman run` then waits a 20 s timeout before it returns. So those two live in a short dir.
const shortDir = fs.mkdtempSync('/tmp/s3kp-');
const podmanEnv = {
  CONTAINERS_CONF: path.join(tmp.path, 'containers.conf'),
  CONTAINERS_STORAGE_CONF: path.join(tmp.path, 'storage.conf'),
  PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin`,
};
const CONTEXT = path.join(tmp.path, 'context');
const ARCHIVE = path.join(tmp.path, 's3k-oci.tar');
/** podman with this test's config and storage; a slow call is reported (busy machines make podman slow). */
async function podman(args: string[], timeoutMs = 120_000): Promise<RunResult> {
  const t0 = Date.now();
  const r = await run('podman', args, { env: podmanEnv, timeoutMs });
  const s = (Date.now() - t0) / 1000;
  if (s > 10) process.stderr.write(`# slow: podman ${args.filter((a) => !a.startsWith('--env=')).join(' ').slice(0, 120)}: ${s.toFixed(1)} s\n`);
  return r;
}

function ok(r: RunResult, what: string): RunResult {
  assert.equal(r.timedOut, false, `${what}: timed out`);
  assert.equal(r.code, 0, `${what}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

function k8s(file: string, kind: string): Manifest {
  const m = readManifests(path.join(REPO_ROOT, 'deploy', 'k8s', file)).find((x) => x.kind === kind);
  assert.ok(m, `${kind} in ${file}`);
  return m;
}

/** Kubernetes $(VAR) expansion of command/args ($$ escapes, unknown names stay as written). */
function expand(word: string, env: Record<string, string>): string {
  return word.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name?: string) => (m === '$$' ? '$' : name !== undefined && name in env ? env[name]! : m));
}

// The image is built on linux/amd64 (for amd64 and, with qemu-user, arm64); elsewhere this suite is skipped, saying why.
const unsupported = process.platform !== 'linux' || process.arch !== 'x64' ? `builds on linux/amd64 only (this is ${process.platform}/${process.arch})` : false;

describe('container image (podman, offline) against the lab', { timeout: 15 * 60_000, skip: unsupported }, () => {
  let roleArn = '';
  let bucket = '';
  let other = '';
  let fullCreds: SigningCredentials;
  const tokenFile = path.join(tmp.path, 'token');
  const tokens = new Map<string, string>([[SA, tokenFile]]);

  /**
   * The lab role as the role of service account `sa` with `policy` (one role whose trust and policy
   * follow the workload under test: the buckets it made stay its own). Returns that account's token file,
   * written as the kubelet writes it with fsGroup 65532: group-readable, not world-readable.
   */
  async function useRole(sa: string, policy?: PolicyDocument): Promise<string> {
    await setupIrsa({ role: ROLE, ns: NS, sa, policy });
    let file = tokens.get(sa);
    if (!file) {
      file = path.join(tmp.path, `token-${sa}`);
      tokens.set(sa, file);
    }
    await writeToken(file, { ns: NS, sa });
    if (isRoot) {
      fs.chownSync(file, 0, 65532);
      fs.chmodSync(file, 0o640);
    } else {
      fs.chmodSync(file, 0o644);
    }
    return file;
  }
  const containers: string[] = [];
  let buildSeconds = 0;

  /** The IRSA env the EKS webhook injects, with S3 and STS pointed at the lab. */
  const irsaEnv = (): Record<string, string> => ({
    AWS_ROLE_ARN: roleArn,
    AWS_WEB_IDENTITY_TOKEN_FILE: TOKEN_PATH,
    AWS_ENDPOINT_URL_S3: labEndpoint(),
    AWS_ENDPOINT_URL_STS: labEndpoint(),
  });

  /**
   * podman run flags for a pod spec's container, as Kubernetes would run it: securityContext, env
   * (ConfigMap values given), emptyDir volumes as tmpfs, the projected token; plus the lab's env.
   */
  function podFlags(m: Manifest, configMap: Record<string, string>, extra: Record<string, string> = {}): { flags: string[]; env: Record<string, string> } {
    const pod = podSpecOf(m)!;
    const c = pod.containers[0] as Record<string, any>;
    const psc = pod.securityContext ?? {};
    const csc = c.securityContext ?? {};
    const flags = ['--network=host', `--user=${psc.runAsUser}:${psc.runAsGroup}`];
    if (psc.fsGroup !== undefined) flags.push(`--group-add=${psc.fsGroup}`);
    if (csc.readOnlyRootFilesystem) flags.push('--read-only', '--read-only-tmpfs=false');
    if (csc.allowPrivilegeEscalation === false) flags.push('--security-opt=no-new-privileges');
    for (const cap of csc.capabilities?.drop ?? []) flags.push(`--cap-drop=${cap}`);
    if (c.resources?.limits?.memory) flags.push(`--memory=${String(c.resources.limits.memory).replace(/Mi$/, 'm').replace(/Gi$/, 'g')}`);
    for (const vm of c.volumeMounts ?? []) {
      const vol = (pod.volumes ?? []).find((v: any) => v.name === vm.name);
      if (vol?.emptyDir) flags.push(`--tmpfs=${vm.mountPath}:rw,size=64m,mode=1777`);
    }
    const token = tokens.get(pod.serviceAccountName);
    assert.ok(token, `no token for service account ${pod.serviceAccountName}: useRole() first`);
    flags.push(`--volume=${token}:${TOKEN_PATH}:ro`);
    const env: Record<string, string> = {};
    const fields: Record<string, string> = { 'metadata.namespace': NS, 'spec.serviceAccountName': pod.serviceAccountName };
    for (const e of c.env ?? []) {
      if (e.value !== undefined) env[e.name] = e.value;
      else if (e.valueFrom?.configMapKeyRef) env[e.name] = configMap[e.valueFrom.configMapKeyRef.key]!;
      else if (e.valueFrom?.fieldRef) env[e.name] = fields[e.valueFrom.fieldRef.fieldPath]!;
      assert.ok(env[e.name] !== undefined, `env ${e.name} of ${m.kind}`);
    }
    Object.assign(env, irsaEnv(), extra);
    for (const [k, v] of Object.entries(env)) flags.push(`--env=${k}=${v}`);
    return { flags, env };
  }

  before(async () => {
    // podman, buildah, runc and qemu-user-static from Debian (no-op when present)
    ok(await run('bash', [path.join(REPO_ROOT, 'deploy', 'image', 'install-deps.sh')], { timeoutMs: 600_000 }), 'install-deps.sh');
    fs.writeFileSync(podmanEnv.CONTAINERS_CONF, [
      '[containers]',
      'default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]',
      '[engine]',
      'runtime = "runc"',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `tmp_dir = "${path.join(shortDir, 'libpod')}"`,
      '[network]',
      `network_config_dir = "${path.join(tmp.path, 'networks')}"`,
      '',
    ].join('\n'));
    fs.writeFileSync(podmanEnv.CONTAINERS_STORAGE_CONF, [
      '[storage]',
      'driver = "overlay"',
      `graphroot = "${path.join(tmp.path, 'storage')}"`,
      `runroot = "${path.join(shortDir, 'run')}"`,
      '',
    ].join('\n'));

    const t0 = Date.now();
    const build = await run('bash', [path.join(REPO_ROOT, 'deploy', 'image', 'build.sh'), '--tag', IMAGE, '--out', CONTEXT, '--save', ARCHIVE], {
      env: { ...podmanEnv, S3K_IMAGE_BUILDER: 'podman', S3K_IMAGE_CACHE: path.join(REPO_ROOT, 'node_modules', '.cache', 's3k-image') },
      timeoutMs: 900_000,
    });
    buildSeconds = (Date.now() - t0) / 1000;
    ok(build, 'npm run image (deploy/image/build.sh)');
    process.stderr.write(`# image build: ${buildSeconds.toFixed(1)} s\n${build.stdout.replace(/^/gm, '#   ')}\n`);

    // The role the ServiceAccount's annotation names: trusted only by system:serviceaccount:s3k:s3k with
    // aud sts.amazonaws.com. It creates its buckets (RGW lists only a role's own buckets to it), then
    // gets exactly the Pulumi program's policy for the shell (read-only, with listAllBuckets for a bare
    // `s3cmd ls`).
    ({ roleArn } = await setupIrsa({ role: ROLE, ns: NS, sa: SA }));
    fullCreds = signingCredentials(await assumeRole(await mintToken({ ns: NS, sa: SA }), roleArn));
    bucket = uniqueBucket('deploy');
    other = uniqueBucket('deploy-other');
    for (const b of [bucket, other]) {
      const r = await s3Request({ method: 'PUT', bucket: b, credentials: fullCreds });
      assert.equal(r.status, 200, r.text);
    }
    const r = await s3Request({ method: 'PUT', bucket, key: 'hello.txt', body: 'hello from the lab\n', credentials: fullCreds });
    assert.equal(r.status, 200, r.text);
    await useRole(SA, readOnlyBucketPolicy(`arn:aws:s3:::${bucket}`, { listAllBuckets: true }));
  });

  after(async () => {
    // only this test's private storage (CONTAINERS_STORAGE_CONF): never the machine's images
    try {
      for (const c of containers) await podman(['rm', '--force', '--time=0', c]);
      await podman(['manifest', 'rm', IMAGE]);
      await podman(['rmi', '--force', '--all']);
    } catch {
      // podman missing (before() failed early): nothing to remove
    }
    if (roleArn) {
      await setupIrsa({ role: ROLE, ns: NS, sa: SA }); // s3:* again, to clean up
      const creds = signingCredentials(await assumeRole(await mintToken({ ns: NS, sa: SA }), roleArn));
      for (const b of [bucket, other]) if (b) await adminDeleteBucket(b, creds);
    }
    tmp.cleanup();
    fs.rmSync(shortDir, { recursive: true, force: true });
  });

  it('npm run image: one OCI image index of linux/amd64 and linux/arm64 (--save writes it), FROM scratch, no RUN', async () => {
    const dockerfile = fs.readFileSync(path.join(REPO_ROOT, 'deploy', 'image', 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /^FROM scratch$/m);
    assert.doesNotMatch(dockerfile, /^\s*RUN\b/m, 'no RUN: any builder (docker, podman, buildah) builds it, for any platform, without a runtime');
    assert.doesNotMatch(dockerfile, /^# syntax=/m, 'no frontend image to pull');
    assert.match(dockerfile, /^COPY rootfs-\$\{TARGETARCH\}\/ \/$/m);
    const list = JSON.parse(ok(await podman(['manifest', 'inspect', IMAGE]), 'manifest inspect').stdout);
    assert.deepEqual(list.manifests.map((m: any) => `${m.platform.os}/${m.platform.architecture}`).sort(), ['linux/amd64', 'linux/arm64']);
    // the archive: an OCI layout whose index.json points to an OCI image index of both platforms
    const layout = path.join(tmp.path, 'oci');
    fs.mkdirSync(layout);
    ok(await run('tar', ['-xf', ARCHIVE, '-C', layout], { timeoutMs: 120_000 }), 'tar -x');
    const blob = (digest: string) => JSON.parse(fs.readFileSync(path.join(layout, 'blobs', ...digest.split(':')), 'utf8'));
    const top = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8'));
    const index = top.manifests[0].mediaType === 'application/vnd.oci.image.index.v1+json' ? blob(top.manifests[0].digest) : top;
    assert.equal(index.mediaType ?? 'application/vnd.oci.image.index.v1+json', 'application/vnd.oci.image.index.v1+json');
    const platforms: string[] = [];
    for (const m of index.manifests) {
      assert.equal(m.mediaType, 'application/vnd.oci.image.manifest.v1+json');
      const config = blob(blob(m.digest).config.digest);
      assert.equal(`${config.os}/${config.architecture}`, `${m.platform.os}/${m.platform.architecture}`, 'each image is what the index says');
      platforms.push(`${config.os}/${config.architecture}`);
    }
    assert.deepEqual(platforms.sort(), ['linux/amd64', 'linux/arm64']);
  });

  // The same container test for each platform; arm64 runs under qemu-user (Debian's qemu-user-static,
  // mounted into the container as its entrypoint, so nothing is registered with the kernel).
  for (const arch of ['amd64', 'arm64'] as const) {
    const image = `${IMAGE}-${arch}`;
    /** podman run arguments that start `program args...` in the image of this platform. */
    const start = (program: string, args: string[]): string[] => (arch === 'amd64'
      ? [`--entrypoint=${program}`, image, ...args]
      : [`--volume=${QEMU}:/usr/bin/qemu-aarch64-static:ro`, '--entrypoint=/usr/bin/qemu-aarch64-static', image, program, ...args]);

    it(`linux/${arch}: <= 120 MB uncompressed, user 65532, entrypoint s3k, s3cmd -> s3k, static busybox sh, read-only root, s3k --version`, async () => {
      const inspect = JSON.parse(ok(await podman(['image', 'inspect', image]), 'inspect').stdout)[0];
      assert.equal(`${inspect.Os}/${inspect.Architecture}`, `linux/${arch}`);
      assert.ok(inspect.Size <= MAX_IMAGE_BYTES, `image is ${inspect.Size} bytes`);
      assert.equal(inspect.Config.User, '65532:65532');
      assert.deepEqual(inspect.Config.Entrypoint, ['/usr/local/bin/s3k']);
      assert.equal(inspect.Config.Labels['org.opencontainers.image.version'], VERSION);
      const sh = ok(await podman(['run', '--rm', '--network=none', '--read-only', ...start('/bin/sh', ['-c',
        'id -u; id -g; readlink /usr/local/bin/s3cmd; readlink /bin/sh; echo "$HOME"; ls /; touch /x 2>/dev/null && echo writable || echo read-only'])]), 'sh');
      const lines = sh.stdout.trim().split('\n');
      assert.deepEqual(lines.slice(0, 5), ['65532', '65532', 's3k', 'busybox', '/home/nonroot']);
      assert.equal(lines.at(-1), 'read-only');
      const version = ok(await podman(['run', '--rm', '--network=none', '--read-only', '--cap-drop=ALL', ...start('/usr/local/bin/s3k', ['--version'])]), 'version');
      assert.equal(version.stdout.trim(), `s3k version ${VERSION}`);
      process.stderr.write(`# linux/${arch} image size: ${inspect.Size} bytes (${(inspect.Size / 1e6).toFixed(1)} MB), build ${buildSeconds.toFixed(1)} s\n`);
    });

    it(`linux/${arch}: the single executable (Node 24, stripped) runs --version and \`ls\` against the lab with only the IRSA env`, async () => {
      const rootfs = path.join(CONTEXT, `rootfs-${arch}`);
      const sea = path.join(rootfs, 'usr', 'local', 'bin', 's3k');
      const bin = fs.readFileSync(sea);
      assert.ok(bin.length < 115_000_000, `${bin.length} bytes: not stripped?`);
      assert.equal(bin.readUInt16LE(18), arch === 'amd64' ? 62 : 183, 'ELF e_machine: x86-64 (62) or AArch64 (183)');
      assert.ok(bin.includes('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1'), 'the SEA fuse is flipped (blob injected)');
      const nodeVersion = /NODE_VERSION=\$\{S3K_IMAGE_NODE_VERSION:-(\d+)\.(\d+)\.(\d+)\}/.exec(fs.readFileSync(path.join(REPO_ROOT, 'deploy', 'image', 'build.sh'), 'utf8'));
      assert.ok(nodeVersion && Number(nodeVersion[1]) >= 24, 'build.sh pins Node 24 or newer');
      assert.ok(bin.includes(`v${nodeVersion[1]}.${nodeVersion[2]}.${nodeVersion[3]}`), 'the executable is that Node');
      const exe = arch === 'amd64' ? [sea] : [QEMU, '-L', rootfs, sea];
      assert.equal(ok(await run(exe[0]!, [...exe.slice(1), '--version']), 'sea --version').stdout.trim(), `s3k version ${VERSION}`);
      const hostToken = path.join(tmp.path, 'host-token');
      await writeToken(hostToken, { ns: NS, sa: SA });
      const ls = ok(await run(exe[0]!, [...exe.slice(1), 'ls', `s3://${bucket}`], { env: { ...irsaEnv(), AWS_WEB_IDENTITY_TOKEN_FILE: hostToken, AWS_REGION: 'us-east-1' } }), 'sea ls');
      assert.match(ls.stdout, new RegExp(`s3://${bucket}/hello\\.txt`));
    });

    it(`linux/${arch}: \`s3cmd ls\` in the container (--read-only, user 65532, IRSA env and token only) lists the bucket; the read-only role sees no other bucket, cannot write or delete`, async () => {
      const base = ['run', '--rm', '--network=host', '--read-only', '--user=65532:65532', '--group-add=65532', '--cap-drop=ALL',
        '--security-opt=no-new-privileges', `--volume=${tokenFile}:${TOKEN_PATH}:ro`];
      const env = Object.entries({ ...irsaEnv(), AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true' }).map(([k, v]) => `--env=${k}=${v}`);
      for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) assert.ok(!env.some((e) => e.startsWith(`--env=${k}=`)));
      const s3cmd = (...args: string[]) => podman([...base, ...env, ...start('/usr/local/bin/s3cmd', args)]);
      const ls = ok(await s3cmd('ls'), 's3cmd ls');
      assert.match(ls.stdout, new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\s+s3://${bucket}$`, 'm'));
      const objects = ok(await s3cmd('ls', `s3://${bucket}`), 's3cmd ls bucket');
      assert.match(objects.stdout, new RegExp(`\\s19\\s+s3://${bucket}/hello\\.txt$`, 'm'));
      const whoami = ok(await s3cmd('whoami'), 's3cmd whoami');
      assert.match(whoami.stdout, /web.identity/i);
      assert.match(whoami.stdout, /system:serviceaccount:s3k:s3k/);
      // the Pulumi policy's limits: another bucket, creating one, uploading, deleting: AccessDenied (77)
      for (const args of [['ls', `s3://${other}`], ['mb', `s3://${uniqueBucket('deploy-denied')}`], ['put', '/etc/passwd', `s3://${bucket}/from-shell`], ['del', `s3://${bucket}/hello.txt`]]) {
        const r = await s3cmd(...args);
        assert.equal(r.code, 77, `s3cmd ${args.join(' ')}: exit ${r.code}\n${r.stdout}${r.stderr}`);
      }
      if (isRoot) {
        // without the fsGroup the token (0640 root:65532) is unreadable: a clear error, no fallback
        const noGroup = await podman(['run', '--rm', '--network=host', '--read-only', '--user=65532:65534', '--cap-drop=ALL',
          `--volume=${tokenFile}:${TOKEN_PATH}:ro`, ...env, ...start('/usr/local/bin/s3cmd', ['ls'])]);
        assert.notEqual(noGroup.code, 0);
        assert.match(noGroup.stderr, /token/i);
        assert.match(noGroup.stderr, /EACCES|permission/i);
      }
    });
  }

  it('deploy/k8s/deployment.yaml as written: the sh -c loop keeps the container up, `exec s3cmd ls` works, `put` is denied, SIGTERM stops it at once', async () => {
    const dep = k8s('deployment.yaml', 'Deployment');
    const c = podSpecOf(dep)!.containers[0];
    const { flags } = podFlags(dep, { AWS_REGION: 'us-east-1', S3_TARGET: `s3://${bucket}/` });
    const name = `s3k-e2e-${crypto.randomBytes(4).toString('hex')}`;
    containers.push(name);
    const [cmd, ...rest] = c.command as string[];
    ok(await podman(['run', '--detach', `--name=${name}`, ...flags, `--entrypoint=${cmd}`, IMAGE, ...rest]), 'run -d');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(ok(await podman(['inspect', '--format={{.State.Running}}', name]), 'inspect').stdout.trim(), 'true');
    const ls = ok(await podman(['exec', name, 's3cmd', 'ls']), 'exec s3cmd ls');
    assert.match(ls.stdout, new RegExp(`s3://${bucket}$`, 'm'));
    const lsTarget = ok(await podman(['exec', name, 'sh', '-c', 's3cmd ls "$S3_TARGET"']), 'exec s3cmd ls $S3_TARGET');
    assert.match(lsTarget.stdout, /hello\.txt$/m);
    // /tmp is writable (emptyDir), the root is not; the shell's role cannot upload (AccessDenied: 77)
    const put = ok(await podman(['exec', name, 'sh', '-c', 'echo from-the-pod > /tmp/f && (s3cmd put --no-progress /tmp/f "$S3_TARGET"pod/f >/dev/null 2>&1; echo "put $?") && id -u && (touch /etc/x 2>/dev/null && echo rw || echo ro)']), 'exec put');
    assert.match(put.stdout, /^put 77\n65532\nro\n?$/);
    const t0 = Date.now();
    ok(await podman(['stop', '--time=10', name]), 'stop');
    const stopMs = Date.now() - t0;
    assert.ok(stopMs < 5000, `stop took ${stopMs} ms: the shell ignored SIGTERM`);
    assert.equal(ok(await podman(['inspect', '--format={{.State.ExitCode}}', name]), 'inspect').stdout.trim(), '0');
  });

  it('deploy/k8s/deployment.yaml without the IRSA variables (a pod the webhook missed): exits 1 at once with one line naming the cause', async () => {
    const dep = k8s('deployment.yaml', 'Deployment');
    const c = podSpecOf(dep)!.containers[0];
    const { flags } = podFlags(dep, { AWS_REGION: 'us-east-1', S3_TARGET: `s3://${bucket}/` });
    const noIrsa = flags.filter((f) => !/^--env=AWS_(ROLE_ARN|WEB_IDENTITY_TOKEN_FILE)=/.test(f));
    assert.equal(noIrsa.length, flags.length - 2);
    const [cmd, ...rest] = c.command as string[];
    const r = await podman(['run', '--rm', ...noIrsa, `--entrypoint=${cmd}`, IMAGE, ...rest], 60_000);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^s3k: no IRSA \(AWS_ROLE_ARN\) or Pod Identity .* service account s3k .* kubectl -n s3k rollout restart deployment\/s3k$/);
  });

  it('deploy/k8s/components/sharded-sync: pods 0..N-1 (JOB_COMPLETION_INDEX) copy every file exactly once, as s3k-sync (writes under big/ only)', async () => {
    const job = k8s('components/sharded-sync/job.yaml', 'Job');
    const sa = podSpecOf(job)!.serviceAccountName as string;
    assert.equal(sa, 's3k-sync');
    await useRole(sa, prefixWriterPolicy(`arn:aws:s3:::${bucket}`, 'big/'));
    const n = (job.spec as any).completions as number;
    const c = podSpecOf(job)!.containers[0];
    const data = path.join(tmp.path, 'big');
    const files: string[] = [];
    for (let i = 0; i < 40; i++) {
      const rel = `dir${i % 5}/file-${i}.bin`;
      fs.mkdirSync(path.join(data, path.dirname(rel)), { recursive: true });
      fs.writeFileSync(path.join(data, rel), crypto.randomBytes(100 + i));
      files.push(rel);
    }
    fs.chmodSync(tmp.path, 0o755);
    for (const d of fs.readdirSync(data)) fs.chmodSync(path.join(data, d), 0o755);
    fs.chmodSync(data, 0o755);
    const seen = new Set<string>();
    let prev = new Set<string>();
    for (let k = 0; k < n; k++) {
      const { flags, env } = podFlags(job, { AWS_REGION: 'us-east-1', S3_TARGET: `s3://${bucket}/` }, { JOB_COMPLETION_INDEX: String(k) });
      const args = (c.args as string[]).map((a) => expand(a, env));
      assert.ok(args.includes(`--shard=${k}/${n}`), args.join(' '));
      ok(await podman(['run', '--rm', ...flags, `--volume=${data}:/data:ro`, `--entrypoint=${c.command[0]}`, IMAGE, ...args], 180_000), `shard ${k}`);
      const now = new Set((await listKeys(`big/`, sa)).map((key) => key.slice('big/'.length)));
      const added = [...now].filter((x) => !prev.has(x));
      assert.ok(added.length > 0, `shard ${k} copied nothing`);
      for (const a of added) {
        assert.ok(!seen.has(a), `${a} copied twice`);
        seen.add(a);
      }
      prev = now;
    }
    assert.deepEqual([...seen].sort(), files.sort());
  });

  it('deploy/k8s/components/backup: the nightly job (as s3k-backup) syncs the volume, a second run has nothing to copy; it cannot write elsewhere or delete', async () => {
    const cj = k8s('components/backup/cronjob.yaml', 'CronJob');
    const c = podSpecOf(cj)!.containers[0];
    const sa = podSpecOf(cj)!.serviceAccountName as string;
    assert.equal(sa, 's3k-backup');
    await useRole(sa, prefixWriterPolicy(`arn:aws:s3:::${bucket}`, 'nightly/'));
    const data = path.join(tmp.path, 'big');
    const runOnce = async () => {
      const { flags, env } = podFlags(cj, { AWS_REGION: 'us-east-1', S3_TARGET: `s3://${bucket}/` });
      const args = (c.args as string[]).map((a) => expand(a, env));
      assert.equal(args.at(-1), `s3://${bucket}/nightly/`);
      return ok(await podman(['run', '--rm', ...flags, `--volume=${data}:/data:ro`, `--entrypoint=${c.command[0]}`, IMAGE, ...args], 180_000), 'backup');
    };
    const first = await runOnce();
    assert.equal((await listKeys('nightly/', sa)).length, 40, first.stdout);
    const second = await runOnce();
    assert.doesNotMatch(second.stdout, /upload:/, second.stdout);
    // the same pod, other commands: outside nightly/ and deletes are AccessDenied (77)
    const { flags } = podFlags(cj, { AWS_REGION: 'us-east-1', S3_TARGET: `s3://${bucket}/` });
    const script = [
      `s3cmd put /data/dir0/file-0.bin s3://${bucket}/elsewhere/file-0.bin >/dev/null 2>&1; echo "put $?"`,
      `s3cmd del s3://${bucket}/nightly/dir0/file-0.bin >/dev/null 2>&1; echo "del $?"`,
      `s3cmd ls s3://${bucket}/ >/dev/null 2>&1; echo "ls-root $?"`,
      `s3cmd get s3://${bucket}/hello.txt /tmp/h >/dev/null 2>&1; echo "get-other $?"`,
    ].join('; ');
    const denied = ok(await podman(['run', '--rm', ...flags, `--volume=${data}:/data:ro`, '--entrypoint=sh', IMAGE, '-c', script]), 'backup: denied');
    assert.equal(denied.stdout.trim(), 'put 77\ndel 77\nls-root 77\nget-other 77');
  });

  /** Keys under prefix, listed with the role as service account sa sees it. */
  async function listKeys(prefix: string, sa: string): Promise<string[]> {
    const creds = signingCredentials(await assumeRole(await mintToken({ ns: NS, sa }), roleArn));
    const r = await s3Request({ bucket, query: `list-type=2&max-keys=1000&prefix=${encodeURIComponent(prefix)}`, credentials: creds });
    assert.equal(r.status, 200, r.text);
    return [...r.text.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]!);
  }
});

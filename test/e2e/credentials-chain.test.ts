// End to end: role chaining against the lab's real STS AssumeRole (Ceph RGW). RGW has one account, so a
// second role with its own policy plays the role in another account: `s3k-chain-target` (s3:* on every
// bucket) trusts the pod's role `s3k-chain-pod` (IRSA; may list its buckets, nothing else) and the
// admin user. A bucket the admin owns is readable by the target role only: the pod role gets 403, so
// an `ls` of it proves the chained identity, as `whoami` shows it.
//
// Real lab: AssumeRoleWithWebIdentity, AssumeRole (signed by static keys, by the web identity session,
// by env keys), S3 with the chained credentials. Emulated (loopback): the ECS / Pod Identity agent and
// IMDS as credential_source (they hand out real lab credentials of the pod role; the AssumeRole they
// sign goes to the real lab). A recording proxy in front of the lab's STS counts and checks each call.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  adminCreateBucket, adminDeleteBucket, adminEnv, adminPutObject, assumeRole, irsaEnv, labEndpoint, labEnv, makeTempDir, mintToken, s3k,
  setupIrsa, signingCredentials, uniqueBucket, writeToken, type RunResult, type SigningCredentials,
} from '../support/lab.ts';
import { GUARD_MARK, loopbackGuardEnv, startContainerAgent, startImds, startProxy, type LoopbackProxy, type StsCredentials } from '../support/emulators.ts';
import { ADMIN_USER_ARN, setupAssumableRole, stsAssumeRole } from '../support/roles.ts';

type Env = Record<string, string | undefined>;
const ARWWI = 'AssumeRoleWithWebIdentity';
const AR = 'AssumeRole';
const JWT_RE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const row = (key: string, value: string) => new RegExp(`^${esc(key)}:\\s+${esc(value)}$`, 'm');

async function run(args: string[], env: Env, timeoutMs = 60_000): Promise<RunResult> {
  const r = await s3k(args, { env: { ...env, ...loopbackGuardEnv() }, timeoutMs });
  assert.ok(!r.stderr.includes(GUARD_MARK), `s3k tried to leave loopback:\n${r.stderr}`);
  assert.equal(r.timedOut, false, `s3k ${args.join(' ')} timed out`);
  return r;
}
function expectCode(r: RunResult, code: number, what: string): void {
  assert.equal(r.code, code, `${what}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}
function assertNoSecrets(r: RunResult, secrets: (string | undefined)[], what: string): void {
  const all = r.stdout + r.stderr;
  assert.doesNotMatch(all, JWT_RE, `${what}: a JWT in the output`);
  for (const s of secrets) if (s) assert.equal(all.includes(s), false, `${what}: a secret value in the output`);
}
function assertOneErrorLine(r: RunResult, patterns: RegExp[], what: string): void {
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `${what}: expected one line, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^ERROR: /, what);
  for (const p of patterns) assert.match(lines[0]!, p, `${what}: ${lines[0]}`);
}
const toSts = (c: SigningCredentials, lifetimeMs = 3600_000): StsCredentials => ({
  AccessKeyId: c.accessKeyId,
  SecretAccessKey: c.secretAccessKey,
  SessionToken: c.sessionToken!,
  Expiration: new Date(Date.now() + lifetimeMs).toISOString(),
});

describe('role chaining (e2e against the lab STS AssumeRole)', () => {
  const tmp = makeTempDir('chain-e2e');
  const dir = tmp.path;
  const tokenFile = path.join(dir, 'token');
  const configFile = path.join(dir, 'config');
  const credentialsFile = path.join(dir, 'credentials');
  const closers: Array<() => Promise<void>> = [];
  let podRoleArn = '';
  let targetArn = '';
  /** Owned by the admin, readable by the target role, not by the pod role. */
  const adminBucket = uniqueBucket('chain-admin');
  const body = crypto.randomBytes(777);
  /** A session of the pod role, written as static keys in the credentials file. */
  let podKeys: SigningCredentials;
  /** Buckets created through the target role (deleted with its credentials). */
  const targetBuckets: string[] = [];

  async function stsProxy(): Promise<LoopbackProxy> {
    const p = await startProxy({ target: labEndpoint() });
    closers.push(p.close);
    return p;
  }
  /** Env of a process using the shared files in `dir`, S3 at the lab, STS through `sts`. */
  const filesEnv = (sts: LoopbackProxy, profile: string, extra: Env = {}): Env => ({
    AWS_PROFILE: profile,
    AWS_CONFIG_FILE: configFile,
    AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_S3: labEndpoint(),
    AWS_ENDPOINT_URL_STS: sts.url,
    ...extra,
  });

  before(async () => {
    ({ roleArn: podRoleArn } = await setupIrsa({
      role: 's3k-chain-pod',
      ns: 'chain',
      sa: 's3k-chain',
      policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:ListAllMyBuckets'], Resource: ['*'] }] },
    }));
    targetArn = await setupAssumableRole('s3k-chain-target', [podRoleArn, ADMIN_USER_ARN], {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:*'], Resource: ['arn:aws:s3:::*'] }],
    });
    await writeToken(tokenFile, { ns: 'chain', sa: 's3k-chain' });
    await adminCreateBucket(adminBucket);
    await adminPutObject(adminBucket, 'report.bin', body);
    const e = labEnv();
    podKeys = signingCredentials(await assumeRole(await mintToken({ ns: 'chain', sa: 's3k-chain' }), podRoleArn));
    fs.writeFileSync(
      credentialsFile,
      `[admin-keys]\naws_access_key_id = ${e.LAB_ADMIN_ACCESS_KEY}\naws_secret_access_key = ${e.LAB_ADMIN_SECRET_KEY}\n` +
        // the pod role's session as static keys: a source that may not read the admin bucket itself
        `[pod-keys]\naws_access_key_id = ${podKeys.accessKeyId}\naws_secret_access_key = ${podKeys.secretAccessKey}\naws_session_token = ${podKeys.sessionToken}\n`,
      { mode: 0o600 },
    );
    fs.writeFileSync(
      configFile,
      [
        '[profile irsa]',
        `role_arn = ${podRoleArn}`,
        `web_identity_token_file = ${tokenFile}`,
        '',
        '[profile target-from-irsa]',
        `role_arn = ${targetArn}`,
        'source_profile = irsa',
        'role_session_name = chained-from-pod',
        '',
        '[profile target-from-keys]',
        `role_arn = ${targetArn}`,
        'source_profile = pod-keys',
        '',
        '[profile target-from-admin]',
        `role_arn = ${targetArn}`,
        'source_profile = admin-keys',
        'external_id = tenant-4711',
        'duration_seconds = 900',
        '',
        '[profile target-from-env]',
        `role_arn = ${targetArn}`,
        'credential_source = Environment',
        '',
        '[profile target-from-agent]',
        `role_arn = ${targetArn}`,
        'credential_source = EcsContainer',
        '',
        '[profile target-from-imds]',
        `role_arn = ${targetArn}`,
        'credential_source = Ec2InstanceMetadata',
        '',
        '[profile pod-as-target]',
        `role_arn = ${podRoleArn}`,
        'source_profile = admin-keys',
        '',
        '[profile loop-a]',
        `role_arn = ${targetArn}`,
        'source_profile = loop-b',
        '[profile loop-b]',
        `role_arn = ${targetArn}`,
        'source_profile = loop-a',
        '',
        '[profile with-mfa]',
        `role_arn = ${targetArn}`,
        'source_profile = admin-keys',
        'mfa_serial = arn:aws:iam:::mfa/admin',
        '',
      ].join('\n'),
    );
  });

  after(async () => {
    for (const c of closers) await c();
    const admin = { accessKeyId: labEnv().LAB_ADMIN_ACCESS_KEY, secretAccessKey: labEnv().LAB_ADMIN_SECRET_KEY };
    const target = await stsAssumeRole(admin, targetArn);
    for (const b of targetBuckets) await adminDeleteBucket(b, target);
    await adminDeleteBucket(adminBucket);
    tmp.cleanup();
  });

  it('the pod role alone cannot read the admin bucket (the baseline)', async () => {
    const r = await run(['ls', `s3://${adminBucket}`], irsaEnv(podRoleArn, tokenFile));
    expectCode(r, 77, 'ls as the pod role');
    assert.match(r.stderr, /AccessDenied/);
  });

  it('IRSA -> AssumeRole: source_profile with role_arn + web_identity_token_file; whoami and an ls only the target role may do', async () => {
    const sts = await stsProxy();
    // The pod's own IRSA env is there too, as in a real pod; AWS_PROFILE picks the chained profile.
    const env = { ...irsaEnv(podRoleArn, tokenFile), ...filesEnv(sts, 'target-from-irsa') };
    const token = fs.readFileSync(tokenFile, 'utf8');

    const w = await run(['whoami'], env);
    expectCode(w, 0, 'whoami');
    assert.deepEqual(sts.requests.map((q) => q.action), [ARWWI, AR]);
    const [web, chained] = sts.requests;
    assert.equal(web!.form!.RoleArn, podRoleArn);
    assert.equal(web!.accessKeyId, undefined, 'AssumeRoleWithWebIdentity is unsigned');
    assert.equal(chained!.form!.RoleArn, targetArn);
    assert.equal(chained!.form!.RoleSessionName, 'chained-from-pod');
    assert.equal(chained!.accessKeyId, web!.issued!.accessKeyId, 'AssumeRole is signed with the web identity session');
    assert.equal(chained!.headers['x-amz-security-token'], web!.issued!.sessionToken);
    assert.equal(chained!.status, 200, 'the lab granted AssumeRole');
    assert.match(w.stdout, row('Source', 'assume-role'));
    assert.match(w.stdout, row('roleArn', targetArn));
    assert.match(w.stdout, row('assumedRoleArn', 'arn:aws:sts:::assumed-role/s3k-chain-target/chained-from-pod'));
    assert.match(w.stdout, row('sourceProfile', 'irsa'));
    assert.match(w.stdout, /^via:\s+web-identity \(arn:aws:sts:::assumed-role\/s3k-chain-pod\/s3k-\d+, profile irsa\)$/m);
    assertNoSecrets(w, [token, web!.issued!.secretAccessKey, web!.issued!.sessionToken, chained!.issued!.secretAccessKey, chained!.issued!.sessionToken], 'whoami');

    const l = await run(['ls', `s3://${adminBucket}`], env);
    expectCode(l, 0, 'ls as the chained role');
    assert.match(l.stdout, new RegExp(`\\s777\\s+s3://${adminBucket}/report\\.bin$`, 'm'));
    const g = await run(['get', `s3://${adminBucket}/report.bin`, path.join(dir, 'report.bin')], env);
    expectCode(g, 0, 'get as the chained role');
    assert.ok(fs.readFileSync(path.join(dir, 'report.bin')).equals(body));
  });

  it('static keys -> AssumeRole: source_profile with keys (a session token too); an ls the keys alone may not do', async () => {
    const sts = await stsProxy();
    const own = await run(['ls', `s3://${adminBucket}`], filesEnv(sts, 'pod-keys'));
    expectCode(own, 77, 'the source keys themselves');
    const env = filesEnv(sts, 'target-from-keys');
    const w = await run(['whoami'], env);
    expectCode(w, 0, 'whoami');
    assert.match(w.stdout, row('Source', 'assume-role'));
    assert.match(w.stdout, row('via', 'profile:pod-keys'));
    assert.match(w.stdout, /^assumedRoleArn:\s+arn:aws:sts:::assumed-role\/s3k-chain-target\/s3k-\d+$/m, 'default session name s3k-<epoch ms>');
    const [call] = sts.calls(AR);
    assert.equal(call!.accessKeyId, podKeys.accessKeyId);
    assert.equal(call!.headers['x-amz-security-token'], podKeys.sessionToken);
    assert.equal(call!.status, 200);
    const l = await run(['ls', `s3://${adminBucket}`], env);
    expectCode(l, 0, 'ls as the chained role');
    assert.match(l.stdout, /report\.bin$/m);
    assertNoSecrets(w, [podKeys.secretAccessKey, podKeys.sessionToken, call!.issued!.secretAccessKey, call!.issued!.sessionToken], 'whoami');
  });

  it('the admin user as source: external_id and duration_seconds reach STS; a bucket made through the role is listed by it', async () => {
    const sts = await stsProxy();
    const env = filesEnv(sts, 'target-from-admin');
    const w = await run(['whoami', '--json'], env);
    expectCode(w, 0, 'whoami --json');
    const d = JSON.parse(w.stdout) as { source: string; temporary: boolean; details: Record<string, string> };
    assert.equal(d.source, 'assume-role');
    assert.equal(d.temporary, true);
    assert.equal(d.details.via, 'profile:admin-keys');
    assert.equal(d.details.sourceProfile, 'admin-keys');
    assert.equal(d.details.externalId, 'set');
    const [call] = sts.calls(AR);
    assert.equal(sts.requests.length, 1);
    assert.equal(call!.accessKeyId, labEnv().LAB_ADMIN_ACCESS_KEY);
    assert.equal(call!.form!.ExternalId, 'tenant-4711');
    assert.equal(call!.form!.DurationSeconds, '900');
    assert.equal(call!.status, 200);
    const exp = Date.parse(call!.issued!.expiration!);
    assert.ok(exp - Date.now() < 16 * 60_000 && exp - Date.now() > 10 * 60_000, `a 900 s session, expires ${call!.issued!.expiration}`);
    assertNoSecrets(w, [labEnv().LAB_ADMIN_SECRET_KEY, 'tenant-4711', call!.issued!.secretAccessKey, call!.issued!.sessionToken], 'whoami --json');

    const b = uniqueBucket('chain-target');
    targetBuckets.push(b);
    let r = await run(['mb', `s3://${b}`], env);
    expectCode(r, 0, 'mb');
    const src = path.join(dir, 'up.txt');
    fs.writeFileSync(src, 'chained upload\n');
    r = await run(['put', src, `s3://${b}/up.txt`], env);
    expectCode(r, 0, 'put');
    r = await run(['ls'], env);
    expectCode(r, 0, 'ls buckets');
    assert.match(r.stdout, new RegExp(`\\ss3://${b}$`, 'm'));
    r = await run(['ls', `s3://${b}`], env);
    expectCode(r, 0, 'ls bucket');
    assert.match(r.stdout, new RegExp(`s3://${b}/up\\.txt$`, 'm'));
  });

  it('credential_source = Environment: AWS_PROFILE names the role profile, the env keys sign AssumeRole', async () => {
    const sts = await stsProxy();
    const env = { ...filesEnv(sts, 'target-from-env'), AWS_ACCESS_KEY_ID: labEnv().LAB_ADMIN_ACCESS_KEY, AWS_SECRET_ACCESS_KEY: labEnv().LAB_ADMIN_SECRET_KEY };
    const w = await run(['whoami'], env);
    expectCode(w, 0, 'whoami');
    assert.match(w.stdout, row('Source', 'assume-role'));
    assert.match(w.stdout, row('credentialSource', 'Environment'));
    assert.match(w.stdout, row('via', 'env'));
    assert.equal(sts.calls(AR)[0]!.accessKeyId, labEnv().LAB_ADMIN_ACCESS_KEY);
    assert.equal(sts.calls(AR)[0]!.status, 200);
  });

  it('credential_source = EcsContainer / Ec2InstanceMetadata: pod-role credentials from a loopback agent / IMDS sign the real AssumeRole', async () => {
    const podCreds = signingCredentials(await assumeRole(await mintToken({ ns: 'chain', sa: 's3k-chain' }), podRoleArn));
    const agent = await startContainerAgent({ credentials: () => toSts(podCreds) });
    closers.push(agent.close);
    const imds = await startImds({ roleName: 's3k-chain-node', credentials: () => toSts(podCreds) });
    closers.push(imds.close);
    for (const [profile, extra, via] of [
      ['target-from-agent', { AWS_CONTAINER_CREDENTIALS_FULL_URI: agent.url }, /^via:\s+container$/m],
      ['target-from-imds', { AWS_EC2_METADATA_DISABLED: undefined, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url }, /^via:\s+imds \(role s3k-chain-node\)$/m],
    ] as const) {
      const sts = await stsProxy();
      const env = filesEnv(sts, profile, extra);
      const w = await run(['whoami'], env);
      expectCode(w, 0, `${profile} whoami`);
      assert.match(w.stdout, via);
      const [call] = sts.calls(AR);
      assert.equal(call!.accessKeyId, podCreds.accessKeyId, `${profile}: signed with the pod role's session`);
      assert.equal(call!.status, 200);
      const l = await run(['ls', `s3://${adminBucket}`], env);
      expectCode(l, 0, `${profile} ls`);
      assert.match(l.stdout, /report\.bin/);
      assertNoSecrets(w, [podCreds.secretAccessKey, podCreds.sessionToken], profile);
    }
    assert.ok(agent.requests.length >= 1 && imds.requests.length >= 3);
  });

  it('a role whose trust policy does not name the source: one line (77), the lab said AccessDenied', async () => {
    const sts = await stsProxy();
    const r = await run(['ls', `s3://${adminBucket}`], filesEnv(sts, 'pod-as-target'));
    expectCode(r, 77, 'denied');
    assertOneErrorLine(r, [new RegExp(`STS denied AssumeRole of role ${esc(podRoleArn)} to profile:admin-keys \\(HTTP 403 AccessDenied`), /trust policy must allow sts:AssumeRole/], 'denied');
    assert.equal(sts.calls(AR)[0]!.status, 403);
    assertNoSecrets(r, [labEnv().LAB_ADMIN_SECRET_KEY], 'denied');
  });

  it('a source_profile loop and an MFA profile: one line each (78), STS never asked', async () => {
    const sts = await stsProxy();
    let r = await run(['ls'], filesEnv(sts, 'loop-a'));
    expectCode(r, 78, 'loop');
    assertOneErrorLine(r, [/source_profile loop: loop-a -> loop-b -> loop-a/], 'loop');
    r = await run(['ls'], filesEnv(sts, 'with-mfa'));
    expectCode(r, 78, 'mfa');
    assertOneErrorLine(r, [/profile "with-mfa" needs an MFA code \(mfa_serial = arn:aws:iam:::mfa\/admin\) .*s3k cannot prompt for it/], 'mfa');
    assert.equal(sts.requests.length, 0);
  });

  it('a long run refreshes the chained credentials, and the IRSA source under them re-reads its rotated token', async () => {
    const file = path.join(dir, 'rotating-token');
    const oldToken = await writeToken(file, { ns: 'chain', sa: 's3k-chain' });
    let newToken = '';
    const cfg = path.join(dir, 'rotating-config');
    fs.writeFileSync(cfg, `[profile irsa]\nrole_arn = ${podRoleArn}\nweb_identity_token_file = ${file}\n[profile target]\nrole_arn = ${targetArn}\nsource_profile = irsa\n`);
    const sts = await stsProxy();
    let puts = 0;
    const s3 = await startProxy({
      target: labEndpoint(),
      delayMs: (q) => (q.method === 'PUT' ? 250 : 0),
      onRequest: async (q) => {
        if (q.method === 'PUT' && ++puts === 6) newToken = await writeToken(file, { ns: 'chain', sa: 's3k-chain' }); // the kubelet rotates it
      },
    });
    closers.push(s3.close);
    const src = path.join(dir, 'many');
    fs.mkdirSync(src);
    for (let i = 0; i < 16; i++) fs.writeFileSync(path.join(src, `f${i}.txt`), `file ${i}\n`);
    const b = uniqueBucket('chain-refresh');
    targetBuckets.push(b);
    const env = { ...filesEnv(sts, 'target', { AWS_CONFIG_FILE: cfg, AWS_ENDPOINT_URL_S3: s3.url }), S3K_CREDENTIALS_MAX_AGE_SECONDS: '1' };
    expectCode(await run(['mb', `s3://${b}`], env), 0, 'mb');
    sts.reset();
    s3.reset();
    const r = await run(['put', '-r', '-d', '--parallel', '1', `${src}/`, `s3://${b}/many/`], env, 120_000);
    expectCode(r, 0, 'put -r');
    const web = sts.calls(ARWWI);
    const chained = sts.calls(AR);
    assert.ok(chained.length >= 3, `AssumeRole calls: ${chained.length}`);
    assert.ok(web.length >= 3, `AssumeRoleWithWebIdentity calls: ${web.length}`);
    assert.ok([...web, ...chained].every((q) => q.status === 200));
    // Each AssumeRole is signed by the web identity session issued just before it.
    const issuedKeys = new Set(web.map((q) => q.issued!.accessKeyId));
    assert.ok(chained.every((q) => issuedKeys.has(q.accessKeyId!)));
    // S3 saw the successive chained credentials.
    const chainedKeys = new Set(chained.map((q) => q.issued!.accessKeyId));
    const used = new Set(s3.requests.map((q) => q.accessKeyId));
    assert.ok([...used].every((k) => chainedKeys.has(k!)), 'every S3 request was signed with chained credentials');
    assert.ok(used.size >= 2, `S3 saw ${used.size} credential sets`);
    // The rotated token file was read by the refreshes after the rotation.
    assert.ok(newToken, 'the token was rotated mid-run');
    const which = (t: string | undefined) => (t === oldToken ? 'old' : t === newToken ? 'new' : 'other');
    const seq = web.map((q) => which(q.form?.WebIdentityToken));
    assert.equal(seq[0], 'old', seq.join(','));
    assert.equal(seq.at(-1), 'new', seq.join(','));
    assert.ok(!seq.includes('other'));
    assertNoSecrets(r, [oldToken, newToken, ...chained.flatMap((q) => [q.issued?.secretAccessKey, q.issued?.sessionToken])], 'put -r -d');
  });
});

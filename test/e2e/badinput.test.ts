// Bad input and hostile conditions: each gets one clear line, s3cmd's exit code, no stack trace,
// and nothing is lost. Also: TLS verification on by default, secrets never in -d output.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  adminDeleteBucket, adminEnv, cleanEnv, adminGetObject, adminListKeys, adminPutObject, irsaEnv, labEndpoint, labEnv, mintToken, run, s3k, s3kAsNobody, setupIrsa, tempDir, uniqueBucket, writeToken, S3K_BIN,
} from '../support/lab.ts';

const env = adminEnv();
const noTrace = (s: string) => assert.doesNotMatch(s, /\n\s+at .*\(|node:internal/, 'no stack trace');
const hasCmd = (c: string) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0;

describe('bad input and hostile conditions', () => {
  const bucket = uniqueBucket('bad');
  before(async () => {
    const r = await s3k(['mb', `s3://${bucket}`], { env });
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    // s3k itself removes keys with control characters that the raw admin helper cannot name
    const r = await s3k(['rb', '-r', '-f', `s3://${bucket}`], { env });
    if (r.code !== 0) await adminDeleteBucket(bucket);
  });

  it('keys of 1,024 bytes work; 1,025 bytes are refused before sending', async () => {
    const f = path.join(tempDir('keys'), 'f.txt');
    fs.writeFileSync(f, 'x');
    const k1024 = 'k'.repeat(1019) + '/é.t'; // 1024 bytes of UTF-8
    assert.equal(Buffer.byteLength(k1024), 1024);
    let r = await s3k(['put', f, `s3://${bucket}/${k1024}`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await adminGetObject(bucket, k1024)).text, 'x');
    r = await s3k(['put', f, `s3://${bucket}/${'k'.repeat(1025)}`], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^ERROR: Upload of '.*f\.txt' is not possible \(Reason: the key is 1025 bytes long; S3 allows at most 1024 bytes\)\n$/);
  });

  it("names with newlines and control characters are stored as s3cmd stores them ('^J', '^A'), one warning each", async () => {
    const src = tempDir('ctl');
    fs.writeFileSync(path.join(src, 'new\nline.txt'), 'nl');
    fs.writeFileSync(path.join(src, 'ctl\x01x.txt'), 'ctl');
    let r = await s3k(['put', '-r', src + '/', `s3://${bucket}/ctl/`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, 2, 'one line per file');
    assert.match(r.stdout, /new\^Jline\.txt/);
    assert.deepEqual(r.stderr.trim().split('\n').sort(), ['WARNING: 1 non-printable characters replaced in: ctl^Ax.txt', 'WARNING: 1 non-printable characters replaced in: new^Jline.txt']);
    assert.deepEqual((await adminListKeys(bucket, 'ctl/')).sort(), ['ctl/ctl^Ax.txt', 'ctl/new^Jline.txt']);
    r = await s3k(['ls', `s3://${bucket}/ctl/`], { env });
    assert.equal(r.stdout.trim().split('\n').length, 2);
    const dest = tempDir('ctl-back');
    r = await s3k(['get', '-r', `s3://${bucket}/ctl/`, dest + '/'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.readFileSync(path.join(dest, 'new^Jline.txt'), 'utf8'), 'nl');
  });

  it('a file name that is not UTF-8 is reported and skipped; the rest is uploaded (exit 2)', async () => {
    const src = tempDir('utf');
    fs.writeFileSync(path.join(src, 'good.txt'), 'g');
    execFileSync('sh', ['-c', `printf bad > "$(printf '${src}/bad\\377\\376.txt')"`]);
    const r = await s3k(['sync', src + '/', `s3://${bucket}/utf/`], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^ERROR: Upload of '.*bad.*\.txt' is not possible \(Reason: file name is not valid UTF-8; rename it/m);
    assert.deepEqual(await adminListKeys(bucket, 'utf/'), ['utf/good.txt']);
    noTrace(r.stderr);
  });

  it('a symlink loop with --follow-symlinks is detected, not followed forever', async () => {
    const src = tempDir('loop');
    fs.mkdirSync(path.join(src, 'a'));
    fs.writeFileSync(path.join(src, 'a', 'file.txt'), 'f');
    fs.symlinkSync('..', path.join(src, 'a', 'up'));
    const r = await s3k(['sync', '--follow-symlinks', src + '/', `s3://${bucket}/loop/`], { env, timeoutMs: 30_000 });
    assert.equal(r.timedOut, false);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /symbolic link loop detected/);
    assert.ok((await adminListKeys(bucket, 'loop/')).includes('loop/a/file.txt'));
  });

  it('an unreadable directory during sync: exit 2, everything else transferred, no deletes', async () => {
    const src = tempDir('unread');
    fs.chmodSync(src, 0o755);
    for (const d of ['ok1', 'locked', 'ok2']) {
      fs.mkdirSync(path.join(src, d));
      fs.writeFileSync(path.join(src, d, 'f.txt'), d);
      fs.chmodSync(path.join(src, d, 'f.txt'), 0o644);
    }
    fs.chmodSync(path.join(src, 'ok1'), 0o755);
    fs.chmodSync(path.join(src, 'ok2'), 0o755);
    // a remote object under the locked directory must survive --delete-removed
    await adminPutObject(bucket, 'unread/locked/f.txt', 'locked');
    fs.chmodSync(path.join(src, 'locked'), 0o000);
    const r = await s3kAsNobody(['sync', '--delete-removed', src + '/', `s3://${bucket}/unread/`], { env, cwd: src });
    fs.chmodSync(path.join(src, 'locked'), 0o755);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /locked.*Permission denied/);
    assert.deepEqual((await adminListKeys(bucket, 'unread/')).sort(), ['unread/locked/f.txt', 'unread/ok1/f.txt', 'unread/ok2/f.txt']);
  });

  it("an unreadable file during sync and put -r: s3cmd's 'Upload of F is not possible' line, exit 2; a directory that can be listed but not entered is passed over quietly", async () => {
    const src = tempDir('perm');
    fs.chmodSync(src, 0o755);
    fs.mkdirSync(path.join(src, 'p', 'half'), { recursive: true });
    fs.writeFileSync(path.join(src, 'p', 'ok.txt'), 'ok');
    fs.writeFileSync(path.join(src, 'p', 'denied.txt'), 'no');
    fs.writeFileSync(path.join(src, 'p', 'half', 'inside.txt'), 'in');
    fs.chmodSync(path.join(src, 'p'), 0o755);
    fs.chmodSync(path.join(src, 'p', 'ok.txt'), 0o644);
    fs.chmodSync(path.join(src, 'p', 'denied.txt'), 0o000);
    fs.chmodSync(path.join(src, 'p', 'half'), 0o444);
    try {
      for (const cmd of [['sync', 'p/', `s3://${bucket}/perm-sync/`], ['put', '-r', 'p/', `s3://${bucket}/perm-put/`]]) {
        const r = await s3kAsNobody(cmd, { env, cwd: src });
        assert.equal(r.code, 2, r.stderr);
        assert.equal(r.stderr, "ERROR: Upload of 'p/denied.txt' is not possible (Reason: Permission denied)\n", cmd.join(' '));
        assert.match(r.stdout, /upload: 'p\/ok\.txt' -> /);
      }
    } finally {
      fs.chmodSync(path.join(src, 'p', 'half'), 0o755);
    }
  });

  it('a full disk during get: exit 74, one line, no partial file', async (t) => {
    const mnt = tempDir('tmpfs');
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
    if (m.status !== 0) {
      t.skip(`cannot mount a tmpfs here (${m.stderr.toString().trim()})`);
      return;
    }
    try {
      await adminPutObject(bucket, 'big-for-tmpfs.bin', Buffer.alloc(3 * 1024 * 1024, 7));
      const r = await s3k(['get', `s3://${bucket}/big-for-tmpfs.bin`, path.join(mnt, 'out.bin')], { env });
      assert.equal(r.code, 74, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /No space left on device/);
      assert.deepEqual(fs.readdirSync(mnt), [], 'no partial or temp file left');
    } finally {
      spawnSync('umount', [mnt]);
    }
  });

  it('a skewed clock gets a one-line explanation (RequestTimeTooSkewed, 77)', async (t) => {
    if (!hasCmd('faketime')) {
      t.skip('faketime is not installed (lab/install-deps.sh --with-test-tools)');
      return;
    }
    const envArgs = Object.entries(cleanEnv({ ...env, HOME: tempDir('skew') })).map(([k, v]) => `${k}=${v}`);
    const r = await run('env', ['-i', ...envArgs, 'faketime', '-f', '-2h', process.execPath, S3K_BIN, 'ls', `s3://${bucket}`]);
    assert.equal(r.code, 77, r.stderr);
    assert.equal(r.stderr, "ERROR: S3 error: 403 (RequestTimeTooSkewed) - this machine's clock differs from the server's by more than 15 minutes; sync it (NTP) and retry\n");
  });

  it('TLS: a self-signed endpoint is refused by default (77); --ca-certs or --no-check-certificate are explicit', async () => {
    const dir = tempDir('tls');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const up = new URL(labEndpoint());
    const server = https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) }, (req, res) => {
      const p = http.request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers }, (u) => {
        res.writeHead(u.statusCode ?? 502, u.headers);
        u.pipe(res);
      });
      p.on('error', () => res.destroy());
      req.pipe(p);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const tlsEnv = { ...env, AWS_ENDPOINT_URL: `https://127.0.0.1:${port}` };
      let r = await s3k(['ls', `s3://${bucket}`], { env: tlsEnv });
      assert.equal(r.code, 77, r.stderr);
      assert.match(r.stderr, new RegExp(`^ERROR: SSL certificate verification failure: https://127\\.0\\.0\\.1:${port}: .*--ca-certs FILE .* or AWS_CA_BUNDLE, or .*--no-check-certificate`));
      assert.equal(r.stderr.trim().split('\n').length, 1);
      r = await s3k(['ls', '--ca-certs', path.join(dir, 'cert.pem'), `s3://${bucket}`], { env: tlsEnv });
      assert.equal(r.code, 0, r.stderr);
      r = await s3k(['ls', '--no-check-certificate', `s3://${bucket}`], { env: tlsEnv });
      assert.equal(r.code, 0, r.stderr);
      r = await s3k(['ls', `s3://${bucket}`], { env: { ...tlsEnv, AWS_CA_BUNDLE: path.join(dir, 'cert.pem') } });
      assert.equal(r.code, 0, r.stderr);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('-d on every command never prints the secret key, the session token or the JWT (IRSA)', async () => {
    const { roleArn } = await setupIrsa();
    const dir = tempDir('secrets');
    const tokenFile = path.join(dir, 'token');
    const jwt = await writeToken(tokenFile);
    const ienv = irsaEnv(roleArn, tokenFile);
    const b = uniqueBucket('secrets');
    const f = path.join(dir, 'f.txt');
    fs.writeFileSync(f, 'secret test');
    const outs: string[] = [];
    const cmds = [
      ['mb', `s3://${b}`], ['ls'], ['put', f, `s3://${b}/f.txt`], ['ls', '-l', `s3://${b}`], ['get', '--force', `s3://${b}/f.txt`, path.join(dir, 'g.txt')],
      ['info', `s3://${b}/f.txt`], ['du', `s3://${b}`], ['sync', dir + '/', `s3://${b}/s/`], ['whoami'], ['del', `s3://${b}/f.txt`], ['rb', '-r', '-f', `s3://${b}`],
    ];
    for (const c of cmds) {
      const r = await s3k(['-d', ...c], { env: ienv });
      assert.equal(r.code, 0, `${c.join(' ')}: ${r.stderr.slice(-500)}`);
      outs.push(r.stdout, r.stderr);
    }
    const all = outs.join('\n');
    assert.match(all, /DEBUG: /);
    assert.ok(!all.includes(jwt), 'the JWT');
    assert.doesNotMatch(all, /eyJ[A-Za-z0-9_-]{10,}\.eyJ/, 'no JWT-shaped string');
    // the session credentials STS issued to these processes: mint one set the same way to know the shape
    assert.doesNotMatch(all, /<SessionToken>[^<]|<SecretAccessKey>[^<]/);
    assert.doesNotMatch(all, /Signature=[0-9a-f]{64}/);
    // static keys: the admin secret never appears either
    const r = await s3k(['-d', 'ls', `s3://${bucket}`], { env });
    assert.ok(!(r.stdout + r.stderr).includes(labEnv().LAB_ADMIN_SECRET_KEY));
    void mintToken;
  });

  it('files s3k writes that hold state are private (0600)', async () => {
    await adminPutObject(bucket, 'state.bin', Buffer.alloc(40 * 1024 * 1024, 1));
    const dir = tempDir('perm');
    // interrupt a ranged download right after it starts, then look at the state file
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [S3K_BIN, 'get', '--limit-rate=5m', `s3://${bucket}/state.bin`, path.join(dir, 'out.bin')], {
      env: cleanEnv({ ...env, HOME: dir }),
      stdio: 'ignore',
    });
    const state = path.join(dir, '.out.bin.s3k-partial.json');
    for (let i = 0; i < 200 && !fs.existsSync(state); i++) await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.ok(fs.existsSync(state), 'state file written');
    assert.equal(fs.statSync(state).mode & 0o777, 0o600);
  });
});

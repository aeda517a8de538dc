// Helpers for end-to-end tests against the lab (Ceph RGW S3 + STS + IAM, local OIDC issuer).
// scripts/test.sh starts a dedicated lab and exports S3K_LAB_ENV=<its env.json>. To run one e2e file
// by hand against the demo lab: S3K_LAB_ENV=/tmp/s3k-lab/env.json node --import tsx --test test/e2e/x.test.ts
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import aws4, { type Request as Aws4Request } from 'aws4';
import * as irsa from '../../lab/irsa.mjs';
import type { LabEnv, SetupOptions, SetupResult, TemporaryCredentials, TokenOptions } from '../../lab/irsa.mjs';

export type { LabEnv, SetupOptions, SetupResult, TemporaryCredentials, TokenOptions };

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const S3K_BIN = path.join(REPO_ROOT, 'dist', 's3k.mjs');
/** Preloaded into every s3k child (from a copy, guardFile()): no connection may leave loopback. */
const GUARD_SOURCE = path.join(REPO_ROOT, 'test', 'support', 'loopback-guard.mjs');
export const REGION = 'us-east-1';

// ------------------------------------------------------------------------------ lab env
let cachedEnv: LabEnv | undefined;

/** The lab's env.json ($S3K_LAB_ENV, else $LAB_DIR/env.json, else /tmp/s3k-lab/env.json). */
export function labEnv(): LabEnv {
  cachedEnv ??= irsa.loadLabEnv();
  return cachedEnv;
}

/** True when a lab env file can be read (use to skip e2e tests when no lab is around). */
export function labAvailable(): boolean {
  try {
    labEnv();
    return true;
  } catch {
    return false;
  }
}

/** http://127.0.0.1:PORT */
export function labEndpoint(): string {
  return labEnv().LAB_ENDPOINT;
}

/** 127.0.0.1:PORT (for s3cmd's host_base / host_bucket) */
export function labHostPort(): string {
  return new URL(labEnv().LAB_ENDPOINT).host;
}

/** https://127.0.0.1:PORT: the same RGW over TLS (certificate for 127.0.0.1 and localhost, signed by labCaFile()). */
export function labHttpsEndpoint(): string {
  const ep = labEnv().LAB_HTTPS_ENDPOINT;
  if (!ep) throw new Error('the lab has no https endpoint (started by an older lab/start.sh?): restart it');
  return ep;
}

/** 127.0.0.1:TLSPORT (host_base / host_bucket for the https endpoint) */
export function labHttpsHostPort(): string {
  return new URL(labHttpsEndpoint()).host;
}

/** The throwaway CA (PEM file) that signed the https endpoint's certificate. */
export function labCaFile(): string {
  const f = labEnv().LAB_CA_FILE;
  if (!f) throw new Error('the lab has no CA file (started by an older lab/start.sh?): restart it');
  return f;
}

// ------------------------------------------------------------------------------ temp dirs
const tempDirs = new Set<string>();
let cleanupRegistered = false;

/** A fresh temp dir, removed when the test process exits (or earlier with cleanup()). */
export function tempDir(prefix = 'tmp'): string {
  const safe = prefix.replace(/[^A-Za-z0-9._-]/g, '-');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `s3k-test-${safe}-`));
  tempDirs.add(dir);
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    process.on('exit', cleanupTempDirs);
  }
  return dir;
}

/** Like tempDir() but with an explicit cleanup function (e.g. for `after()` / `t.after()`). */
export function makeTempDir(prefix = 'tmp'): { path: string; cleanup: () => void } {
  const dir = tempDir(prefix);
  return {
    path: dir,
    cleanup: () => {
      fs.rmSync(dir, { recursive: true, force: true });
      tempDirs.delete(dir);
    },
  };
}

export function cleanupTempDirs(): void {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

/** Every file under dir: relative path (with /) -> MD5 of its content, to compare trees after transfers. */
export function treeMd5(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p, r);
      else out.set(r, crypto.createHash('md5').update(fs.readFileSync(p)).digest('hex'));
    }
  };
  walk(dir, '');
  return out;
}

// ------------------------------------------------------------------------------ files every user can read
// The checkout can be anywhere, e.g. cloned by root into /root (mode 0700), where a child that runs as
// another user (asNobody) reads nothing. So what children load comes from copies: each test process
// copies those files into a directory of its own under the temp dir, readable by every user.
let readable: string | undefined;

/** This test process's temp dir that every user can read (0755; one per process). */
export function readableDir(): string {
  if (!readable) {
    readable = tempDir('readable');
    fs.chmodSync(readable, 0o755);
  }
  return readable;
}

/** A copy of `file`, readable by every user, in readableDir() (copied once per name). */
export function readableCopy(file: string): string {
  const copy = path.join(readableDir(), path.basename(file));
  if (!fs.existsSync(copy)) {
    fs.copyFileSync(file, copy);
    fs.chmodSync(copy, 0o644);
  }
  return copy;
}

/** The loopback guard every s3k child preloads (a readable copy of test/support/loopback-guard.mjs). */
export function guardFile(): string {
  return readableCopy(GUARD_SOURCE);
}

let home: string | undefined;
/** The HOME every s3k() run gets unless told otherwise: empty, so no ~/.s3cfg or ~/.aws leaks in. */
export function tempHome(): string {
  home ??= tempDir('home');
  return home;
}

// ------------------------------------------------------------------------------ running s3k
export interface RunOptions {
  /** Extra env vars; a value of undefined removes a default one (e.g. AWS_EC2_METADATA_DISABLED). */
  env?: Record<string, string | undefined>;
  /** Written to stdin (stdin is closed right away otherwise). */
  input?: string | Buffer;
  cwd?: string;
  /** Kill the process after this many ms (default 60000). */
  timeoutMs?: number;
  /**
   * Preload the loopback-only guard (default: for node children, i.e. s3k; not for other tools,
   * e.g. the image build fetching Node from the npm registry).
   */
  guard?: boolean;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  stdoutBuffer: Buffer;
  timedOut: boolean;
}

/** The clean environment s3k runs in: PATH, HOME=<temp home>, AWS_EC2_METADATA_DISABLED=true, the loopback guard, plus extra. */
export function cleanEnv(extra: Record<string, string | undefined> = {}, guard = true): Record<string, string> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: tempHome(),
    AWS_EC2_METADATA_DISABLED: 'true',
    // s3k (and any node child given this env) refuses connections that are not to loopback
    ...(guard ? { NODE_OPTIONS: `--import=${guardFile()}` } : {}),
    ...extra,
  };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/** Runs `node dist/s3k.mjs ...args` in a clean env; resolves {code, stdout, stderr, ...} (never rejects on exit code). */
export function s3k(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(process.execPath, [S3K_BIN, ...args], opts);
}

/** Runs any command in the same clean env as s3k(). */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: cleanEnv(opts.env, opts.guard ?? cmd === process.execPath), cwd: opts.cwd ?? REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60000);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBuffer = Buffer.concat(out);
      resolve({ code, signal, stdout: stdoutBuffer.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBuffer, timedOut });
    });
    child.stdin.on('error', () => {}); // EPIPE if the child exits without reading stdin
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

// ------------------------------------------------------------------------------ running as an unprivileged user
/** The user asNobody() runs as: nobody / nogroup (65534) on Debian. */
export const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;

/** Why nobody (no supplementary groups) cannot reach `file` with `need` (4 read, 1 execute), or undefined. */
function nobodyCannot(file: string, need: number): string | undefined {
  const parts = path.resolve(file).split(path.sep).filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const p = path.sep + parts.slice(0, i).join(path.sep);
    const last = i === parts.length;
    const st = fs.statSync(p);
    const bits = st.uid === NOBODY ? st.mode >> 6 : st.gid === NOBODY ? st.mode >> 3 : st.mode;
    const want = last ? need : 1;
    if ((bits & want) !== want) return `${p} (mode ${(st.mode & 0o7777).toString(8)}, owner ${st.uid}:${st.gid})`;
  }
  return undefined;
}

/**
 * Runs `argv` as nobody (uid and gid 65534, no supplementary groups) through setpriv (util-linux)
 * when the tests run as root, who reads any file, so that permission checks apply; as this user
 * otherwise. The env is cleanEnv(opts.env) with HOME=cwd unless given. Everything the child loads
 * must be readable by nobody: pass readableCopy()s of checkout files (s3kAsNobody does for s3k).
 */
export function asNobody(argv: string[], opts: RunOptions & { cwd: string }): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error('asNobody: empty argv');
  if (!isRoot) return run(cmd, args, opts);
  const guard = opts.guard ?? cmd === process.execPath;
  const env = cleanEnv({ HOME: opts.cwd, ...opts.env }, guard);
  const reach: [string, number][] = [[opts.cwd, 1]];
  if (path.isAbsolute(cmd)) reach.push([cmd, 1]);
  if (guard) reach.push([guardFile(), 4]);
  for (const [f, need] of reach) {
    const why = nobodyCannot(f, need);
    if (why) throw new Error(`asNobody: user ${NOBODY} cannot reach ${f}: ${why}; keep it (node, TMPDIR) under directories every user can search`);
  }
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return run('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'env', '-i', ...envArgs, cmd, ...args], { ...opts, env: undefined, guard: false });
}

/** Runs s3k (from a readable copy of dist/s3k.mjs) as nobody; see asNobody(). */
export function s3kAsNobody(args: string[], opts: RunOptions & { cwd: string }): Promise<RunResult> {
  return asNobody([process.execPath, readableCopy(S3K_BIN), ...args], opts);
}

// ------------------------------------------------------------------------------ credentials for s3k
/** Env vars pointing s3k at the lab with the admin's static keys. */
export function adminEnv(): Record<string, string> {
  const e = labEnv();
  return {
    AWS_ACCESS_KEY_ID: e.LAB_ADMIN_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: e.LAB_ADMIN_SECRET_KEY,
    AWS_ENDPOINT_URL: e.LAB_ENDPOINT,
    AWS_REGION: REGION,
  };
}

/** adminEnv() pointed at the https endpoint, trusting the lab's CA through AWS_CA_BUNDLE. */
export function adminHttpsEnv(): Record<string, string> {
  return { ...adminEnv(), AWS_ENDPOINT_URL: labHttpsEndpoint(), AWS_CA_BUNDLE: labCaFile() };
}

/** Env vars for temporary credentials (e.g. from assumeRole()). */
export function sessionEnv(c: TemporaryCredentials): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: c.AccessKeyId,
    AWS_SECRET_ACCESS_KEY: c.SecretAccessKey,
    AWS_SESSION_TOKEN: c.SessionToken,
    AWS_ENDPOINT_URL: labEndpoint(),
    AWS_REGION: REGION,
  };
}

/** Env vars of an EKS pod with IRSA, with S3 and STS pointed at the lab. No keys. */
export function irsaEnv(roleArn: string, tokenFile: string): Record<string, string> {
  return {
    AWS_ROLE_ARN: roleArn,
    AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL_S3: labEndpoint(),
    AWS_ENDPOINT_URL_STS: labEndpoint(),
  };
}

export interface S3cfgOptions {
  /** Directory to write `s3cfg` into (default: a new temp dir). */
  dir?: string;
  accessKey?: string;
  secretKey?: string;
  /** s3cmd's access_token (session token). */
  sessionToken?: string;
  /** More `key = value` lines for [default]. */
  extra?: Record<string, string>;
}

/** Writes an s3cmd config for the lab (admin keys by default) and returns its path. */
export function writeS3cfg(opts: S3cfgOptions = {}): string {
  const e = labEnv();
  const dir = opts.dir ?? tempDir('s3cfg');
  const file = path.join(dir, 's3cfg');
  const kv: Record<string, string> = {
    access_key: opts.accessKey ?? e.LAB_ADMIN_ACCESS_KEY,
    secret_key: opts.secretKey ?? e.LAB_ADMIN_SECRET_KEY,
    ...(opts.sessionToken ? { access_token: opts.sessionToken } : {}),
    host_base: labHostPort(),
    host_bucket: labHostPort(),
    use_https: 'False',
    ...opts.extra,
  };
  const text = '[default]\n' + Object.entries(kv).map(([k, v]) => `${k} = ${v}\n`).join('');
  fs.writeFileSync(file, text, { mode: 0o600 });
  return file;
}

// ------------------------------------------------------------------------------ names
let bucketCounter = 0;
/** A valid, unique, lowercase bucket name: <prefix>-<time>-<n><random>, at most 63 chars. */
export function uniqueBucket(prefix = 's3k'): string {
  let p = prefix.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/-+/g, '-').replace(/^-+|-+$/g, '');
  if (!p || !/^[a-z0-9]/.test(p)) p = `b${p}`;
  p = p.slice(0, 36).replace(/-+$/, '');
  const suffix = `${Date.now().toString(36)}-${(bucketCounter++).toString(36)}${crypto.randomBytes(3).toString('hex')}`;
  return `${p}-${suffix}`;
}

// ------------------------------------------------------------------------------ raw S3 with admin keys
export interface S3Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface S3RequestOptions {
  method?: string;
  /** Bucket, optional. */
  bucket?: string;
  /** Object key (unencoded), optional. */
  key?: string;
  /** Raw query string without '?', e.g. 'list-type=2&prefix=a%2F'. */
  query?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Credentials to sign with (default: the lab admin's). null = anonymous (unsigned). */
  credentials?: SigningCredentials | null;
  /** Send it to the https endpoint, verifying its certificate with the lab's CA. */
  tls?: boolean;
}

const encodeKey = (k: string) => k.split('/').map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())).join('/');

/** A SigV4-signed path-style S3 request to the lab, independent of s3k (to set up or check state). */
export function s3Request(opts: S3RequestOptions = {}): Promise<S3Response> {
  const e = labEnv();
  const u = new URL(opts.tls ? labHttpsEndpoint() : e.LAB_ENDPOINT);
  let p = '/';
  if (opts.bucket) p += opts.bucket;
  if (opts.key !== undefined) p += '/' + encodeKey(opts.key);
  if (opts.query) p += '?' + opts.query;
  const req: Aws4Request & { headers: Record<string, string | number> } = {
    host: u.host,
    path: p,
    method: opts.method ?? 'GET',
    service: 's3',
    region: REGION,
    headers: { ...(opts.headers ?? {}) },
    ...(opts.body !== undefined ? { body: opts.body } : {}),
  };
  if (opts.body !== undefined) req.headers['content-length'] = Buffer.byteLength(opts.body);
  const creds = opts.credentials === undefined
    ? { accessKeyId: e.LAB_ADMIN_ACCESS_KEY, secretAccessKey: e.LAB_ADMIN_SECRET_KEY }
    : opts.credentials;
  if (creds) aws4.sign(req, creds);
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
      res.on('error', reject);
    };
    const reqOpts = { hostname: u.hostname, port: u.port, path: p, method: req.method, headers: req.headers as http.OutgoingHttpHeaders, agent: false as const };
    const r = opts.tls ? https.request({ ...reqOpts, ca: fs.readFileSync(labCaFile()) }, onResponse) : http.request(reqOpts, onResponse);
    r.setTimeout(30000, () => r.destroy(new Error(`timeout: ${req.method} ${p}`)));
    r.on('error', reject);
    if (opts.body !== undefined) r.write(opts.body);
    r.end();
  });
}

async function expectOk(what: string, p: Promise<S3Response>): Promise<S3Response> {
  const r = await p;
  if (r.status < 200 || r.status >= 300) throw new Error(`${what}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
  return r;
}

/** Creates a bucket with the admin keys. */
export function adminCreateBucket(bucket: string): Promise<S3Response> {
  return expectOk(`create bucket ${bucket}`, s3Request({ method: 'PUT', bucket }));
}

/** Puts an object with the admin keys. */
export function adminPutObject(bucket: string, key: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<S3Response> {
  return expectOk(`put s3://${bucket}/${key}`, s3Request({ method: 'PUT', bucket, key, body, headers }));
}

/** Gets an object with the admin keys (status 404 is returned, not thrown). */
export function adminGetObject(bucket: string, key: string): Promise<S3Response> {
  return s3Request({ bucket, key });
}

const decodeXml = (s: string) =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

export type SigningCredentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

/** Signing credentials from temporary credentials (assumeRole()). */
export function signingCredentials(c: TemporaryCredentials): SigningCredentials {
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

/** All keys in a bucket (ListObjectsV2 with pagination), with the admin keys unless credentials are given. */
export async function adminListKeys(bucket: string, prefix = '', credentials?: SigningCredentials): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  for (;;) {
    let q = `list-type=2&prefix=${encodeURIComponent(prefix)}`;
    if (token) q += `&continuation-token=${encodeURIComponent(token)}`;
    const r = await expectOk(`list s3://${bucket}`, s3Request({ bucket, query: q, credentials }));
    for (const m of r.text.matchAll(/<Key>([\s\S]*?)<\/Key>/g)) keys.push(decodeXml(m[1] ?? ''));
    const next = /<NextContinuationToken>([\s\S]*?)<\/NextContinuationToken>/.exec(r.text);
    if (!/<IsTruncated>true<\/IsTruncated>/.test(r.text) || !next) return keys;
    token = decodeXml(next[1] ?? '');
  }
}

/**
 * Deletes every object, then the bucket; a missing bucket is fine. Uses the admin keys unless credentials
 * are given: a bucket created through a role session is owned by the role, and the admin user gets
 * 403 on it, so clean those up with the role's credentials.
 */
export async function adminDeleteBucket(bucket: string, credentials?: SigningCredentials): Promise<void> {
  let keys: string[];
  try {
    keys = await adminListKeys(bucket, '', credentials);
  } catch (e) {
    if (/HTTP 404/.test(String(e))) return;
    throw e;
  }
  for (const key of keys) await s3Request({ method: 'DELETE', bucket, key, credentials });
  const r = await s3Request({ method: 'DELETE', bucket, credentials });
  if (r.status !== 204 && r.status !== 404) throw new Error(`delete bucket ${bucket}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
}

// ------------------------------------------------------------------------------ a suite's buckets
export interface BucketFixture {
  /** The suite's bucket, created by `s3k mb` before its first test (unless `create: false`). */
  bucket: string;
  /** Another bucket a test makes: deleted after the suite too, a failure to delete ignored (odd keys, other owners). */
  track: (bucket: string) => string;
}

/**
 * The buckets of one e2e suite; call it inside describe(). Before the tests: `s3k mb` of a fresh
 * bucket with `env` (exit 0 and s3cmd's "created" line asserted). After them: that bucket deleted
 * with the admin keys (a failure fails the suite), then every bucket given to track().
 */
export function bucketFixture(prefix: string, opts: { env?: Record<string, string>; create?: boolean } = {}): BucketFixture {
  const bucket = uniqueBucket(prefix);
  const tracked: string[] = [];
  const create = opts.create !== false;
  if (create)
    before(async () => {
      const r = await s3k(['mb', `s3://${bucket}`], { env: opts.env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `Bucket 's3://${bucket}/' created\n`);
    });
  after(async () => {
    for (const b of tracked) await adminDeleteBucket(b).catch(() => undefined);
    if (create) await adminDeleteBucket(bucket);
  });
  return {
    bucket,
    track: (b) => {
      tracked.push(b);
      return b;
    },
  };
}

// ------------------------------------------------------------------------------ IRSA
/** Registers the OIDC provider and creates/updates a role (idempotent). See lab/irsa.mjs. */
export function setupIrsa(opts: SetupOptions = {}): Promise<SetupResult> {
  return irsa.setup(opts, labEnv());
}

/** Mints a service-account token from the lab issuer (never print it). */
export function mintToken(opts: TokenOptions = {}): Promise<string> {
  return irsa.mintToken(opts, labEnv());
}

/** Mints a token into file (no trailing newline, like the kubelet). Returns the token. */
export function writeToken(file: string, opts: TokenOptions = {}): Promise<string> {
  return irsa.writeToken(file, opts, labEnv());
}

/** Real temporary credentials from the lab's STS (for container-credentials / IMDS emulators). */
export function assumeRole(token: string, roleArn: string, durationSeconds = 3600): Promise<TemporaryCredentials> {
  return irsa.assumeRole(token, roleArn, durationSeconds, { labEnv: labEnv() });
}

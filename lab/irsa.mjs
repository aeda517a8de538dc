#!/usr/bin/env node
// IRSA (IAM Roles for Service Accounts) set-up against the lab's RGW, without any AWS CLI:
// IAM calls are SigV4-signed with the lab admin keys (aws4), STS AssumeRoleWithWebIdentity is an
// unsigned POST exactly like the one an SDK makes from AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE.
//
// CLI:
//   node lab/irsa.mjs setup [--role s3-full-access] [--ns default] [--sa s3-full-access]
//                           [--aud sts.amazonaws.com] [--sub SUBJECT] [--policy JSON] [--max-session SECONDS]
//        -> prints {"roleArn":...,"providerArn":...,...}; idempotent
//   node lab/irsa.mjs token --out FILE [--ttl 3600] [--aud X] [--ns X] [--sa X] [--sub X] [--iss X] [--forge]
//        -> writes the token to FILE with no trailing newline (--out - writes it to stdout)
//   node lab/irsa.mjs assume --token-file FILE [--role-arn ARN] [--duration 3600] --out FILE
//        -> writes {AccessKeyId,SecretAccessKey,SessionToken,Expiration} as JSON to FILE (mode 600)
// Which lab: $S3K_LAB_ENV (path of an env.json), else $LAB_DIR/env.json, else /tmp/s3k-lab/env.json.
//
// Module: import { loadLabEnv, iam, setup, mintToken, writeToken, assumeRole } from './lab/irsa.mjs'
//
// RGW 16.2 gotchas handled here: policy documents must be compact JSON (a space gives 400, because
// '+' is not decoded), role names must not contain '_', a token file must not end with a newline.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import aws4 from 'aws4';

export const DEFAULTS = Object.freeze({
  role: 's3-full-access',
  ns: 'default',
  sa: 's3-full-access',
  aud: 'sts.amazonaws.com',
  policyName: 's3-all',
});

export const S3_ALL_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:*'], Resource: ['arn:aws:s3:::*'] }],
};

/** Reads the lab's env.json: $S3K_LAB_ENV, else $LAB_DIR/env.json, else /tmp/s3k-lab/env.json. */
export function loadLabEnv(file) {
  const f = file || process.env.S3K_LAB_ENV || path.join(process.env.LAB_DIR || '/tmp/s3k-lab', 'env.json');
  let text;
  try {
    text = fs.readFileSync(f, 'utf8');
  } catch (e) {
    throw new Error(`lab env ${f} not readable (${e.code || e.message}); is the lab running? (lab/start.sh)`);
  }
  const env = JSON.parse(text);
  for (const k of ['LAB_ENDPOINT', 'LAB_ADMIN_ACCESS_KEY', 'LAB_ADMIN_SECRET_KEY', 'LAB_OIDC_ISSUER']) {
    if (!env[k]) throw new Error(`lab env ${f} has no ${k}`);
  }
  return env;
}

const enc = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
const formBody = (params) => Object.entries(params).map(([k, v]) => `${enc(k)}=${enc(String(v))}`).join('&');
const xmlTag = (xml, tag) => {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return m ? decodeXml(m[1]) : undefined;
};
const decodeXml = (s) =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

function request(url, { method = 'GET', headers = {}, body } = {}) {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      { hostname: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, agent: false },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(30000, () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

class LabApiError extends Error {
  constructor(what, res) {
    const code = xmlTag(res.body, 'Code') || 'Unknown';
    const msg = xmlTag(res.body, 'Message') || '';
    super(`${what}: HTTP ${res.status} ${code}${msg ? ` ${msg}` : ''}`);
    this.name = 'LabApiError';
    this.status = res.status;
    this.code = code;
    this.body = res.body;
  }
}

/** One IAM Query API call (POST form, SigV4 with the lab admin keys). Returns {status, body}; throws on non-2xx. */
export async function iam(action, params = {}, labEnv = loadLabEnv()) {
  const u = new URL(labEnv.LAB_ENDPOINT);
  const body = formBody({ Action: action, Version: '2010-05-08', ...params });
  const opts = {
    host: u.host,
    path: '/',
    method: 'POST',
    service: 'iam',
    region: labEnv.LAB_REGION || 'us-east-1',
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
  };
  aws4.sign(opts, { accessKeyId: labEnv.LAB_ADMIN_ACCESS_KEY, secretAccessKey: labEnv.LAB_ADMIN_SECRET_KEY });
  const res = await request(new URL('/', u).toString(), { method: 'POST', headers: opts.headers, body });
  if (res.status < 200 || res.status >= 300) throw new LabApiError(`IAM ${action}`, res);
  return res;
}

const providerHost = (issuer) => issuer.replace(/^https?:\/\//, '').replace(/\/+$/, '');

/** GETs text from the lab's OIDC issuer. */
async function issuerGet(pathAndQuery, labEnv) {
  const res = await request(labEnv.LAB_OIDC_ISSUER.replace(/\/+$/, '') + pathAndQuery);
  if (res.status !== 200) throw new Error(`OIDC issuer ${pathAndQuery}: HTTP ${res.status} ${res.body}`);
  return res.body.trim();
}

/**
 * Registers the lab issuer as an OIDC provider and creates (or updates) a role that only
 * system:serviceaccount:<ns>:<sa> with audience <aud> may assume, with an inline s3:* policy.
 * Idempotent. Returns {roleArn, providerArn, roleName, subject, audience}.
 */
export async function setup(opts = {}, labEnv = loadLabEnv()) {
  const roleName = opts.role || DEFAULTS.role;
  if (!/^[A-Za-z0-9+=,.@-]{1,64}$/.test(roleName)) {
    throw new Error(`role name "${roleName}" is not accepted by RGW 16.2 (letters, digits and +=,.@- only; no "_")`);
  }
  const ns = opts.ns || DEFAULTS.ns;
  const sa = opts.sa || DEFAULTS.sa;
  const aud = opts.aud || DEFAULTS.aud;
  const subject = opts.sub || `system:serviceaccount:${ns}:${sa}`;
  const prov = providerHost(labEnv.LAB_OIDC_ISSUER);
  const thumbprint = await issuerGet('/thumbprint', labEnv);

  let providerArn = `arn:aws:iam:::oidc-provider/${prov}`;
  try {
    const r = await iam('CreateOpenIDConnectProvider', {
      Url: labEnv.LAB_OIDC_ISSUER,
      'ClientIDList.member.1': aud === DEFAULTS.aud ? aud : DEFAULTS.aud,
      ...(aud === DEFAULTS.aud ? {} : { 'ClientIDList.member.2': aud }),
      'ThumbprintList.member.1': thumbprint,
    }, labEnv);
    providerArn = xmlTag(r.body, 'OpenIDConnectProviderArn') || providerArn;
  } catch (e) {
    if (!(e instanceof LabApiError && (e.status === 409 || e.code === 'EntityAlreadyExists'))) throw e;
  }

  const trust = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{
      Effect: 'Allow',
      Principal: { Federated: [providerArn] },
      Action: ['sts:AssumeRoleWithWebIdentity'],
      Condition: { StringEquals: { [`${prov}:sub`]: subject, [`${prov}:aud`]: aud } },
    }],
  });
  let roleArn;
  try {
    const r = await iam('CreateRole', {
      RoleName: roleName,
      Path: '/',
      AssumeRolePolicyDocument: trust,
      ...(opts.maxSession ? { MaxSessionDuration: String(opts.maxSession) } : {}),
    }, labEnv);
    roleArn = xmlTag(r.body, 'Arn');
  } catch (e) {
    if (!(e instanceof LabApiError && (e.status === 409 || e.code === 'EntityAlreadyExists'))) throw e;
    await iam('UpdateAssumeRolePolicy', { RoleName: roleName, PolicyDocument: trust }, labEnv);
  }
  if (!roleArn) roleArn = xmlTag((await iam('GetRole', { RoleName: roleName }, labEnv)).body, 'Arn');
  if (!roleArn) throw new Error(`could not read the ARN of role ${roleName}`);

  const policy = typeof opts.policy === 'string' ? JSON.parse(opts.policy) : opts.policy || S3_ALL_POLICY;
  await iam('PutRolePolicy', {
    RoleName: roleName,
    PolicyName: opts.policyName || DEFAULTS.policyName,
    PolicyDocument: JSON.stringify(policy), // compact: a space would give 400 InvalidInput on RGW 16.2
  }, labEnv);
  return { roleArn, providerArn, roleName, subject, audience: aud };
}

/**
 * Mints a Kubernetes-shaped service-account token from the lab issuer.
 * opts: {ns, sa, sub, aud, ttl, iss, forge}. Returns the JWT (no whitespace).
 */
export async function mintToken(opts = {}, labEnv = loadLabEnv()) {
  const q = new URLSearchParams();
  for (const k of ['ns', 'sa', 'sub', 'aud', 'ttl', 'iss']) if (opts[k] !== undefined && opts[k] !== '') q.set(k, String(opts[k]));
  if (opts.forge) q.set('forge', '1');
  return issuerGet(`/token?${q}`, labEnv);
}

/** Mints a token and writes it to file (mode 600, parent dirs created, NO trailing newline). */
export async function writeToken(file, opts = {}, labEnv = loadLabEnv()) {
  const token = await mintToken(opts, labEnv);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, token, { mode: 0o600 });
  fs.renameSync(tmp, file); // atomic, like the kubelet's token refresh
  return token;
}

/**
 * Raw, unsigned STS AssumeRoleWithWebIdentity against the lab (what an SDK does for IRSA).
 * Returns {AccessKeyId, SecretAccessKey, SessionToken, Expiration}. Throws a LabApiError with
 * .status (403 for every denial on RGW) and .code otherwise.
 * opts: {endpoint, sessionName, labEnv}
 */
export async function assumeRole(token, roleArn, durationSeconds = 3600, opts = {}) {
  const endpoint = opts.endpoint || (opts.labEnv || loadLabEnv()).LAB_ENDPOINT;
  const body = formBody({
    Action: 'AssumeRoleWithWebIdentity',
    Version: '2011-06-15',
    RoleArn: roleArn,
    RoleSessionName: opts.sessionName || `s3k-lab-${Date.now()}`,
    WebIdentityToken: token.trim(),
    DurationSeconds: String(durationSeconds),
  });
  const res = await request(new URL('/', endpoint).toString(), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'content-length': Buffer.byteLength(body) },
    body,
  });
  if (res.status !== 200) throw new LabApiError('STS AssumeRoleWithWebIdentity', res);
  const creds = {
    AccessKeyId: xmlTag(res.body, 'AccessKeyId'),
    SecretAccessKey: xmlTag(res.body, 'SecretAccessKey'),
    SessionToken: xmlTag(res.body, 'SessionToken'),
    Expiration: xmlTag(res.body, 'Expiration'),
  };
  if (!creds.AccessKeyId || !creds.SecretAccessKey || !creds.SessionToken) {
    throw new Error('STS AssumeRoleWithWebIdentity: 200 without credentials in the response');
  }
  return creds;
}

// ------------------------------------------------------------------------------------- CLI
async function main(argv) {
  const [cmd, ...rest] = argv;
  const { values: o } = parseArgs({
    args: rest,
    options: {
      role: { type: 'string' }, ns: { type: 'string' }, sa: { type: 'string' }, aud: { type: 'string' },
      sub: { type: 'string' }, iss: { type: 'string' }, ttl: { type: 'string' }, policy: { type: 'string' },
      'max-session': { type: 'string' }, out: { type: 'string' }, forge: { type: 'boolean' },
      'token-file': { type: 'string' }, 'role-arn': { type: 'string' }, duration: { type: 'string' },
      env: { type: 'string' },
    },
  });
  const labEnv = loadLabEnv(o.env);
  switch (cmd) {
    case 'setup': {
      const r = await setup({
        role: o.role, ns: o.ns, sa: o.sa, aud: o.aud, sub: o.sub, policy: o.policy,
        maxSession: o['max-session'] ? Number(o['max-session']) : undefined,
      }, labEnv);
      process.stdout.write(JSON.stringify(r) + '\n');
      return;
    }
    case 'token': {
      if (!o.out) throw new Error('token: --out FILE is required (--out - for stdout)');
      const opts = { ns: o.ns, sa: o.sa, sub: o.sub, aud: o.aud, ttl: o.ttl, iss: o.iss, forge: o.forge };
      if (o.out === '-') process.stdout.write(await mintToken(opts, labEnv));
      else await writeToken(o.out, opts, labEnv);
      return;
    }
    case 'assume': {
      if (!o['token-file'] || !o.out) throw new Error('assume: --token-file FILE and --out FILE are required');
      const roleArn = o['role-arn'] || `arn:aws:iam:::role/${o.role || DEFAULTS.role}`;
      const creds = await assumeRole(fs.readFileSync(o['token-file'], 'utf8'), roleArn, Number(o.duration || 3600), { labEnv });
      fs.writeFileSync(o.out, JSON.stringify(creds) + '\n', { mode: 0o600 });
      process.stdout.write(JSON.stringify({ AccessKeyId: creds.AccessKeyId, Expiration: creds.Expiration }) + '\n');
      return;
    }
    default:
      throw new Error(`usage: node lab/irsa.mjs setup|token|assume [options] (see the header of ${fileURLToPath(import.meta.url)})`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(`irsa.mjs: ${e.message}`);
    process.exit(1);
  });
}

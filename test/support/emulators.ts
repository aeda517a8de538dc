// Loopback-only test doubles for the credentials e2e tests:
//   startProxy()           a reverse proxy in front of the lab (S3 or STS) that records every request (STS
//                          Action, form fields, the credentials STS handed out), can delay requests or
//                          answer some itself (e.g. ExpiredToken), and can run a hook mid-stream;
//   startContainerAgent()  ECS / EKS Pod Identity agent: GET <path> with an Authorization header;
//   startImds()            EC2 IMDSv2: PUT /latest/api/token, then GETs with X-aws-ec2-metadata-token;
//   startSsoPortal()       IAM Identity Center portal: GetRoleCredentials with the cached SSO token,
//                          and SSO OIDC CreateToken (refresh_token grant) when `oidc` is given;
//   closedPort()           a loopback port nothing listens on;
//   loopbackGuardEnv()     NODE_OPTIONS for a child s3k that refuses (and reports) any connection that is
//                          not to loopback, before DNS or a packet leaves.
// Every server listens on 127.0.0.1 and every upstream must be a loopback URL.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// ------------------------------------------------------------------------------ helpers
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return LOOPBACK_HOSTS.has(h) || (net.isIPv4(h) && h.startsWith('127.'));
}

/** Parses a URL and throws unless it points at loopback over http. */
export function loopbackUrl(u: string | URL): URL {
  const url = new URL(String(u));
  if (url.protocol !== 'http:' || !isLoopbackHost(url.hostname)) throw new Error(`test emulators only talk to loopback http, not ${url.origin}`);
  return url;
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as net.AddressInfo).port;
}

function closer(server: http.Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
}

function readAll(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A loopback TCP port with nothing listening on it (bound, then released). */
export async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** The access key id in a SigV4 Authorization header (`Credential=AKID/date/region/s3/aws4_request`). */
export function sigV4AccessKey(authorization: string | undefined): string | undefined {
  return authorization ? /Credential=([^/,\s]+)\//.exec(authorization)?.[1] : undefined;
}

// ------------------------------------------------------------------------------ recording proxy
/** The credentials in an STS answer, as the proxy saw them go back to the client. Never print these. */
export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration?: string;
}

export interface ProxiedRequest {
  /** 1-based order of arrival. */
  n: number;
  method: string;
  /** Path and query string. */
  url: string;
  /** Date.now() when the request (headers and body) had arrived. */
  at: number;
  headers: http.IncomingHttpHeaders;
  /** Query API Action (from a form body or the query string), e.g. AssumeRoleWithWebIdentity. */
  action?: string;
  /** Form fields of an x-www-form-urlencoded body (STS: RoleArn, RoleSessionName, WebIdentityToken...). */
  form?: Record<string, string>;
  /** Access key id the request was signed with (SigV4), if signed. */
  accessKeyId?: string;
  bodyLength: number;
  /** Status sent back to the client (set once answered). */
  status?: number;
  /** True when the proxy answered itself (intercept) instead of forwarding. */
  intercepted: boolean;
  /** For an STS answer with credentials: what the client received. */
  issued?: IssuedCredentials;
}

export interface CannedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface ProxyOptions {
  /** Upstream base URL, e.g. the lab endpoint (must be loopback). */
  target: string;
  /** Wait this long before forwarding (a number, or per request). */
  delayMs?: number | ((r: ProxiedRequest) => number);
  /** Answer a request without forwarding it: return a response, or undefined to forward. */
  intercept?: (r: ProxiedRequest) => CannedResponse | undefined;
  /** Runs (and is awaited) before a request is forwarded, e.g. to rotate a token file mid-transfer. */
  onRequest?: (r: ProxiedRequest) => void | Promise<void>;
}

export interface LoopbackProxy {
  url: string;
  port: number;
  requests: ProxiedRequest[];
  /** Requests with this Query API Action (e.g. 'AssumeRoleWithWebIdentity'). */
  calls(action: string): ProxiedRequest[];
  count(action: string): number;
  /** Forget what was recorded so far. */
  reset(): void;
  close(): Promise<void>;
}

function parseForm(body: Buffer, contentType: string | undefined): Record<string, string> | undefined {
  if (!contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(body.toString('utf8'))) out[k] = v;
  return out;
}

function xmlTag(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return m?.[1]?.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

/** A recording reverse proxy on 127.0.0.1 in front of a loopback upstream. Headers (Host too) pass unchanged, so SigV4 signatures stay valid. */
export async function startProxy(opts: ProxyOptions): Promise<LoopbackProxy> {
  const target = loopbackUrl(opts.target);
  const requests: ProxiedRequest[] = [];
  let n = 0;
  const server = http.createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const u = new URL(req.url ?? '/', 'http://proxy.invalid');
      const form = parseForm(body, req.headers['content-type']);
      const r: ProxiedRequest = {
        n: ++n,
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        at: Date.now(),
        headers: req.headers,
        action: form?.Action ?? u.searchParams.get('Action') ?? undefined,
        form,
        accessKeyId: sigV4AccessKey(req.headers.authorization),
        bodyLength: body.length,
        intercepted: false,
      };
      requests.push(r);
      const canned = opts.intercept?.(r);
      if (canned) {
        r.intercepted = true;
        r.status = canned.status;
        const payload = canned.body ?? '';
        res.writeHead(canned.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(payload), ...canned.headers });
        res.end(payload);
        return;
      }
      await opts.onRequest?.(r);
      const delay = typeof opts.delayMs === 'function' ? opts.delayMs(r) : (opts.delayMs ?? 0);
      if (delay > 0) await sleep(delay);
      const headers = { ...req.headers };
      delete headers.connection;
      delete headers['keep-alive'];
      const up = http.request(
        { hostname: target.hostname, port: target.port, method: r.method, path: r.url, headers, agent: false },
        (ures) => {
          const chunks: Buffer[] = [];
          ures.on('data', (c: Buffer) => chunks.push(c));
          ures.on('end', () => {
            const out = Buffer.concat(chunks);
            r.status = ures.statusCode ?? 502;
            if (r.action && r.status === 200) {
              const text = out.toString('utf8');
              const accessKeyId = xmlTag(text, 'AccessKeyId');
              const secretAccessKey = xmlTag(text, 'SecretAccessKey');
              const sessionToken = xmlTag(text, 'SessionToken');
              if (accessKeyId && secretAccessKey && sessionToken)
                r.issued = { accessKeyId, secretAccessKey, sessionToken, expiration: xmlTag(text, 'Expiration') };
            }
            const h = { ...ures.headers };
            delete h.connection;
            delete h['keep-alive'];
            delete h['transfer-encoding'];
            h['content-length'] = String(out.length);
            res.writeHead(r.status, h);
            res.end(out);
          });
          ures.on('error', () => res.destroy());
        },
      );
      up.on('error', () => {
        r.status = 502;
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('proxy: upstream failed');
      });
      up.end(body);
    })().catch(() => res.destroy());
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    calls: (action) => requests.filter((r) => r.action === action),
    count: (action) => requests.filter((r) => r.action === action).length,
    reset: () => {
      requests.length = 0;
    },
    close: closer(server),
  };
}

// ------------------------------------------------------------------------------ credential JSON
/** Temporary credentials as lab/irsa.mjs assumeRole() returns them. */
export interface StsCredentials {
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: string;
}

/** The JSON shape the ECS / Pod Identity agent and IMDS use (Token, not SessionToken). */
function credentialsJson(c: StsCredentials): Record<string, string> {
  return {
    AccessKeyId: c.AccessKeyId,
    SecretAccessKey: c.SecretAccessKey,
    Token: c.SessionToken,
    // RGW sends nanoseconds; the AWS agents send plain ISO 8601
    Expiration: new Date(c.Expiration).toISOString(),
  };
}

// ------------------------------------------------------------------------------ container agent
export interface AgentRequest {
  method: string;
  url: string;
  authorization?: string;
  status: number;
}

export interface ContainerAgentOptions {
  /** Path served (default /creds); anything else is 404. */
  path?: string;
  credentials: () => StsCredentials | Promise<StsCredentials>;
  /** Authorization value required (read at each request); a mismatch gets 401. Undefined: not checked. */
  expectedAuthorization?: () => string | undefined;
}

export interface ContainerAgent {
  /** Full URI for AWS_CONTAINER_CREDENTIALS_FULL_URI. */
  url: string;
  requests: AgentRequest[];
  close(): Promise<void>;
}

/** An ECS / EKS Pod Identity agent on 127.0.0.1: GET <path> -> {AccessKeyId, SecretAccessKey, Token, Expiration}. */
export async function startContainerAgent(opts: ContainerAgentOptions): Promise<ContainerAgent> {
  const p = opts.path ?? '/creds';
  const requests: AgentRequest[] = [];
  const server = http.createServer((req, res) => {
    void (async () => {
      const rec: AgentRequest = { method: req.method ?? 'GET', url: req.url ?? '/', authorization: req.headers.authorization, status: 0 };
      requests.push(rec);
      const send = (status: number, body: unknown) => {
        rec.status = status;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (rec.method !== 'GET' || rec.url !== p) return send(404, { Code: 'NotFound', Message: 'no such path' });
      const expected = opts.expectedAuthorization?.();
      if (expected !== undefined && rec.authorization !== expected) return send(401, { Code: 'AccessDeniedException', Message: 'authorization token does not match' });
      send(200, credentialsJson(await opts.credentials()));
    })().catch(() => res.destroy());
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}${p}`, requests, close: closer(server) };
}

// ------------------------------------------------------------------------------ IMDSv2
export interface ImdsRequest {
  method: string;
  url: string;
  /** X-aws-ec2-metadata-token sent with the request. */
  token?: string;
  /** X-aws-ec2-metadata-token-ttl-seconds sent with the request. */
  ttl?: string;
  status: number;
}

export interface ImdsOptions {
  roleName: string;
  credentials: () => StsCredentials | Promise<StsCredentials>;
}

export interface ImdsEmulator {
  /** Base URL for AWS_EC2_METADATA_SERVICE_ENDPOINT. */
  url: string;
  requests: ImdsRequest[];
  /** Session tokens handed out by PUT /latest/api/token. */
  tokens: string[];
  close(): Promise<void>;
}

const IMDS_CREDS = '/latest/meta-data/iam/security-credentials/';

/**
 * EC2 instance metadata, IMDSv2 only, on 127.0.0.1: PUT /latest/api/token (with a TTL header) gives a
 * session token; every GET must carry it in X-aws-ec2-metadata-token (401 otherwise, as with
 * HttpTokens=required); GET .../security-credentials/ lists the role, .../<role> gives the credentials.
 */
export async function startImds(opts: ImdsOptions): Promise<ImdsEmulator> {
  const requests: ImdsRequest[] = [];
  const tokens: string[] = [];
  const server = http.createServer((req, res) => {
    void (async () => {
      const tokenHeader = req.headers['x-aws-ec2-metadata-token'];
      const ttlHeader = req.headers['x-aws-ec2-metadata-token-ttl-seconds'];
      const rec: ImdsRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        token: typeof tokenHeader === 'string' ? tokenHeader : undefined,
        ttl: typeof ttlHeader === 'string' ? ttlHeader : undefined,
        status: 0,
      };
      requests.push(rec);
      await readAll(req);
      const send = (status: number, body: string, type = 'text/plain') => {
        rec.status = status;
        res.writeHead(status, { 'content-type': type });
        res.end(body);
      };
      if (rec.url === '/latest/api/token') {
        if (rec.method !== 'PUT') return send(405, '');
        const ttl = Number(rec.ttl);
        if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return send(400, '');
        const t = crypto.randomBytes(24).toString('base64url');
        tokens.push(t);
        return send(200, t);
      }
      if (rec.method !== 'GET') return send(405, '');
      if (!rec.token || !tokens.includes(rec.token)) return send(401, '');
      if (rec.url === IMDS_CREDS) return send(200, opts.roleName);
      if (rec.url === IMDS_CREDS + opts.roleName) {
        const c = credentialsJson(await opts.credentials());
        return send(200, JSON.stringify({ Code: 'Success', LastUpdated: new Date().toISOString(), Type: 'AWS-HMAC', ...c }), 'application/json');
      }
      send(404, '');
    })().catch(() => res.destroy());
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, requests, tokens, close: closer(server) };
}

// ------------------------------------------------------------------------------ SSO portal
export interface SsoPortalRequest {
  method: string;
  url: string;
  accountId?: string;
  roleName?: string;
  /** x-amz-sso_bearer_token sent with the request. Never print it. */
  bearer?: string;
  /** The JSON body of a POST /token (CreateToken). Never print it. */
  tokenRequest?: Record<string, unknown>;
  status: number;
}

export interface SsoPortalOptions {
  /** The access token the portal accepts (read at each request); anything else gets 401. */
  accessToken: () => string;
  /** account id -> role names the token may use; other pairs get 403 ForbiddenException. */
  roles: Record<string, string[]>;
  credentials: () => StsCredentials | Promise<StsCredentials>;
  /**
   * SSO OIDC CreateToken (POST /token, grantType refresh_token) on the same port, for
   * AWS_ENDPOINT_URL_SSO_OIDC: with the registered client and the current refresh token it answers
   * what `issue` returns; anything else gets 400 InvalidGrantException / InvalidClientException.
   */
  oidc?: {
    clientId: string;
    clientSecret: string;
    refreshToken: () => string;
    issue: () => { accessToken: string; expiresIn: number; refreshToken?: string };
  };
}

export interface SsoPortal {
  /** Base URL for AWS_ENDPOINT_URL_SSO. */
  url: string;
  requests: SsoPortalRequest[];
  close(): Promise<void>;
}

/**
 * The IAM Identity Center portal's GetRoleCredentials on 127.0.0.1: GET /federation/credentials?
 * account_id=&role_name= with the cached access token in x-amz-sso_bearer_token; answers
 * {"roleCredentials": {accessKeyId, secretAccessKey, sessionToken, expiration (epoch ms)}}, or the
 * portal's errors (401 UnauthorizedException, 403 ForbiddenException) with x-amzn-ErrorType.
 */
export async function startSsoPortal(opts: SsoPortalOptions): Promise<SsoPortal> {
  const requests: SsoPortalRequest[] = [];
  const server = http.createServer((req, res) => {
    void (async () => {
      const raw = await readAll(req);
      const u = new URL(req.url ?? '/', 'http://portal.invalid');
      const bearer = req.headers['x-amz-sso_bearer_token'];
      const rec: SsoPortalRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        accountId: u.searchParams.get('account_id') ?? undefined,
        roleName: u.searchParams.get('role_name') ?? undefined,
        bearer: typeof bearer === 'string' ? bearer : undefined,
        status: 0,
      };
      requests.push(rec);
      const send = (status: number, body: unknown, errorType?: string) => {
        rec.status = status;
        res.writeHead(status, { 'content-type': 'application/json', ...(errorType ? { 'x-amzn-errortype': `${errorType}:http://internal.amazon.com/coral/com.amazonaws.switchboard.portal/` } : {}) });
        res.end(JSON.stringify(body));
      };
      if (rec.method === 'POST' && u.pathname === '/token' && opts.oidc) {
        const o = opts.oidc;
        let b: Record<string, unknown> = {};
        try {
          b = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
        } catch {
          return send(400, { error: 'invalid_request', error_description: 'not JSON' }, 'InvalidRequestException');
        }
        rec.tokenRequest = b;
        if (b.clientId !== o.clientId || b.clientSecret !== o.clientSecret) return send(401, { error: 'invalid_client', error_description: 'Invalid client' }, 'InvalidClientException');
        if (b.grantType !== 'refresh_token' || b.refreshToken !== o.refreshToken()) return send(400, { error: 'invalid_grant', error_description: 'Invalid refresh token provided' }, 'InvalidGrantException');
        const t = o.issue();
        return send(200, { accessToken: t.accessToken, expiresIn: t.expiresIn, tokenType: 'Bearer', ...(t.refreshToken ? { refreshToken: t.refreshToken } : {}) });
      }
      if (rec.method !== 'GET' || u.pathname !== '/federation/credentials') return send(404, { message: 'no such operation' }, 'ResourceNotFoundException');
      if (!rec.bearer || rec.bearer !== opts.accessToken()) return send(401, { message: 'Session token not found or invalid' }, 'UnauthorizedException');
      if (!rec.accountId || !rec.roleName || !opts.roles[rec.accountId]?.includes(rec.roleName)) return send(403, { message: 'No access' }, 'ForbiddenException');
      const c = await opts.credentials();
      send(200, {
        roleCredentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: new Date(c.Expiration).getTime() },
      });
    })().catch(() => res.destroy());
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, requests, close: closer(server) };
}

// ------------------------------------------------------------------------------ loopback guard for child processes
/** What the guard (test/support/loopback-guard.mjs) prints when it blocks a connection. Not imported
 * from there: importing that module installs the guard in this process. */
export const GUARD_MARK = 'S3K-TEST-GUARD';

/**
 * Env for a child node process (s3k) that preloads test/support/loopback-guard.mjs: every
 * non-loopback connection is refused before DNS or a packet leaves, and reported on stderr.
 * (cleanEnv in lab.ts already adds it to every s3k the tests start.)
 */
export function loopbackGuardEnv(): Record<string, string> {
  return { NODE_OPTIONS: `--import=${path.join(path.dirname(fileURLToPath(import.meta.url)), 'loopback-guard.mjs')}` };
}

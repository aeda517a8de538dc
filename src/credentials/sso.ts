// SSO (IAM Identity Center): trade the access token that `aws sso login` caches in
// ~/.aws/sso/cache/<sha1>.json (sha1 of the sso_session name, or of sso_start_url for a legacy
// profile) for role credentials with the portal's GetRoleCredentials (GET /federation/credentials,
// the token in x-amz-sso_bearer_token), as the AWS CLI does. The portal is
// https://portal.sso.<sso_region>.amazonaws.com unless AWS_ENDPOINT_URL_SSO (or AWS_ENDPOINT_URL)
// names another. The cache file is read on every fetch, so a new `aws sso login` is picked up; s3k
// never writes it and does not refresh the token itself: an expired token means `aws sso login`.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { HttpResponse } from '../net/http.ts';
import { ENV_ENDPOINT_URL, ENV_ENDPOINT_URL_SSO, envValue } from './env.ts';
import { refreshingProvider, type ProviderOptions } from './refresh.ts';
import { callEndpoint, endpointFailure, oneLine, safeUrl, type RetrySettings } from './transport.ts';
import { CredentialsError, type CredentialProvider, type Credentials, type CredentialSource } from './types.ts';

export const SSO_TIMEOUT_MS = 10_000;
export const SSO_RETRY: RetrySettings = { maxRetries: 3, baseMs: 100, capMs: 2_000 };

export interface SsoConfig {
  /** The profile (messages: `aws sso login --profile <profile>`). */
  profile: string;
  /** sso_session name; undefined for a legacy profile (sso_start_url in the profile). */
  session?: string;
  startUrl: string;
  /** sso_region: where the portal is. */
  region: string;
  accountId: string;
  roleName: string;
  /** The token cache file (ssoTokenCacheFile). */
  cacheFile: string;
  /** Portal base URL (resolveSsoEndpoint). */
  endpoint: string;
}

/** ~/.aws/sso/cache/<sha1 hex of the sso_session name, or of the start URL for legacy profiles>.json */
export function ssoTokenCacheFile(home: string, sessionOrStartUrl: string): string {
  return path.join(home, '.aws', 'sso', 'cache', `${createHash('sha1').update(sessionOrStartUrl, 'utf8').digest('hex')}.json`);
}

/** AWS_ENDPOINT_URL_SSO, else AWS_ENDPOINT_URL, else https://portal.sso.<region>.amazonaws.com(.cn). */
export function resolveSsoEndpoint(env: NodeJS.ProcessEnv, region: string): string {
  const name = envValue(env, ENV_ENDPOINT_URL_SSO) ? ENV_ENDPOINT_URL_SSO : envValue(env, ENV_ENDPOINT_URL) ? ENV_ENDPOINT_URL : undefined;
  if (name) {
    const v = env[name]!;
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      throw new CredentialsError(`${name} "${v}" is not a URL; set it like https://portal.sso.us-east-1.amazonaws.com`, 78);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new CredentialsError(`${name} "${safeUrl(u)}" must be an http:// or https:// URL`, 78);
    return u.toString();
  }
  if (!/^[a-z0-9-]+$/.test(region)) throw new CredentialsError(`sso_region "${oneLine(region, [], 60)}" is not a region name such as us-east-1`, 78);
  return `https://portal.sso.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}/`;
}

/** `aws sso login --profile X` (or --sso-session S): what gets a new token. */
function loginHint(cfg: SsoConfig): string {
  return `run aws sso login --profile ${cfg.profile}`;
}

/** expiresAt as the CLI writes it: ISO 8601, older versions with a "UTC" suffix instead of "Z". */
function parseExpiresAt(v: unknown): Date | undefined {
  if (typeof v !== 'string') return undefined;
  const d = new Date(v.replace(/UTC$/, 'Z'));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

interface CachedToken {
  accessToken: string;
  expiresAt: Date;
}

/** Read the cached token. Throws one line naming the file and `aws sso login`. */
export async function readSsoToken(cfg: SsoConfig, nowMs: number): Promise<CachedToken> {
  const of = `profile "${cfg.profile}"${cfg.session ? ` (sso_session ${cfg.session})` : ''}`;
  let raw: string;
  try {
    raw = await readFile(cfg.cacheFile, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new CredentialsError(`no SSO token is cached for ${of}: ${cfg.cacheFile} does not exist; ${loginHint(cfg)}`, 78);
    throw new CredentialsError(`the SSO token cache ${cfg.cacheFile} for ${of} cannot be read (${code}); fix its permissions or ${loginHint(cfg)}`, 78);
  }
  let j: Record<string, unknown> | undefined;
  try {
    const v = JSON.parse(raw) as unknown;
    j = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    j = undefined;
  }
  const accessToken = typeof j?.accessToken === 'string' && j.accessToken ? j.accessToken : undefined;
  const expiresAt = parseExpiresAt(j?.expiresAt);
  if (!accessToken || !expiresAt)
    throw new CredentialsError(`the SSO token cache ${cfg.cacheFile} for ${of} holds no accessToken and expiresAt; ${loginHint(cfg)}`, 78);
  if (expiresAt.getTime() <= nowMs)
    throw new CredentialsError(`the SSO token for ${of} expired at ${expiresAt.toISOString()}; ${loginHint(cfg)}`);
  return { accessToken, expiresAt };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** "UnauthorizedException" from x-amzn-errortype ("UnauthorizedException:http://…") or the body's __type. */
function errorType(header: string | string[] | undefined, body: Record<string, unknown> | undefined): string | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  const t = h ?? (typeof body?.__type === 'string' ? body.__type : undefined);
  return t?.split(':')[0]?.split('#').pop() || undefined;
}

/** The error type and message of an AWS JSON error answer (x-amzn-errortype or __type; message or Message). */
function awsJsonError(r: HttpResponse): { code?: string; message?: string } {
  const j = parseJson(r.body.toString('utf8'));
  const msg = typeof j?.message === 'string' ? j.message : typeof j?.Message === 'string' ? j.Message : undefined;
  return { code: errorType(r.headers['x-amzn-errortype'], j), message: msg };
}

export interface SsoResult {
  credentials: Credentials;
  tokenExpiresAt: Date;
}

/** One GetRoleCredentials with the cached token (with retries), no caching. */
export async function fetchSsoCredentials(cfg: SsoConfig, opts: ProviderOptions = {}): Promise<SsoResult> {
  const now = opts.now ?? Date.now;
  const debug = opts.debug ?? (() => {});
  const token = await readSsoToken(cfg, now());
  const url = new URL('federation/credentials', cfg.endpoint.endsWith('/') ? cfg.endpoint : `${cfg.endpoint}/`);
  url.searchParams.set('account_id', cfg.accountId);
  url.searchParams.set('role_name', cfg.roleName);
  const endpoint = safeUrl(cfg.endpoint);
  const secrets = [token.accessToken];
  const retry = { ...SSO_RETRY, ...opts.retry };
  const counter = { attempts: 0 };
  debug(`credentials: sso: GetRoleCredentials account ${cfg.accountId} role ${cfg.roleName} at ${endpoint}`);
  let res;
  try {
    res = await callEndpoint({
      name: 'sso',
      retry,
      request: () => ({
        method: 'GET',
        url,
        headers: { 'x-amz-sso_bearer_token': token.accessToken, accept: 'application/json' },
        connectTimeoutMs: SSO_TIMEOUT_MS,
        totalTimeoutMs: SSO_TIMEOUT_MS,
        tls: opts.tls,
      }),
      ok: (status) => status === 200,
      errorOf: awsJsonError,
      secrets: () => secrets,
      debug,
      counter,
    });
  } catch (e) {
    throw endpointFailure(e, counter.attempts, secrets, {
      tlsWhat: 'SSO portal',
      unreachable: (detail) => `cannot reach the SSO portal ${endpoint} (${detail}); check sso_region, or set ${ENV_ENDPOINT_URL_SSO} to a portal this host can reach`,
      refused: (he, tries) => {
        const what = `HTTP ${he.status}${he.code ? ` ${he.code}` : ''}${he.serviceMessage ? `: ${he.serviceMessage}` : ''}`;
        if (he.status === 401 || he.code === 'UnauthorizedException')
          return new CredentialsError(`the SSO portal no longer accepts the cached token of profile "${cfg.profile}" (${what}); ${loginHint(cfg)}`);
        if (he.status === 403 || he.status === 404 || he.code === 'ForbiddenException' || he.code === 'ResourceNotFoundException')
          return new CredentialsError(
            `the SSO portal refused role ${cfg.roleName} in account ${cfg.accountId} for profile "${cfg.profile}" (${what}); check sso_account_id and sso_role_name (aws sso list-account-roles lists what the login may use)`,
          );
        return new CredentialsError(`GetRoleCredentials at the SSO portal ${endpoint} failed: ${what}${tries}`);
      },
      failed: (detail) => `GetRoleCredentials at the SSO portal ${endpoint} failed: ${detail}`,
    });
  }
  const rc = parseJson(res.body.toString('utf8'))?.roleCredentials as Record<string, unknown> | undefined;
  const ak = rc?.accessKeyId;
  const sk = rc?.secretAccessKey;
  if (typeof ak !== 'string' || typeof sk !== 'string' || !ak || !sk)
    throw new CredentialsError(`the SSO portal ${endpoint} answered HTTP 200 without roleCredentials (accessKeyId, secretAccessKey); check ${ENV_ENDPOINT_URL_SSO}`);
  const st = typeof rc?.sessionToken === 'string' && rc.sessionToken ? rc.sessionToken : undefined;
  const exp = typeof rc?.expiration === 'number' ? new Date(rc.expiration) : undefined;
  return {
    credentials: { accessKeyId: ak, secretAccessKey: sk, sessionToken: st, expiration: exp && !Number.isNaN(exp.getTime()) ? exp : undefined },
    tokenExpiresAt: token.expiresAt,
  };
}

/** A cached, refreshing provider for one SSO profile. */
export function ssoProvider(cfg: SsoConfig, opts: ProviderOptions = {}): CredentialProvider {
  let last: SsoResult | undefined;
  const source = (): CredentialSource => ({
    name: 'sso',
    details: {
      profile: cfg.profile,
      ssoSession: cfg.session,
      startUrl: cfg.startUrl,
      accountId: cfg.accountId,
      roleName: cfg.roleName,
      portal: safeUrl(cfg.endpoint),
      tokenCache: cfg.cacheFile,
      tokenExpires: last?.tokenExpiresAt.toISOString(),
    },
  });
  const fetch = async () => {
    last = await fetchSsoCredentials(cfg, opts);
    return last.credentials;
  };
  return refreshingProvider('sso', fetch, source, { ...opts.refresh, now: opts.refresh?.now ?? opts.now, debug: opts.refresh?.debug ?? opts.debug });
}

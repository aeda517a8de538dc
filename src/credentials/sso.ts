// SSO (IAM Identity Center): trade the access token that `aws sso login` caches in
// ~/.aws/sso/cache/<sha1>.json (sha1 of the sso_session name, or of sso_start_url for a legacy
// profile) for role credentials with the portal's GetRoleCredentials (GET /federation/credentials,
// the token in x-amz-sso_bearer_token), as the AWS CLI does. The portal is
// https://portal.sso.<sso_region>.amazonaws.com unless AWS_ENDPOINT_URL_SSO (or AWS_ENDPOINT_URL)
// names another. The cache file is read on every fetch, so a new `aws sso login` is picked up.
// Refresh, as the SDKs do for sso-session profiles: a token that has expired or expires within 5
// minutes, cached with refreshToken, clientId and clientSecret (and a client registration that has
// not expired), is renewed with the SSO OIDC CreateToken (POST https://oidc.<sso_region>.amazonaws.com
// /token, grantType refresh_token; AWS_ENDPOINT_URL_SSO_OIDC, else AWS_ENDPOINT_URL, names another)
// and written back to the cache file (mode 0600, atomically). A failed refresh of a token that is still
// valid keeps it; of an expired one, it is one line saying to run `aws sso login`. Legacy profiles
// (sso_start_url in the profile) are not refreshed, as in the SDKs.
import { createHash } from 'node:crypto';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HttpResponse } from '../net/http.ts';
import { ENV_ENDPOINT_URL, ENV_ENDPOINT_URL_SSO, ENV_ENDPOINT_URL_SSO_OIDC, envValue } from './env.ts';
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
  /** SSO OIDC base URL (resolveSsoOidcEndpoint), for refreshing the token; unset: no refresh. */
  oidcEndpoint?: string;
}

/** ~/.aws/sso/cache/<sha1 hex of the sso_session name, or of the start URL for legacy profiles>.json */
export function ssoTokenCacheFile(home: string, sessionOrStartUrl: string): string {
  return path.join(home, '.aws', 'sso', 'cache', `${createHash('sha1').update(sessionOrStartUrl, 'utf8').digest('hex')}.json`);
}

/** AWS_ENDPOINT_URL_SSO, else AWS_ENDPOINT_URL, else https://portal.sso.<region>.amazonaws.com(.cn). */
export function resolveSsoEndpoint(env: NodeJS.ProcessEnv, region: string): string {
  return resolveEndpoint(env, ENV_ENDPOINT_URL_SSO, region, 'portal.sso');
}

/** AWS_ENDPOINT_URL_SSO_OIDC, else AWS_ENDPOINT_URL, else https://oidc.<region>.amazonaws.com(.cn). */
export function resolveSsoOidcEndpoint(env: NodeJS.ProcessEnv, region: string): string {
  return resolveEndpoint(env, ENV_ENDPOINT_URL_SSO_OIDC, region, 'oidc');
}

function resolveEndpoint(env: NodeJS.ProcessEnv, specific: string, region: string, host: string): string {
  const name = envValue(env, specific) ? specific : envValue(env, ENV_ENDPOINT_URL) ? ENV_ENDPOINT_URL : undefined;
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
  return `https://${host}.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}/`;
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
  /** The whole cache entry (refreshToken, clientId, ... are kept when it is written back). */
  entry: Record<string, unknown>;
}

/** Refresh a token this close to its expiry (the SDKs' window). */
export const SSO_REFRESH_WINDOW_MS = 5 * 60_000;

function ofProfile(cfg: SsoConfig): string {
  return `profile "${cfg.profile}"${cfg.session ? ` (sso_session ${cfg.session})` : ''}`;
}

/** Read the cached token (expired or not). Throws one line naming the file and `aws sso login`. */
export async function readSsoCache(cfg: SsoConfig): Promise<CachedToken> {
  const of = ofProfile(cfg);
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
  return { accessToken, expiresAt, entry: j! };
}

/** The cached token, refreshed first when it is (nearly) expired and the cache allows it. */
export async function readSsoToken(cfg: SsoConfig, nowMs: number, opts: ProviderOptions = {}): Promise<CachedToken> {
  const t = await readSsoCache(cfg);
  const expired = t.expiresAt.getTime() <= nowMs;
  if (t.expiresAt.getTime() - SSO_REFRESH_WINDOW_MS > nowMs) return t;
  const why = refreshable(cfg, t.entry, nowMs);
  if (why === undefined) {
    try {
      return await refreshSsoToken(cfg, t, nowMs, opts);
    } catch (e) {
      if (!expired) {
        (opts.debug ?? (() => {}))(`credentials: sso: refresh failed, the cached token is still valid: ${e instanceof Error ? e.message : String(e)}`);
        return t;
      }
      throw e;
    }
  }
  if (!expired) return t;
  throw new CredentialsError(`the SSO token for ${ofProfile(cfg)} expired at ${t.expiresAt.toISOString()}${why ? ` (${why})` : ''}; ${loginHint(cfg)}`);
}

/** Why the cached token cannot be refreshed ('' when that is simply not configured), or undefined when it can. */
function refreshable(cfg: SsoConfig, j: Record<string, unknown>, nowMs: number): string | undefined {
  if (!cfg.session || !cfg.oidcEndpoint) return '';
  for (const k of ['refreshToken', 'clientId', 'clientSecret']) if (typeof j[k] !== 'string' || !j[k]) return '';
  const reg = parseExpiresAt(j.registrationExpiresAt);
  if (reg && reg.getTime() <= nowMs) return `it cannot be refreshed: the client registration expired at ${reg.toISOString()}`;
  return undefined;
}

/** CreateToken with the refresh token, then the new token written back to the cache file. */
async function refreshSsoToken(cfg: SsoConfig, t: CachedToken, nowMs: number, opts: ProviderOptions): Promise<CachedToken> {
  const debug = opts.debug ?? (() => {});
  const j = t.entry;
  const [refreshToken, clientId, clientSecret] = [j.refreshToken, j.clientId, j.clientSecret] as string[];
  const base = cfg.oidcEndpoint!;
  const url = new URL('token', base.endsWith('/') ? base : `${base}/`);
  const endpoint = safeUrl(base);
  const secrets = [refreshToken, clientSecret, t.accessToken];
  const body = JSON.stringify({ clientId, clientSecret, grantType: 'refresh_token', refreshToken });
  const retry = { ...SSO_RETRY, ...opts.retry };
  debug(`credentials: sso: the cached token expires at ${t.expiresAt.toISOString()}; refreshing it with CreateToken at ${endpoint}`);
  const res = await callEndpoint({
    name: 'sso-oidc',
    retry,
    request: () => ({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(body) },
      body,
      connectTimeoutMs: SSO_TIMEOUT_MS,
      totalTimeoutMs: SSO_TIMEOUT_MS,
      tls: opts.tls,
    }),
    ok: (status) => status === 200,
    errorOf: (r) => {
      const e = awsJsonError(r);
      const jj = parseJson(r.body.toString('utf8'));
      // OAuth-style answers: {"error": "invalid_grant", "error_description": "..."}
      return { code: e.code ?? (typeof jj?.error === 'string' ? jj.error : undefined), message: e.message ?? (typeof jj?.error_description === 'string' ? jj.error_description : undefined) };
    },
    secrets: () => secrets,
    debug,
    fail: (e, attempts) => endpointFailure(e, attempts, secrets, {
      tlsWhat: 'SSO OIDC endpoint',
      unreachable: (detail) =>
        `the SSO token for ${ofProfile(cfg)} expired at ${t.expiresAt.toISOString()} and cannot be refreshed: the SSO OIDC endpoint ${endpoint} is unreachable (${detail}); ${loginHint(cfg)}, or set ${ENV_ENDPOINT_URL_SSO_OIDC} to an endpoint this host can reach`,
      refused: (he, tries) =>
        new CredentialsError(
          `the SSO token for ${ofProfile(cfg)} expired at ${t.expiresAt.toISOString()} and the SSO OIDC endpoint ${endpoint} refused to refresh it (HTTP ${he.status}${he.code ? ` ${he.code}` : ''}${he.serviceMessage ? `: ${he.serviceMessage}` : ''}${tries}); ${loginHint(cfg)}`,
        ),
      failed: (detail) => `refreshing the SSO token for ${ofProfile(cfg)} at ${endpoint} failed: ${detail}; ${loginHint(cfg)}`,
    }),
  });
  const r = parseJson(res.body.toString('utf8'));
  const accessToken = typeof r?.accessToken === 'string' && r.accessToken ? r.accessToken : undefined;
  const expiresIn = typeof r?.expiresIn === 'number' && r.expiresIn > 0 ? r.expiresIn : undefined;
  if (!accessToken || !expiresIn)
    throw new CredentialsError(`the SSO OIDC endpoint ${endpoint} answered CreateToken without accessToken and expiresIn; ${loginHint(cfg)}`);
  secrets.push(accessToken);
  const expiresAt = new Date(nowMs + expiresIn * 1000);
  const entry: Record<string, unknown> = {
    ...j,
    accessToken,
    expiresAt: expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...(typeof r?.refreshToken === 'string' && r.refreshToken ? { refreshToken: r.refreshToken } : {}),
  };
  await writeCacheAtomically(cfg.cacheFile, entry);
  debug(`credentials: sso: token refreshed, valid until ${expiresAt.toISOString()}; written to ${cfg.cacheFile}`);
  return { accessToken, expiresAt, entry };
}

/** Write the cache entry to a temporary file beside it (mode 0600) and rename it into place. */
async function writeCacheAtomically(file: string, entry: Record<string, unknown>): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await writeFile(tmp, `${JSON.stringify(entry, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new CredentialsError(`the refreshed SSO token cannot be written to ${file} (${code}); fix the permissions of ${path.dirname(file)} or run aws sso login`);
  }
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
  const token = await readSsoToken(cfg, now(), opts);
  const url = new URL('federation/credentials', cfg.endpoint.endsWith('/') ? cfg.endpoint : `${cfg.endpoint}/`);
  url.searchParams.set('account_id', cfg.accountId);
  url.searchParams.set('role_name', cfg.roleName);
  const endpoint = safeUrl(cfg.endpoint);
  const secrets = [token.accessToken];
  const retry = { ...SSO_RETRY, ...opts.retry };
  debug(`credentials: sso: GetRoleCredentials account ${cfg.accountId} role ${cfg.roleName} at ${endpoint}`);
  const res = await callEndpoint({
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
    fail: (e, attempts) => endpointFailure(e, attempts, secrets, {
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
    }),
  });
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

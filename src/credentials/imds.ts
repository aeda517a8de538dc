// EC2 instance metadata, IMDSv2 only: PUT a session token, GET the role name, GET the role's
// credentials. Short timeouts so a laptop (no IMDS) fails fast. No IMDSv1 fallback.
import { NetworkError } from '../net/http.ts';
import { ENV_EC2_METADATA_DISABLED, ENV_EC2_METADATA_SERVICE_ENDPOINT, ENV_EC2_METADATA_SERVICE_ENDPOINT_MODE, envValue } from './env.ts';
import { parseCredentialsJson } from './container.ts';
import { refreshingProvider, type ProviderOptions } from './refresh.ts';
import { callEndpoint, describeFailure, HttpStatusError, oneLine, safeUrl, type RetrySettings } from './transport.ts';
import { CredentialsError, type CredentialProvider, type Credentials, type CredentialSource } from './types.ts';

export const IMDS_ENDPOINT_IPV4 = 'http://169.254.169.254';
export const IMDS_ENDPOINT_IPV6 = 'http://[fd00:ec2::254]';
export const IMDS_TOKEN_TTL_SECONDS = 21_600;
export const IMDS_CONNECT_TIMEOUT_MS = 1_000;
export const IMDS_TOTAL_TIMEOUT_MS = 2_000;
/** One retry, only for 5xx/429 answers: an absent IMDS must fail fast. */
export const IMDS_RETRY: RetrySettings = { maxRetries: 1, baseMs: 100, capMs: 500 };
const CREDS_PATH = '/latest/meta-data/iam/security-credentials/';

export interface ImdsOptions extends ProviderOptions {
  connectTimeoutMs?: number;
  totalTimeoutMs?: number;
}

/** True when AWS_EC2_METADATA_DISABLED is "true" (any case). */
export function imdsDisabled(env: NodeJS.ProcessEnv): boolean {
  return envValue(env, ENV_EC2_METADATA_DISABLED)?.trim().toLowerCase() === 'true';
}

/** AWS_EC2_METADATA_SERVICE_ENDPOINT, else the IPv6 or IPv4 default. Throws (78) for a non-URL. */
export function imdsEndpoint(env: NodeJS.ProcessEnv): URL {
  const v = envValue(env, ENV_EC2_METADATA_SERVICE_ENDPOINT);
  const mode = envValue(env, ENV_EC2_METADATA_SERVICE_ENDPOINT_MODE)?.toLowerCase();
  const s = v ?? (mode === 'ipv6' ? IMDS_ENDPOINT_IPV6 : IMDS_ENDPOINT_IPV4);
  try {
    const u = new URL(s);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    return u;
  } catch {
    throw new CredentialsError(`${ENV_EC2_METADATA_SERVICE_ENDPOINT} "${s}" is not an http(s) URL; expected e.g. http://169.254.169.254`, 78);
  }
}

/** Why IMDS gave nothing. `unreachable` means no IMDS answered at all (normal off EC2). */
export class ImdsError extends CredentialsError {
  constructor(
    message: string,
    readonly unreachable: boolean,
  ) {
    super(message, 77);
    this.name = 'ImdsError';
  }
}

export interface ImdsResult {
  credentials: Credentials;
  roleName: string;
}

/** One IMDSv2 round (token, role name, credentials), no caching. */
export async function fetchImdsCredentials(base: URL, opts: ImdsOptions = {}): Promise<ImdsResult> {
  const retry = { ...IMDS_RETRY, ...opts.retry };
  const debug = opts.debug ?? (() => {});
  const endpoint = safeUrl(base).replace(/\/$/, '');
  const url = (path: string) => new URL(base.pathname.replace(/\/$/, '') + path, base);
  let secret: string | undefined;
  const call = async (method: string, path: string, headers: Record<string, string>) => {
    const r = await callEndpoint({
      name: `imds: ${method} ${path}`,
      retry,
      network: 'none',
      request: () => ({
        method,
        url: url(path),
        headers,
        connectTimeoutMs: opts.connectTimeoutMs ?? IMDS_CONNECT_TIMEOUT_MS,
        totalTimeoutMs: opts.totalTimeoutMs ?? IMDS_TOTAL_TIMEOUT_MS,
        tls: opts.tls,
        direct: true,
      }),
      ok: (status) => status === 200,
      secrets: () => [secret],
      debug,
    });
    return r.body.toString('utf8');
  };

  let step = 'PUT /latest/api/token';
  try {
    const token = (await call('PUT', '/latest/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': String(IMDS_TOKEN_TTL_SECONDS) })).trim();
    secret = token;
    if (!token) throw new ImdsError(`IMDSv2 at ${endpoint} returned an empty session token`, false);
    step = `GET ${CREDS_PATH}`;
    const list = await call('GET', CREDS_PATH, { 'x-aws-ec2-metadata-token': token });
    const roleName = list.split(/\r?\n/).map((s) => s.trim()).find(Boolean);
    if (!roleName) throw new ImdsError(`IMDSv2 at ${endpoint} lists no IAM role; attach an instance profile with a role to this instance`, false);
    step = `GET ${CREDS_PATH}<role>`;
    const body = await call('GET', CREDS_PATH + encodeURIComponent(roleName), { 'x-aws-ec2-metadata-token': token });
    const creds = parseCredentialsJson(body);
    let code: unknown;
    try {
      code = (JSON.parse(body) as { Code?: unknown }).Code;
    } catch {
      code = undefined;
    }
    if (typeof code === 'string' && code !== 'Success')
      throw new ImdsError(`IMDSv2 at ${endpoint} returned ${oneLine(code, [token], 60)} instead of credentials for role ${roleName}`, false);
    if (!creds) throw new ImdsError(`IMDSv2 at ${endpoint} returned no AccessKeyId/SecretAccessKey for role ${roleName}`, false);
    return { credentials: creds, roleName };
  } catch (e) {
    if (e instanceof CredentialsError) throw e;
    if (e instanceof NetworkError) {
      const hint =
        step.startsWith('PUT') && e.code === 'ETIMEDOUT'
          ? '; off EC2 this is expected; in a container on EC2 the instance needs HttpPutResponseHopLimit >= 2'
          : '';
      throw new ImdsError(`IMDSv2 at ${endpoint} unreachable (${step}: ${describeFailure(e)})${hint}`, true);
    }
    if (e instanceof HttpStatusError) {
      const hint =
        step.startsWith('PUT') && (e.status === 403 || e.status === 405 || e.status === 404)
          ? '; IMDSv2 session tokens are refused here (IMDS disabled, or only IMDSv1)'
          : step === `GET ${CREDS_PATH}` && e.status === 404
            ? '; no instance profile (IAM role) is attached to this instance'
            : '';
      throw new ImdsError(`IMDSv2 at ${endpoint} answered HTTP ${e.status} to ${step}${hint}`, false);
    }
    throw new ImdsError(`IMDSv2 at ${endpoint} failed at ${step}: ${oneLine(describeFailure(e), [secret])}`, false);
  }
}

/** A cached, refreshing IMDSv2 provider. */
export function imdsProvider(base: URL, opts: ImdsOptions = {}): CredentialProvider {
  let roleName: string | undefined;
  let expiration: Date | undefined;
  const source = (): CredentialSource => ({
    name: 'imds',
    details: { endpoint: safeUrl(base).replace(/\/$/, ''), roleName, expiration: expiration?.toISOString() },
  });
  const fetch = async () => {
    const r = await fetchImdsCredentials(base, opts);
    roleName = r.roleName;
    expiration = r.credentials.expiration;
    return r.credentials;
  };
  return refreshingProvider('imds', fetch, source, { ...opts.refresh, now: opts.refresh?.now ?? opts.now, debug: opts.refresh?.debug ?? opts.debug });
}

// Container credentials: ECS task roles and EKS Pod Identity. GET a local agent's URL (with an
// Authorization header on EKS) and read {AccessKeyId, SecretAccessKey, Token, Expiration}.
// Follows the SDKs (JS v3 credential-provider-http): relative URI wins over full URI, the token file is
// re-read on every request, http only to loopback and the ECS/EKS agent addresses.
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import {
  ENV_CONTAINER_AUTHORIZATION_TOKEN,
  ENV_CONTAINER_AUTHORIZATION_TOKEN_FILE,
  ENV_CONTAINER_CREDENTIALS_FULL_URI,
  ENV_CONTAINER_CREDENTIALS_RELATIVE_URI,
  envValue,
} from './env.ts';
import { refreshingProvider, type ProviderOptions } from './refresh.ts';
import { callEndpoint, endpointFailure, safeUrl, type RetrySettings } from './transport.ts';
import { CredentialsError, type CredentialProvider, type Credentials, type CredentialSource } from './types.ts';

export const ECS_CONTAINER_HOST = 'http://169.254.170.2';
export const CONTAINER_TIMEOUT_MS = 2_000;
export const CONTAINER_RETRY: RetrySettings = { maxRetries: 3, baseMs: 100, capMs: 1_000 };

/** Hosts allowed over plain http besides 127.0.0.0/8: ECS agent, EKS Pod Identity agent (IPv4, IPv6). */
const HTTP_HOSTS = new Set(['localhost', '169.254.170.2', '169.254.170.23', 'fd00:ec2::23', '::1']);

export interface ContainerConfig {
  url: URL;
  /** Which variable the URL came from (for messages). */
  urlSetting: string;
  /** Fixed Authorization value (AWS_CONTAINER_AUTHORIZATION_TOKEN). */
  authToken?: string;
  /** File holding the Authorization value, re-read on every request. */
  authTokenFile?: string;
}

export interface ContainerOptions extends ProviderOptions {
  timeoutMs?: number;
}

/** May credentials be fetched from this URL? https anywhere; http only to loopback and the agents. */
export function isAllowedContainerUrl(url: URL): boolean {
  if (url.protocol === 'https:') return true;
  if (url.protocol !== 'http:') return false;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (HTTP_HOSTS.has(host)) return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * The container configuration in the environment, or undefined when neither URI variable is set.
 * Throws (78) for a URL that is not allowed or not a URL.
 */
export function containerConfigFromEnv(env: NodeJS.ProcessEnv): ContainerConfig | undefined {
  const relative = envValue(env, ENV_CONTAINER_CREDENTIALS_RELATIVE_URI);
  const full = envValue(env, ENV_CONTAINER_CREDENTIALS_FULL_URI);
  if (!relative && !full) return undefined;
  const urlSetting = relative ? ENV_CONTAINER_CREDENTIALS_RELATIVE_URI : ENV_CONTAINER_CREDENTIALS_FULL_URI;
  let url: URL;
  try {
    url = relative ? new URL(relative.startsWith('/') ? relative : `/${relative}`, ECS_CONTAINER_HOST) : new URL(full!);
  } catch {
    throw new CredentialsError(`${urlSetting} is not a valid URL; expected e.g. http://169.254.170.23/v1/credentials`, 78);
  }
  if (!isAllowedContainerUrl(url))
    throw new CredentialsError(
      `${urlSetting} ${safeUrl(url)} is not allowed: container credentials are fetched over https from any host, or over http only from loopback (127.0.0.0/8, ::1, localhost), 169.254.170.2 (ECS) or 169.254.170.23 / fd00:ec2::23 (EKS Pod Identity); use one of those or https`,
      78,
    );
  return {
    url,
    urlSetting,
    authToken: envValue(env, ENV_CONTAINER_AUTHORIZATION_TOKEN),
    authTokenFile: envValue(env, ENV_CONTAINER_AUTHORIZATION_TOKEN_FILE),
  };
}

async function authorization(cfg: ContainerConfig): Promise<string | undefined> {
  if (cfg.authToken) return cfg.authToken.trim();
  if (!cfg.authTokenFile) return undefined;
  let raw: string;
  try {
    raw = await readFile(cfg.authTokenFile, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    const hint =
      code === 'EACCES' || code === 'EPERM'
        ? 'a container that runs as non-root needs securityContext.fsGroup so it can read the projected token'
        : 'check the projected eks-pod-identity-token volume (EKS adds it when a Pod Identity association exists for the service account; recreate pods created before the association)';
    throw new CredentialsError(`container authorization token file ${cfg.authTokenFile} (${ENV_CONTAINER_AUTHORIZATION_TOKEN_FILE}) cannot be read (${code}); ${hint}`);
  }
  const token = raw.trim();
  if (!token)
    throw new CredentialsError(`container authorization token file ${cfg.authTokenFile} (${ENV_CONTAINER_AUTHORIZATION_TOKEN_FILE}) is empty; check the projected eks-pod-identity-token volume`);
  return token;
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Parse {AccessKeyId, SecretAccessKey, Token, Expiration}; undefined when the keys are missing. */
export function parseCredentialsJson(text: string): Credentials | undefined {
  const j = parseJson(text);
  if (!j) return undefined;
  const ak = j.AccessKeyId;
  const sk = j.SecretAccessKey;
  if (typeof ak !== 'string' || typeof sk !== 'string' || !ak || !sk) return undefined;
  const token = typeof j.Token === 'string' && j.Token ? j.Token : undefined;
  const exp = typeof j.Expiration === 'string' ? new Date(j.Expiration) : undefined;
  return { accessKeyId: ak, secretAccessKey: sk, sessionToken: token, expiration: exp && !Number.isNaN(exp.getTime()) ? exp : undefined };
}

/** One fetch from the container endpoint (with retries), no caching. */
export async function fetchContainerCredentials(cfg: ContainerConfig, opts: ContainerOptions = {}): Promise<Credentials> {
  const endpoint = cfg.urlSetting === ENV_CONTAINER_CREDENTIALS_RELATIVE_URI ? `${ECS_CONTAINER_HOST} + ${ENV_CONTAINER_CREDENTIALS_RELATIVE_URI}` : safeUrl(cfg.url);
  if (!isAllowedContainerUrl(cfg.url)) throw new CredentialsError(`${cfg.urlSetting} ${endpoint} is not an allowed container credentials endpoint`, 78);
  const retry = { ...CONTAINER_RETRY, ...opts.retry };
  const timeout = opts.timeoutMs ?? CONTAINER_TIMEOUT_MS;
  const debug = opts.debug ?? (() => {});
  let secrets: (string | undefined)[] = [cfg.authToken];
  const res = await callEndpoint({
    name: 'container',
    retry,
    request: async () => {
      const auth = await authorization(cfg);
      secrets = [auth];
      const headers: Record<string, string> = { accept: 'application/json' };
      if (auth) headers.authorization = auth;
      return { method: 'GET', url: cfg.url, headers, connectTimeoutMs: timeout, totalTimeoutMs: timeout, tls: opts.tls, direct: true };
    },
    ok: (status) => status === 200,
    errorOf: (r) => {
      const j = parseJson(r.body.toString('utf8'));
      return {
        code: typeof j?.Code === 'string' ? j.Code : undefined,
        message: typeof j?.Message === 'string' ? j.Message : typeof j?.message === 'string' ? j.message : undefined,
      };
    },
    secrets: () => secrets,
    debug,
    fail: (e, attempts, current) => endpointFailure(e, attempts, current, {
      tlsWhat: 'container credentials endpoint',
      unreachable: (detail) =>
        `cannot reach the container credentials endpoint ${endpoint} (${detail}); is the EKS Pod Identity Agent (DaemonSet eks-pod-identity-agent) or the ECS agent running on this node? With a proxy, add 169.254.170.23 and 169.254.170.2 to NO_PROXY`,
      refused: (he, tries) => {
        const what = `${he.code ?? ''}${he.code && he.serviceMessage ? ': ' : ''}${he.serviceMessage ?? ''}`;
        const hint =
          he.status === 401 || he.status === 403
            ? `; check the authorization token (${cfg.authToken ? ENV_CONTAINER_AUTHORIZATION_TOKEN : cfg.authTokenFile ? `${ENV_CONTAINER_AUTHORIZATION_TOKEN_FILE} ${cfg.authTokenFile}` : `neither ${ENV_CONTAINER_AUTHORIZATION_TOKEN} nor ${ENV_CONTAINER_AUTHORIZATION_TOKEN_FILE} is set`})`
            : he.status === 400 || he.status === 404
              ? '; check the Pod Identity association (namespace, service account, role) and that the role trusts pods.eks.amazonaws.com'
              : '';
        return new CredentialsError(`container credentials endpoint ${endpoint} answered HTTP ${he.status}${what ? ` (${what})` : ''}${tries}${hint}`);
      },
      failed: (detail) => `container credentials from ${endpoint} failed: ${detail}`,
    }),
  });
  const creds = parseCredentialsJson(res.body.toString('utf8'));
  if (!creds)
    throw new CredentialsError(
      `container credentials endpoint ${endpoint} answered HTTP 200 without AccessKeyId and SecretAccessKey in a JSON body; check ${cfg.urlSetting}`,
    );
  return creds;
}

/** A cached, refreshing provider for the container endpoint. */
export function containerProvider(cfg: ContainerConfig, opts: ContainerOptions = {}): CredentialProvider {
  let lastExpiration: Date | undefined;
  const source = (): CredentialSource => ({
    name: 'container',
    details: {
      endpoint: cfg.urlSetting === ENV_CONTAINER_CREDENTIALS_RELATIVE_URI ? `${ECS_CONTAINER_HOST} + ${ENV_CONTAINER_CREDENTIALS_RELATIVE_URI}` : safeUrl(cfg.url),
      authorization: cfg.authToken ? ENV_CONTAINER_AUTHORIZATION_TOKEN : cfg.authTokenFile ? 'token file' : 'none',
      tokenFile: cfg.authToken ? undefined : cfg.authTokenFile,
      expiration: lastExpiration?.toISOString(),
    },
  });
  const fetch = async () => {
    const c = await fetchContainerCredentials(cfg, opts);
    lastExpiration = c.expiration;
    return c;
  };
  return refreshingProvider('container', fetch, source, { ...opts.refresh, now: opts.refresh?.now ?? opts.now, debug: opts.refresh?.debug ?? opts.debug });
}

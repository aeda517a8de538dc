// Web identity (IRSA): trade the projected service account token for temporary credentials with an
// unsigned STS AssumeRoleWithWebIdentity call. The token file is re-read on every call because kubelet
// rotates it (at 80% of its lifetime, or once it is 24 h old), as the AWS SDKs' providers do.
import { NO_FLAGS, stsUrl, type EndpointFlags } from '../config/aws-endpoints.ts';
import { readFile } from 'node:fs/promises';
import { NetworkError } from '../net/http.ts';
import {
  ENV_ENDPOINT_URL,
  ENV_ENDPOINT_URL_STS,
  ENV_ROLE_ARN,
  ENV_ROLE_SESSION_NAME,
  ENV_S3K_ROLE_DURATION_SECONDS,
  ENV_STS_REGIONAL_ENDPOINTS,
  ENV_WEB_IDENTITY_TOKEN_FILE,
  envValue,
} from './env.ts';
import { audText, claimText, decodeJwtClaims, expDate, type JwtClaims } from './jwt.ts';
import { refreshingProvider, type ProviderOptions } from './refresh.ts';
import { parseAssumeRoleResponse, parseStsError } from './sts-xml.ts';
import {
  callEndpoint,
  describeFailure,
  HttpStatusError,
  isTransient,
  oneLine,
  safeUrl,
  endpointFailure,
  type RetrySettings,
} from './transport.ts';
import { CredentialsError, type CredentialProvider, type Credentials, type CredentialSource } from './types.ts';

export const STS_API_VERSION = '2011-06-15';

/**
 * The form body of an STS role call (AssumeRole, AssumeRoleWithWebIdentity): Action, Version,
 * RoleArn, RoleSessionName, then the given parameters in order, DurationSeconds last when set.
 * encodeURIComponent, not URLSearchParams: some STS servers (Ceph RGW 16) do not decode '+'.
 */
export function stsRoleForm(action: string, roleArn: string, sessionName: string, extra: [string, string | undefined][], durationSeconds?: number): string {
  const form: [string, string | undefined][] = [['Action', action], ['Version', STS_API_VERSION], ['RoleArn', roleArn], ['RoleSessionName', sessionName], ...extra];
  if (durationSeconds !== undefined) form.push(['DurationSeconds', String(durationSeconds)]);
  return form.filter((kv): kv is [string, string] => kv[1] !== undefined).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
}
export const STS_CONNECT_TIMEOUT_MS = 5_000;
export const STS_TOTAL_TIMEOUT_MS = 30_000;
export const STS_RETRY: RetrySettings = { maxRetries: 3, baseMs: 100, capMs: 2_000 };
/** STS accepts 900 s up to the role's maximum session duration (at most 12 h). */
export const MIN_ROLE_DURATION_SECONDS = 900;
export const MAX_ROLE_DURATION_SECONDS = 43_200;
/** The audience of the projected token the EKS pod identity webhook mounts for IRSA. */
export const IRSA_AUDIENCE = 'sts.amazonaws.com';

/** Where each setting came from, for messages: env variable names or profile keys. */
export interface SettingNames {
  roleArn: string;
  tokenFile: string;
  sessionName: string;
  durationSeconds: string;
}

export const ENV_SETTING_NAMES: SettingNames = {
  roleArn: ENV_ROLE_ARN,
  tokenFile: ENV_WEB_IDENTITY_TOKEN_FILE,
  sessionName: ENV_ROLE_SESSION_NAME,
  durationSeconds: ENV_S3K_ROLE_DURATION_SECONDS,
};

export interface WebIdentityConfig {
  roleArn: string;
  tokenFile: string;
  /** Default `s3k-<epoch ms>` at each call. */
  sessionName?: string;
  durationSeconds?: number;
  /** Full URL of the STS endpoint (see resolveStsEndpoint). */
  stsEndpoint: string;
  /** Default: the environment variable names. */
  names?: SettingNames;
  /** Extra facts for source().details, e.g. the profile name. */
  extraDetails?: Record<string, string>;
}

export interface WebIdentityOptions extends ProviderOptions {
  connectTimeoutMs?: number;
  totalTimeoutMs?: number;
}

/** `arn:<partition>:iam::<account digits or empty>:role/<optional path/>name`. */
const ROLE_ARN_RE = /^arn:[a-z][a-z0-9-]*:iam::\d*:role\/(?:[\x21-\x7e]*\/)?[\w+=,.@-]{1,128}$/;
const SESSION_NAME_RE = /^[\w+=,.@-]{2,64}$/;

export function isValidRoleArn(arn: string): boolean {
  return ROLE_ARN_RE.test(arn);
}

/**
 * The STS endpoint: AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else AWS's endpoint for the region
 * in its partition (config/aws-endpoints.ts: https://sts.<region>.amazonaws.com, .amazonaws.com.cn in
 * China, FIPS / dual-stack when `flags` say so; the global https://sts.amazonaws.com when
 * AWS_STS_REGIONAL_ENDPOINTS=legacy names it for the region, or when no region is known).
 */
export function resolveStsEndpoint(env: NodeJS.ProcessEnv, region: string | undefined, flags: EndpointFlags = NO_FLAGS): string {
  const explicit = envValue(env, ENV_ENDPOINT_URL_STS) ?? envValue(env, ENV_ENDPOINT_URL);
  const name = envValue(env, ENV_ENDPOINT_URL_STS) ? ENV_ENDPOINT_URL_STS : ENV_ENDPOINT_URL;
  if (explicit) {
    let u: URL;
    try {
      u = new URL(explicit);
    } catch {
      throw new CredentialsError(`${name} "${explicit}" is not a URL; set it like https://sts.us-east-1.amazonaws.com or http://127.0.0.1:7480`, 78);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new CredentialsError(`${name} "${safeUrl(u)}" must be an http:// or https:// URL`, 78);
    return u.toString();
  }
  const legacy = envValue(env, ENV_STS_REGIONAL_ENDPOINTS)?.toLowerCase() === 'legacy';
  try {
    return stsUrl(normalizeRegion(region), flags, legacy);
  } catch (e) {
    throw new CredentialsError((e as Error).message, 78);
  }
}

/** s3cmd's bucket_location "US"/"EU" and blanks mapped to real region names; junk dropped. */
export function normalizeRegion(region: string | undefined): string | undefined {
  const r = region?.trim();
  if (!r || r.toUpperCase() === 'US') return 'us-east-1';
  if (r.toUpperCase() === 'EU') return 'eu-west-1';
  return /^[a-z0-9-]+$/.test(r) ? r : undefined;
}

/** S3K_ROLE_DURATION_SECONDS (or a profile's duration_seconds), validated. */
export function parseDurationSeconds(value: string | undefined, setting: string): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value.trim());
  if (!Number.isInteger(n) || n < MIN_ROLE_DURATION_SECONDS || n > MAX_ROLE_DURATION_SECONDS)
    throw new CredentialsError(
      `${setting} "${value}" is not valid: expected whole seconds from ${MIN_ROLE_DURATION_SECONDS} to ${MAX_ROLE_DURATION_SECONDS} (and within the role's maximum session duration)`,
      78,
    );
  return n;
}

/** A token read from the file, with its decoded claims. */
export interface WebIdentityToken {
  token: string;
  claims: JwtClaims;
}

/** Read, trim and check the token file. Every failure names the path and what to check. */
export async function readWebIdentityToken(file: string, nowMs: number, names: SettingNames = ENV_SETTING_NAMES): Promise<WebIdentityToken> {
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new CredentialsError(
        `web identity token file ${file} (${names.tokenFile}) does not exist; check that the projected service account token volume is mounted at that path (the EKS pod identity webhook adds it when the service account has the eks.amazonaws.com/role-arn annotation; pods created before the annotation must be recreated)`,
      );
    if (code === 'EACCES' || code === 'EPERM')
      throw new CredentialsError(
        `web identity token file ${file} (${names.tokenFile}) cannot be read (${code}: permission denied); a container that runs as non-root needs securityContext.fsGroup so it can read the projected token`,
      );
    if (code === 'EISDIR')
      throw new CredentialsError(`web identity token file ${file} (${names.tokenFile}) is a directory; point ${names.tokenFile} at the token file inside the projected volume`);
    throw new CredentialsError(`web identity token file ${file} (${names.tokenFile}) cannot be read (${code}); check the path and the projected token volume`);
  }
  const token = raw.trim();
  if (!token)
    throw new CredentialsError(
      `web identity token file ${file} (${names.tokenFile}) is empty; check the projected service account token volume (serviceAccountToken with audience sts.amazonaws.com)`,
    );
  const claims = decodeJwtClaims(token);
  if (!claims)
    throw new CredentialsError(
      `web identity token file ${file} (${names.tokenFile}) does not hold a JWT (expected three base64url parts, header.payload.signature); it must be a projected service account token`,
    );
  const exp = expDate(claims);
  if (exp && exp.getTime() <= nowMs)
    throw new CredentialsError(
      `web identity token in ${file} expired at ${exp.toISOString()} (${ago(nowMs - exp.getTime())} ago; sub ${claimText(claims.sub)}); kubelet should rotate the projected token long before that: check the projected volume (serviceAccountToken expirationSeconds), that the kubelet is healthy, and that ${names.tokenFile} points at the projected file and not at a copy`,
    );
  return { token, claims };
}

/** "12 s", "15 min", "3 h". */
export function ago(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

/** The facts about a token that are safe to print. */
export function tokenFacts(claims: JwtClaims | undefined): Record<string, string | undefined> {
  return {
    iss: claims?.iss !== undefined ? String(claims.iss) : undefined,
    sub: claims?.sub !== undefined ? String(claims.sub) : undefined,
    aud: claims?.aud !== undefined ? audText(claims) : undefined,
    exp: expDate(claims)?.toISOString(),
  };
}

function issuerHost(iss: string | undefined): string {
  if (!iss) return '<issuer>';
  return iss.replace(/^https?:\/\//, '');
}

export interface AssumeResult {
  credentials: Credentials;
  claims: JwtClaims;
  sessionName: string;
  assumedRoleArn?: string;
}

/** One AssumeRoleWithWebIdentity exchange (with retries), no caching. */
export async function assumeRoleWithWebIdentity(cfg: WebIdentityConfig, opts: WebIdentityOptions = {}): Promise<AssumeResult> {
  const names = cfg.names ?? ENV_SETTING_NAMES;
  const now = opts.now ?? Date.now;
  const debug = opts.debug ?? (() => {});
  if (!isValidRoleArn(cfg.roleArn))
    throw new CredentialsError(
      `${names.roleArn} "${oneLine(cfg.roleArn, [], 200)}" is not a valid IAM role ARN: expected arn:<partition>:iam::<account-id>:role/<name>, e.g. arn:aws:iam::111122223333:role/s3-access; check the eks.amazonaws.com/role-arn annotation on the service account`,
    );
  const sessionName = cfg.sessionName ?? `s3k-${now()}`;
  if (!SESSION_NAME_RE.test(sessionName))
    throw new CredentialsError(
      `${names.sessionName} "${oneLine(sessionName, [], 100)}" is not a valid role session name: 2 to 64 characters from letters, digits and _+=,.@-`,
    );
  const { token, claims } = await readWebIdentityToken(cfg.tokenFile, now(), names);

  const url = new URL(cfg.stsEndpoint);
  const endpoint = safeUrl(url);
  const body = stsRoleForm('AssumeRoleWithWebIdentity', cfg.roleArn, sessionName, [['WebIdentityToken', token]], cfg.durationSeconds);
  const retry = { ...STS_RETRY, ...opts.retry };
  const secrets = [token];
  debug(`credentials: web-identity: AssumeRoleWithWebIdentity role ${cfg.roleArn} session ${sessionName} at ${endpoint} (token sub ${claimText(claims.sub)}, aud ${audText(claims)})`);

  const res = await callEndpoint({
    name: 'web-identity',
    retry,
    request: () => ({
      method: 'POST',
      url,
      headers: {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        accept: 'application/xml, text/xml',
        'content-length': Buffer.byteLength(body),
      },
      body,
      connectTimeoutMs: opts.connectTimeoutMs ?? STS_CONNECT_TIMEOUT_MS,
      totalTimeoutMs: opts.totalTimeoutMs ?? STS_TOTAL_TIMEOUT_MS,
      tls: opts.tls,
    }),
    errorOf: (r) => parseStsError(r.body.toString('utf8')),
    secrets: () => secrets,
    debug,
    fail: (e, attempts) => stsFailure(e, { cfg, names, claims, endpoint, attempts, secrets }),
  });
  const parsed = parseAssumeRoleResponse(res.body.toString('utf8'));
  if (!parsed)
    throw new CredentialsError(
      `STS at ${endpoint} answered HTTP ${res.status} to AssumeRoleWithWebIdentity but the body holds no credentials; check that ${ENV_ENDPOINT_URL_STS} (or ${ENV_ENDPOINT_URL}) points at an STS endpoint`,
    );
  return {
    credentials: {
      accessKeyId: parsed.accessKeyId,
      secretAccessKey: parsed.secretAccessKey,
      sessionToken: parsed.sessionToken,
      expiration: parsed.expiration,
    },
    claims,
    sessionName,
    assumedRoleArn: parsed.assumedRoleArn,
  };
}

interface FailureContext {
  cfg: WebIdentityConfig;
  names: SettingNames;
  claims: JwtClaims;
  endpoint: string;
  attempts: number;
  secrets: string[];
}

/**
 * A failed AssumeRoleWithWebIdentity exchange, with what STS answered (HTTP status and error code)
 * or the network failure, so a diagnosis can name the fix without parsing the message.
 */
export class StsCallError extends CredentialsError {
  constructor(
    message: string,
    readonly httpStatus?: number,
    readonly stsCode?: string,
    readonly networkCode?: string,
  ) {
    super(message);
    this.name = 'StsCallError';
  }
}

function stsFailure(e: unknown, c: FailureContext): CredentialsError {
  const f = stsFailureMessage(e, c);
  if (e instanceof HttpStatusError) return new StsCallError(f.message, e.status, e.code ?? (e.status === 403 ? 'AccessDenied' : undefined));
  if (e instanceof NetworkError) return new StsCallError(f.message, undefined, undefined, e.code);
  return f;
}

function stsFailureMessage(e: unknown, c: FailureContext): CredentialsError {
  const { endpoint } = c;
  return endpointFailure(e, c.attempts, c.secrets, {
    tlsWhat: 'STS endpoint',
    unreachable: (detail) =>
      `cannot reach STS endpoint ${endpoint} (${detail}); set ${ENV_ENDPOINT_URL_STS} to an STS endpoint the pod can reach, use the regional endpoint (${ENV_STS_REGIONAL_ENDPOINTS}=regional with AWS_REGION set), or allow egress to it (network policy, security group, VPC endpoint for STS)`,
    refused: (he, tries) => stsRefused(he, tries, c),
    failed: (detail) => `AssumeRoleWithWebIdentity at ${endpoint} failed: ${detail}`,
  });
}

/** What STS's error answer means for IRSA, in one line. */
function stsRefused(e: HttpStatusError, tries: string, c: FailureContext): CredentialsError {
  const { cfg, claims, endpoint } = c;
  const role = cfg.roleArn;
  const iss = claims.iss !== undefined ? String(claims.iss) : undefined;
  const msg = e.serviceMessage ? `: ${e.serviceMessage}` : '';
  const code = e.code ?? (e.status === 403 ? 'AccessDenied' : undefined);
  switch (code) {
    case 'AccessDenied':
    case 'AccessDeniedException': {
      const auds = Array.isArray(claims.aud) ? claims.aud.map(String) : claims.aud !== undefined ? [String(claims.aud)] : [];
      const audHint = auds.includes(IRSA_AUDIENCE)
        ? ''
        : `; the token's audience is not ${IRSA_AUDIENCE} (the audience EKS IRSA tokens carry): set serviceAccountToken.audience of the projected volume to ${IRSA_AUDIENCE}, or add "${audText(claims)}" to the OIDC provider's client IDs and the trust policy`;
      return new CredentialsError(
        `STS denied AssumeRoleWithWebIdentity for role ${role} (HTTP ${e.status} ${code}${msg}); the role's trust policy must allow exactly sub "${claimText(claims.sub)}" and aud "${audText(claims)}" (conditions ${issuerHost(iss)}:sub and ${issuerHost(iss)}:aud), and its Federated principal must be the IAM OIDC provider registered for issuer ${claimText(iss)} (the same answer comes for a role that does not exist, and from Ceph RGW also for a bad token signature or an unregistered issuer)${audHint}`,
      );
    }
    case 'InvalidIdentityToken':
      return new CredentialsError(
        `STS rejected the web identity token for role ${role} (InvalidIdentityToken${msg}); the token's issuer ${claimText(iss)} must be registered as an IAM OIDC provider in the role's account with audience (client ID) "${audText(claims)}"`,
      );
    case 'ExpiredTokenException':
    case 'ExpiredToken': {
      const exp = expDate(claims);
      return new CredentialsError(
        `STS says the web identity token from ${cfg.tokenFile} has expired (${code}${msg}; token exp ${exp ? exp.toISOString() : '(none)'}); kubelet should rotate the projected token: check the projected volume and the node's clock`,
      );
    }
    case 'IDPCommunicationError':
      return new CredentialsError(
        `STS could not reach the token's issuer ${claimText(iss)} to verify it (IDPCommunicationError${msg}${tries}); check that the issuer's /.well-known/openid-configuration is reachable from STS`,
      );
    case 'IDPRejectedClaim':
      return new CredentialsError(`the identity provider ${claimText(iss)} rejected the token for role ${role} (IDPRejectedClaim${msg})`);
    case 'ValidationError':
    case 'InvalidParameterValue':
    case 'InvalidParameterCombination':
    case 'MalformedPolicyDocument':
      return new CredentialsError(
        `STS rejected AssumeRoleWithWebIdentity for role ${role} (${code}${msg}); check ${c.names.roleArn}, ${c.names.sessionName} and ${c.names.durationSeconds} (at most the role's maximum session duration)`,
      );
    default:
      return new CredentialsError(
        `AssumeRoleWithWebIdentity for role ${role} at ${endpoint} failed: HTTP ${e.status}${code ? ` ${code}` : ''}${msg}${tries}`,
      );
  }
}

const configs = new WeakMap<CredentialProvider, WebIdentityConfig>();

/** The web identity configuration behind a provider built by webIdentityProvider (for a diagnosis). */
export function webIdentityConfigOf(p: CredentialProvider): WebIdentityConfig | undefined {
  return configs.get(p);
}

/** A cached, refreshing provider for one web identity configuration. */
export function webIdentityProvider(cfg: WebIdentityConfig, opts: WebIdentityOptions = {}): CredentialProvider {
  let last: AssumeResult | undefined;
  let lastClaims: JwtClaims | undefined;
  const source = (): CredentialSource => ({
    name: 'web-identity',
    details: {
      ...cfg.extraDetails,
      roleArn: cfg.roleArn,
      tokenFile: cfg.tokenFile,
      stsEndpoint: safeUrl(cfg.stsEndpoint),
      sessionName: last?.sessionName ?? cfg.sessionName,
      assumedRoleArn: last?.assumedRoleArn,
      ...tokenFacts(last?.claims ?? lastClaims),
    },
  });
  const fetch = async (): Promise<Credentials> => {
    try {
      last = await assumeRoleWithWebIdentity(cfg, opts);
    } catch (e) {
      last = undefined;
      throw e;
    }
    lastClaims = last.claims;
    return last.credentials;
  };
  const p = refreshingProvider('web-identity', fetch, source, { ...opts.refresh, now: opts.refresh?.now ?? opts.now, debug: opts.refresh?.debug ?? opts.debug });
  configs.set(p, cfg);
  return p;
}

/**
 * The web identity configuration in the environment, or undefined when neither AWS_ROLE_ARN nor
 * AWS_WEB_IDENTITY_TOKEN_FILE is set. One without the other is a configuration error.
 */
export function webIdentityConfigFromEnv(env: NodeJS.ProcessEnv, region: string | undefined, flags: EndpointFlags = NO_FLAGS): WebIdentityConfig | undefined {
  const roleArn = envValue(env, ENV_ROLE_ARN);
  const tokenFile = envValue(env, ENV_WEB_IDENTITY_TOKEN_FILE);
  if (!roleArn && !tokenFile) return undefined;
  if (!roleArn)
    throw new CredentialsError(
      `${ENV_WEB_IDENTITY_TOKEN_FILE} is set but ${ENV_ROLE_ARN} is not; set ${ENV_ROLE_ARN} to the IAM role to assume (the EKS webhook sets both from the service account's eks.amazonaws.com/role-arn annotation)`,
      78,
    );
  if (!tokenFile)
    throw new CredentialsError(
      `${ENV_ROLE_ARN} is set but ${ENV_WEB_IDENTITY_TOKEN_FILE} is not; set it to the projected service account token (usually /var/run/secrets/eks.amazonaws.com/serviceaccount/token)`,
      78,
    );
  return {
    roleArn: roleArn.trim(),
    tokenFile,
    sessionName: envValue(env, ENV_ROLE_SESSION_NAME),
    durationSeconds: parseDurationSeconds(envValue(env, ENV_S3K_ROLE_DURATION_SECONDS), ENV_S3K_ROLE_DURATION_SECONDS),
    stsEndpoint: resolveStsEndpoint(env, region, flags),
  };
}

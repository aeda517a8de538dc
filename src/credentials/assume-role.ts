// Role chaining: STS AssumeRole, SigV4-signed (service sts) with the credentials of another source,
// as the AWS CLI does for a profile with role_arn and source_profile or credential_source. The source
// is asked for credentials before every AssumeRole, so a source that refreshes (web identity, which
// re-reads its token file; container; IMDS; another role) is refreshed when it needs to be. The
// assumed credentials are cached and refreshed before they expire (refresh.ts).
import { sha256Hex, signV4 } from '../net/sigv4.ts';
import { ENV_ENDPOINT_URL, ENV_ENDPOINT_URL_STS } from './env.ts';
import { refreshingProvider, type ProviderOptions } from './refresh.ts';
import { parseAssumeRoleResponse, parseStsError } from './sts-xml.ts';
import { callEndpoint, endpointFailure, HttpStatusError, oneLine, safeUrl } from './transport.ts';
import { CredentialsError, type CredentialProvider, type Credentials, type CredentialSource } from './types.ts';
import { isValidRoleArn, normalizeRegion, stsRoleForm, STS_CONNECT_TIMEOUT_MS, STS_RETRY, STS_TOTAL_TIMEOUT_MS } from './web-identity.ts';

const SESSION_NAME_RE = /^[\w+=,.@-]{2,64}$/;
/** STS's bounds for ExternalId. */
const EXTERNAL_ID_RE = /^[\w+=,.@:/-]{2,1224}$/;
/** STS answers meaning the signing (source) credentials were refused: refresh the source and retry once. */
const SOURCE_REJECTED = new Set(['ExpiredToken', 'ExpiredTokenException', 'InvalidClientTokenId', 'TokenRefreshRequired']);

/** Where each setting came from, for messages (e.g. `role_arn in profile "cross"`). */
export interface AssumeRoleNames {
  roleArn: string;
  sessionName: string;
  durationSeconds: string;
  externalId: string;
}

export interface AssumeRoleConfig {
  roleArn: string;
  /** Default `s3k-<epoch ms>` at each call. */
  sessionName?: string;
  externalId?: string;
  durationSeconds?: number;
  /** Full URL of the STS endpoint (resolveStsEndpoint). */
  stsEndpoint: string;
  /** Region of the SigV4 scope (stsSigningRegion). */
  signingRegion: string;
  /** The credentials that sign AssumeRole. */
  source: CredentialProvider;
  names: AssumeRoleNames;
  /** Extra facts for source().details, e.g. the profile and its source_profile. */
  extraDetails?: Record<string, string>;
}

export interface AssumeRoleOptions extends ProviderOptions {
  connectTimeoutMs?: number;
  totalTimeoutMs?: number;
}

/**
 * The region STS signatures are scoped to: us-east-1 for the global sts.amazonaws.com, the region in a
 * regional AWS host name, else the configured region (custom endpoints such as the lab's).
 */
export function stsSigningRegion(endpoint: string, region: string | undefined): string {
  const host = new URL(endpoint).hostname.toLowerCase();
  if (host === 'sts.amazonaws.com') return 'us-east-1';
  const m = /^sts(?:-fips)?\.([a-z0-9-]+)\.(?:amazonaws\.com(?:\.cn)?|api\.aws|api\.amazonwebservices\.com\.cn|c2s\.ic\.gov|sc2s\.sgov\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$/.exec(host);
  if (m) return m[1]!;
  return normalizeRegion(region) ?? 'us-east-1';
}

/** "web-identity (arn:aws:iam::1:role/pod, profile irsa)": a source for messages and whoami. Never a secret. */
export function sourceText(s: CredentialSource): string {
  const d = s.details ?? {};
  const role = d.assumedRoleArn ?? d.roleArn ?? (d.roleName !== undefined ? `role ${d.roleName}` : undefined);
  const profile = d.profile !== undefined && !s.name.startsWith('profile:') ? `profile ${d.profile}` : undefined;
  const extra = [role, profile].filter((x) => x !== undefined && x !== '').join(', ');
  return extra ? `${s.name} (${extra})` : s.name;
}

export interface AssumeRoleResult {
  credentials: Credentials;
  sessionName: string;
  assumedRoleArn?: string;
  /** The source the request was signed with. */
  via: string;
}

/** Check the settings before anything is fetched. Throws 78 with the setting's name. */
export function checkAssumeRoleConfig(cfg: Pick<AssumeRoleConfig, 'roleArn' | 'sessionName' | 'externalId' | 'names'>): void {
  if (!isValidRoleArn(cfg.roleArn))
    throw new CredentialsError(
      `${cfg.names.roleArn} "${oneLine(cfg.roleArn, [], 200)}" is not a valid IAM role ARN: expected arn:<partition>:iam::<account-id>:role/<name>, e.g. arn:aws:iam::111122223333:role/cross-account-reader`,
      78,
    );
  if (cfg.sessionName !== undefined && !SESSION_NAME_RE.test(cfg.sessionName))
    throw new CredentialsError(`${cfg.names.sessionName} "${oneLine(cfg.sessionName, [], 100)}" is not a valid role session name: 2 to 64 characters from letters, digits and _+=,.@-`, 78);
  if (cfg.externalId !== undefined && !EXTERNAL_ID_RE.test(cfg.externalId))
    throw new CredentialsError(`${cfg.names.externalId} is not a valid external ID: 2 to 1224 characters from letters, digits and _+=,.@:/-`, 78);
}

/** One AssumeRole exchange (with retries; one source refresh if STS refuses the source's credentials), no caching. */
export async function assumeRole(cfg: AssumeRoleConfig, opts: AssumeRoleOptions = {}): Promise<AssumeRoleResult> {
  const now = opts.now ?? Date.now;
  const debug = opts.debug ?? (() => {});
  checkAssumeRoleConfig(cfg);
  const sessionName = cfg.sessionName ?? `s3k-${now()}`;
  const url = new URL(cfg.stsEndpoint);
  const endpoint = safeUrl(url);
  const body = stsRoleForm('AssumeRole', cfg.roleArn, sessionName, [['ExternalId', cfg.externalId]], cfg.durationSeconds);
  const payloadHash = sha256Hex(body);
  const retry = { ...STS_RETRY, ...opts.retry };

  let creds = await cfg.source.get();
  let via = sourceText(cfg.source.source());
  const counter = { attempts: 0 };
  const secrets = () => [creds.secretAccessKey, creds.sessionToken, cfg.externalId];
  const exchange = () =>
    callEndpoint({
      name: 'assume-role',
      retry,
      request: () => {
        const headers: Record<string, string> = {
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
          accept: 'application/xml, text/xml',
          'content-length': String(Buffer.byteLength(body)),
        };
        signV4({ method: 'POST', host: url.host, path: url.pathname || '/', query: [], headers, payloadHash, region: cfg.signingRegion, service: 'sts', now: new Date(now()) }, creds);
        return {
          method: 'POST',
          url,
          headers,
          body,
          connectTimeoutMs: opts.connectTimeoutMs ?? STS_CONNECT_TIMEOUT_MS,
          totalTimeoutMs: opts.totalTimeoutMs ?? STS_TOTAL_TIMEOUT_MS,
          tls: opts.tls,
        };
      },
      errorOf: (r) => parseStsError(r.body.toString('utf8')),
      secrets,
      debug,
      counter,
    });

  debug(`credentials: assume-role: AssumeRole role ${cfg.roleArn} session ${sessionName} at ${endpoint}, signed with ${via}`);
  let res;
  try {
    try {
      res = await exchange();
    } catch (e) {
      if (!(e instanceof HttpStatusError && e.code !== undefined && SOURCE_REJECTED.has(e.code))) throw e;
      debug(`credentials: assume-role: STS refused the source credentials (${e.code}); fetching them again`);
      creds = await cfg.source.get({ forceRefresh: true });
      via = sourceText(cfg.source.source());
      res = await exchange();
    }
  } catch (e) {
    throw assumeRoleFailure(e, { cfg, endpoint, via, attempts: counter.attempts, secrets: secrets() });
  }
  const parsed = parseAssumeRoleResponse(res.body.toString('utf8'), 'AssumeRole');
  if (!parsed)
    throw new CredentialsError(
      `STS at ${endpoint} answered HTTP ${res.status} to AssumeRole but the body holds no credentials; check that ${ENV_ENDPOINT_URL_STS} (or ${ENV_ENDPOINT_URL}) points at an STS endpoint`,
    );
  return {
    credentials: { accessKeyId: parsed.accessKeyId, secretAccessKey: parsed.secretAccessKey, sessionToken: parsed.sessionToken, expiration: parsed.expiration },
    sessionName,
    assumedRoleArn: parsed.assumedRoleArn,
    via,
  };
}

interface FailureContext {
  cfg: AssumeRoleConfig;
  endpoint: string;
  via: string;
  attempts: number;
  secrets: (string | undefined)[];
}

function assumeRoleFailure(e: unknown, c: FailureContext): CredentialsError {
  const { endpoint } = c;
  const role = c.cfg.roleArn;
  return endpointFailure(e, c.attempts, c.secrets, {
    tlsWhat: 'STS endpoint',
    unreachable: (detail) => `cannot reach STS endpoint ${endpoint} to assume role ${role} (${detail}); set ${ENV_ENDPOINT_URL_STS} to an STS endpoint this host can reach, or allow egress to it`,
    refused: (he, tries) => assumeRoleRefused(he, tries, c),
    failed: (detail) => `AssumeRole of role ${role} at ${endpoint} failed: ${detail}`,
  });
}

/** What STS's error answer to AssumeRole means, in one line. */
function assumeRoleRefused(e: HttpStatusError, tries: string, c: FailureContext): CredentialsError {
  const { cfg, endpoint, via } = c;
  const role = cfg.roleArn;
  const msg = e.serviceMessage ? `: ${e.serviceMessage}` : '';
  const code = e.code ?? (e.status === 403 ? 'AccessDenied' : undefined);
  if (code === 'AccessDenied' || code === 'AccessDeniedException')
    return new CredentialsError(
      `STS denied AssumeRole of role ${role} to ${via} (HTTP ${e.status} ${code}${msg}); the role's trust policy must allow sts:AssumeRole for that identity (Principal "AWS": its role or user ARN)${cfg.externalId !== undefined ? ', with an sts:ExternalId condition equal to external_id' : ''}; the same answer comes for a role that does not exist`,
    );
  if (code !== undefined && (SOURCE_REJECTED.has(code) || code === 'SignatureDoesNotMatch' || code === 'InvalidAccessKeyId'))
    return new CredentialsError(
      `STS refused the credentials of ${via} that signed AssumeRole of role ${role} (HTTP ${e.status} ${code}${msg}); check that source: 's3k whoami' with that profile shows what it gives`,
    );
  if (code === 'ValidationError' || code === 'InvalidParameterValue' || code === 'MalformedPolicyDocument')
    return new CredentialsError(
      `STS rejected AssumeRole of role ${role} (${code}${msg}); check ${cfg.names.roleArn}, ${cfg.names.sessionName}, ${cfg.names.externalId} and ${cfg.names.durationSeconds} (at most the role's maximum session duration; on AWS, 1 hour when the source is itself a role session)`,
      78,
    );
  return new CredentialsError(`AssumeRole of role ${role} at ${endpoint} failed: HTTP ${e.status}${code ? ` ${code}` : ''}${msg}${tries}`);
}

/** A cached, refreshing provider for one role assumed with another source's credentials. */
export function assumeRoleProvider(cfg: AssumeRoleConfig, opts: AssumeRoleOptions = {}): CredentialProvider {
  let last: AssumeRoleResult | undefined;
  const source = (): CredentialSource => ({
    name: 'assume-role',
    details: {
      ...cfg.extraDetails,
      roleArn: cfg.roleArn,
      sessionName: last?.sessionName ?? cfg.sessionName,
      assumedRoleArn: last?.assumedRoleArn,
      externalId: cfg.externalId !== undefined ? 'set' : undefined,
      durationSeconds: cfg.durationSeconds,
      stsEndpoint: safeUrl(cfg.stsEndpoint),
      via: last?.via,
    },
  });
  const fetch = async (): Promise<Credentials> => {
    last = await assumeRole(cfg, opts);
    return last.credentials;
  };
  return refreshingProvider('assume-role', fetch, source, { ...opts.refresh, now: opts.refresh?.now ?? opts.now, debug: opts.refresh?.debug ?? opts.debug });
}

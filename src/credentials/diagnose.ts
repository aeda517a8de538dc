// The credential half of `s3k doctor`: which source the chain would pick and why, and for IRSA
// (web identity) each thing a pod needs, checked one by one with the fix for each failure: the role
// ARN, the token file, the token itself, STS reachability, and the AssumeRoleWithWebIdentity answer.
// Returns checks; never prints, never returns a secret or the token.
import { constants as fsc } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { EX, exitCodeForErrno } from '../errors.ts';
import { probeReach, reachSummary } from '../net/reach.ts';
import type { TlsOptions } from '../net/http.ts';
import { selectCredentialSource, type ChainInput } from './chain.ts';
import { describeCredentials } from './describe.ts';
import { ENV_ENDPOINT_URL_STS, ENV_STS_REGIONAL_ENDPOINTS } from './env.ts';
import { audText, claimText, decodeJwtClaims, expDate, type JwtClaims } from './jwt.ts';
import { staticProvider } from './static.ts';
import { safeUrl } from './transport.ts';
import { CredentialsError, type CredentialProvider } from './types.ts';
import {
  ago,
  assumeRoleWithWebIdentity,
  ENV_SETTING_NAMES,
  IRSA_AUDIENCE,
  isValidRoleArn,
  StsCallError,
  webIdentityConfigOf,
  type WebIdentityConfig,
} from './web-identity.ts';

export type { Check, CheckStatus } from '../net/reach.ts';
import type { Check } from '../net/reach.ts';

export interface CredentialDiagnosis {
  checks: Check[];
  /** Working credentials for the S3 checks (already fetched: no second STS call), when there are any. */
  provider?: CredentialProvider;
}

export interface DiagnoseOptions {
  tls?: TlsOptions;
  now?: () => number;
}

/** Split "what is wrong; what to do" messages into detail and fix at the first "; ". */
export function splitFix(message: string): { detail: string; fix?: string } {
  const i = message.indexOf('; ');
  return i < 0 ? { detail: message } : { detail: message.slice(0, i), fix: message.slice(i + 2) };
}

const SA_SUB_RE = /^system:serviceaccount:([^:]+):([^:]+)$/;

/** The issuer as IAM names it: the URL without its scheme and trailing slash. */
export function issuerHostPath(iss: string): string {
  return iss.replace(/^https?:\/\//, '').replace(/\/+$/, '');
}

/** The audiences of a token, as a list. */
export function audiences(claims: JwtClaims): string[] {
  return Array.isArray(claims.aud) ? claims.aud.map(String) : claims.aud !== undefined && claims.aud !== null && claims.aud !== '' ? [String(claims.aud)] : [];
}

/**
 * The trust policy that would let exactly this token assume the role: Federated is the IAM OIDC
 * provider of the token's issuer in the role's account (and partition), conditions on the token's
 * own sub and aud (sts.amazonaws.com when the token carries it).
 */
export function trustPolicyFor(roleArn: string, claims: JwtClaims): string {
  const m = /^arn:([^:]+):iam::(\d*):/.exec(roleArn);
  const partition = m?.[1] ?? 'aws';
  // the role's own account (empty on Ceph RGW's default tenant, and then so is the provider's)
  const account = m ? m[2] : '<account-id>';
  const host = issuerHostPath(claimText(claims.iss));
  const auds = audiences(claims);
  const aud = auds.includes(IRSA_AUDIENCE) ? IRSA_AUDIENCE : (auds[0] ?? IRSA_AUDIENCE);
  const policy = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: `arn:${partition}:iam::${account}:oidc-provider/${host}` },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { [`${host}:sub`]: claimText(claims.sub), [`${host}:aud`]: aud } },
      },
    ],
  };
  return JSON.stringify(policy, null, 2);
}

/** The command that registers the token's issuer as an IAM OIDC provider. */
export function createOidcProviderFix(claims: JwtClaims): string {
  const iss = claimText(claims.iss);
  const auds = audiences(claims);
  return `create the IAM OIDC provider for issuer ${iss} in the role's account: aws iam create-open-id-connect-provider --url ${iss} --client-id-list ${auds.length ? auds.join(',') : IRSA_AUDIENCE} (on EKS: eksctl utils associate-iam-oidc-provider --cluster <cluster> --approve)`;
}

const fail = (name: string, detail: string, fix: string | undefined, exitCode: number): Check => ({ name, status: 'fail', detail, fix, exitCode });
const skip = (name: string, detail: string): Check => ({ name, status: 'skip', detail });

/** Diagnose the credentials the chain would use. */
export async function diagnoseCredentials(input: ChainInput, o: DiagnoseOptions = {}): Promise<CredentialDiagnosis> {
  const checks: Check[] = [];
  const now = o.now ?? Date.now;
  let selected;
  try {
    selected = await selectCredentialSource({ ...input, debug: undefined });
  } catch (e) {
    if (!(e instanceof CredentialsError)) throw e;
    const { detail, fix } = splitFix(e.message);
    checks.push(fail('credentials.source', detail, fix, e.exitCode));
    return { checks };
  }
  const { provider, tried } = selected;
  const src = provider.source();
  const wi = webIdentityConfigOf(provider);
  const why = wi
    ? `${wi.names?.roleArn ?? ENV_SETTING_NAMES.roleArn} and ${wi.names?.tokenFile ?? ENV_SETTING_NAMES.tokenFile} are set`
    : Object.entries(src.details ?? {})
        .filter(([, v]) => v !== undefined && v !== '')
        .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(',') : v}`)
        .join(', ');
  checks.push({
    name: 'credentials.source',
    status: 'ok',
    detail: `${src.name}${why ? ` (${why})` : ''}${tried.length ? `; passed over: ${tried.join(', ')}` : ''}`,
  });
  if (!wi) {
    try {
      const d = await describeCredentials(provider);
      checks.push({
        name: 'credentials.resolve',
        status: 'ok',
        detail: `${d.source}: access key ${d.accessKeyIdMasked}${d.temporary ? `, temporary${d.expiration ? ` until ${d.expiration}` : ''}` : ', long-lived'}`,
      });
      return { checks, provider };
    } catch (e) {
      if (!(e instanceof CredentialsError)) throw e;
      const { detail, fix } = splitFix(e.message);
      checks.push(fail('credentials.resolve', detail, fix, e.exitCode));
      return { checks };
    }
  }
  return diagnoseWebIdentity(wi, checks, o.tls, now);
}

async function diagnoseWebIdentity(cfg: WebIdentityConfig, checks: Check[], tls: TlsOptions | undefined, now: () => number): Promise<CredentialDiagnosis> {
  const names = cfg.names ?? ENV_SETTING_NAMES;
  let blocked = false;

  // The role ARN.
  if (isValidRoleArn(cfg.roleArn)) checks.push({ name: 'irsa.role-arn', status: 'ok', detail: cfg.roleArn });
  else {
    blocked = true;
    checks.push(
      fail(
        'irsa.role-arn',
        `${names.roleArn} "${cfg.roleArn}" is not a valid IAM role ARN`,
        `set ${names.roleArn} to arn:<partition>:iam::<account-id>:role/<name>, e.g. arn:aws:iam::111122223333:role/s3-access: on EKS fix the eks.amazonaws.com/role-arn annotation of the service account and recreate the pod`,
        EX.CONFIG,
      ),
    );
  }

  // The token file: there, a file, readable by this uid.
  const file = cfg.tokenFile;
  const who = `uid ${process.getuid?.() ?? '?'} gid ${process.getgid?.() ?? '?'}`;
  let token: string | undefined;
  try {
    const st = await stat(file);
    if (st.isDirectory()) {
      checks.push(fail('irsa.token-file', `${file} (${names.tokenFile}) is a directory`, `point ${names.tokenFile} at the token file inside the projected volume (usually .../serviceaccount/token)`, EX.CONFIG));
    } else {
      const mode = `mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}, owner ${st.uid}:${st.gid}`;
      try {
        await access(file, fsc.R_OK);
        token = (await readFile(file, 'utf8')).trim();
        checks.push({ name: 'irsa.token-file', status: 'ok', detail: `${file} (${mode}) is readable by ${who}` });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
        checks.push(
          fail(
            'irsa.token-file',
            `${file} (${names.tokenFile}, ${mode}) cannot be read by ${who} (${code})`,
            code === 'EACCES' || code === 'EPERM'
              ? `let the container's user read the projected token: set securityContext.fsGroup (e.g. fsGroup: ${process.getgid?.() ?? 65534}) in the pod spec, or run as the file's owner`
              : `check the projected token volume at ${file}`,
            EX.CONFIG,
          ),
        );
      }
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    checks.push(
      fail(
        'irsa.token-file',
        `${file} (${names.tokenFile}) ${code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : `cannot be examined (${code})`}`,
        `mount the projected service account token at that path: the EKS pod identity webhook adds the volume when the service account has the eks.amazonaws.com/role-arn annotation (recreate pods made before it), or set ${names.tokenFile} to where the serviceAccountToken volume (audience ${IRSA_AUDIENCE}) is mounted`,
        EX.CONFIG,
      ),
    );
  }

  // The token: a JWT, not expired; its claims shown.
  let claims: JwtClaims | undefined;
  if (token === undefined) {
    blocked = true;
    checks.push(skip('irsa.token', 'no token to examine'));
  } else if (!token) {
    blocked = true;
    checks.push(fail('irsa.token', `${file} is empty`, `check the projected service account token volume (serviceAccountToken with audience ${IRSA_AUDIENCE})`, EX.CONFIG));
  } else if (!(claims = decodeJwtClaims(token))) {
    blocked = true;
    checks.push(
      fail('irsa.token', `${file} does not hold a JWT (expected header.payload.signature in base64url)`, `point ${names.tokenFile} at a projected service account token, not at another file`, EX.CONFIG),
    );
  } else {
    const c = claims;
    const exp = expDate(c);
    const t = now();
    const facts = `iss ${claimText(c.iss)}, sub ${claimText(c.sub)}, aud ${audText(c)}`;
    const problems: string[] = [];
    const fixes: string[] = [];
    if (exp && exp.getTime() <= t) {
      blocked = true;
      checks.push(
        fail(
          'irsa.token',
          `the token expired at ${exp.toISOString()} (${ago(t - exp.getTime())} ago; ${facts})`,
          `kubelet refreshes the projected token (at 80% of its lifetime): check that ${names.tokenFile} points at the projected volume and not at a copy, that the volume is still mounted (serviceAccountToken expirationSeconds), that kubelet is healthy and the node's clock is right`,
          EX.ACCESSDENIED,
        ),
      );
    } else {
      if (!audiences(c).includes(IRSA_AUDIENCE)) {
        problems.push(`audience is not ${IRSA_AUDIENCE}`);
        fixes.push(`set serviceAccountToken.audience of the projected volume to ${IRSA_AUDIENCE} (what EKS IRSA tokens carry), or add "${audText(c)}" to the OIDC provider's client IDs and the trust policy's :aud condition`);
      }
      if (!SA_SUB_RE.test(claimText(c.sub))) {
        problems.push('sub is not system:serviceaccount:<namespace>:<service-account>');
        fixes.push('use the projected token of the pod\'s service account');
      }
      if (!c.iss) {
        problems.push('no iss claim');
        fixes.push('use a token from the cluster\'s OIDC issuer');
      }
      const left = exp ? `expires ${exp.toISOString()} (in ${ago(exp.getTime() - t)})` : 'no exp claim';
      checks.push({
        name: 'irsa.token',
        status: problems.length ? 'warn' : 'ok',
        detail: `JWT: ${facts}; ${left}${problems.length ? `; ${problems.join('; ')}` : ''}`,
        ...(fixes.length ? { fix: fixes.join('; ') } : {}),
      });
    }
  }

  // STS reachable, the way the call will go (proxy, NO_PROXY).
  const stsUrl = new URL(cfg.stsEndpoint);
  const reach = await probeReach(stsUrl, { tls });
  const endpoint = safeUrl(stsUrl);
  if (reach.ok) checks.push({ name: 'sts.reachable', status: 'ok', detail: `${endpoint}: ${reachSummary(reach)}` });
  else {
    blocked = true;
    const last = reach.steps[reach.steps.length - 1];
    const tlsFailed = last?.step === 'tls';
    checks.push(
      fail(
        'sts.reachable',
        `cannot reach STS endpoint ${endpoint}: ${reachSummary(reach)}`,
        tlsFailed
          ? 'trust the endpoint\'s certificate: --ca-certs FILE or AWS_CA_BUNDLE for a private CA (or a TLS-inspecting proxy)'
          : `set ${ENV_ENDPOINT_URL_STS} to an STS endpoint the pod can reach, use the regional endpoint (${ENV_STS_REGIONAL_ENDPOINTS}=regional with AWS_REGION set), or allow egress to it (network policy, security group, VPC endpoint for STS)${reach.via ? `; it went through proxy ${reach.via}: check the proxy, or add the STS host to NO_PROXY` : ''}`,
        exitCodeForErrno(last?.code, 'network'),
      ),
    );
  }

  // The exchange itself.
  if (blocked) {
    checks.push(skip('sts.assume-role', 'not tried: a check above failed'));
    return { checks };
  }
  try {
    const r = await assumeRoleWithWebIdentity(cfg, { tls, now, retry: { maxRetries: 1 } });
    const exp = r.credentials.expiration;
    checks.push({
      name: 'sts.assume-role',
      status: 'ok',
      detail: `AssumeRoleWithWebIdentity at ${endpoint} granted ${r.assumedRoleArn ?? cfg.roleArn}${exp ? `; credentials until ${exp.toISOString()}` : ''}`,
    });
    const src = webIdentitySource(cfg, r.assumedRoleArn);
    return { checks, provider: staticProvider(r.credentials, src) };
  } catch (e) {
    if (!(e instanceof CredentialsError)) throw e;
    checks.push(stsCheck(e, cfg, claims!));
    return { checks };
  }
}

function webIdentitySource(cfg: WebIdentityConfig, assumedRoleArn: string | undefined) {
  return { name: 'web-identity', details: { roleArn: cfg.roleArn, assumedRoleArn } };
}

/** The AssumeRoleWithWebIdentity failure mapped to its fix. */
export function stsCheck(e: CredentialsError, cfg: WebIdentityConfig, claims: JwtClaims): Check {
  const name = 'sts.assume-role';
  const names = cfg.names ?? ENV_SETTING_NAMES;
  const code = e instanceof StsCallError ? e.stsCode : undefined;
  const detail = e.message.replace(/; .*$/, '');
  const iss = claimText(claims.iss);
  switch (code) {
    case 'AccessDenied':
    case 'AccessDeniedException': {
      const fixes: string[] = [];
      if (!audiences(claims).includes(IRSA_AUDIENCE))
        fixes.push(`the token's audience is "${audText(claims)}", not ${IRSA_AUDIENCE}: set serviceAccountToken.audience of the projected volume to ${IRSA_AUDIENCE}, or add "${audText(claims)}" to the OIDC provider's client IDs`);
      fixes.push(
        `check that role ${cfg.roleArn} exists, and give it a trust policy that allows this token (sub ${claimText(claims.sub)}, aud ${audText(claims)}):\n${trustPolicyFor(cfg.roleArn, claims)}`,
      );
      fixes.push(`if no IAM OIDC provider is registered for issuer ${iss}: ${createOidcProviderFix(claims)}`);
      return fail(name, `STS denied AssumeRoleWithWebIdentity for role ${cfg.roleArn} (HTTP ${e instanceof StsCallError ? e.httpStatus : 403} ${code}): the trust policy does not match the token, the role does not exist, or the issuer is not registered`, fixes.join('\n'), EX.ACCESSDENIED);
    }
    case 'InvalidIdentityToken':
      return fail(
        name,
        `STS rejected the token (InvalidIdentityToken): no IAM OIDC provider for issuer ${iss}, a wrong thumbprint, or a signature it cannot verify`,
        `${createOidcProviderFix(claims)}; if it exists, check its thumbprint and that the token comes from that issuer (the cluster's service account signing key)`,
        EX.ACCESSDENIED,
      );
    case 'ExpiredTokenException':
    case 'ExpiredToken':
      return fail(
        name,
        `STS says the token has expired (${code}; exp ${expDate(claims)?.toISOString() ?? '(none)'})`,
        `kubelet refreshes the projected token: check that ${names.tokenFile} points at the projected volume and not at a copy, that the volume is mounted, and the node's clock`,
        EX.ACCESSDENIED,
      );
    case 'IDPCommunicationError':
      return fail(name, `STS could not reach issuer ${iss} to verify the token (IDPCommunicationError)`, `make ${iss}/.well-known/openid-configuration and its jwks_uri reachable from STS`, EX.ACCESSDENIED);
    case 'IDPRejectedClaim':
      return fail(name, `the identity provider ${iss} rejected the token (IDPRejectedClaim)`, 'check the token\'s claims against the OIDC provider\'s configuration', EX.ACCESSDENIED);
    case 'ValidationError':
    case 'InvalidParameterValue':
    case 'InvalidParameterCombination':
    case 'MalformedPolicyDocument':
      return fail(name, `STS rejected the request (${code})`, `check ${names.roleArn} (a role ARN), ${names.sessionName} and ${names.durationSeconds} (at most the role's maximum session duration)`, EX.CONFIG);
    default: {
      if (e instanceof StsCallError && e.networkCode)
        return fail(name, detail, `set ${ENV_ENDPOINT_URL_STS} to an STS endpoint the pod can reach, or allow egress to it`, exitCodeForErrno(e.networkCode, 'network'));
      const { fix } = splitFix(e.message);
      return fail(name, detail, fix ?? `check ${ENV_ENDPOINT_URL_STS} (or AWS_ENDPOINT_URL) points at STS`, e.exitCode);
    }
  }
}

// The provider chain. Order (documented in the README): command-line keys; .s3cfg keys;
// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY(/AWS_SESSION_TOKEN) (or s3cmd's AWS_ACCESS_KEY/AWS_SECRET_KEY/
// AWS_SECURITY_TOKEN); AWS shared files (AWS_PROFILE: keys, web identity, SSO, credential_process, role
// profiles; a role profile named by AWS_PROFILE comes before the environment keys); web identity from
// the environment; container credentials; IMDSv2.
//
// Lazy: building the chain reads nothing. The first get() walks the chain once, picks the first source
// that is configured, and sticks to it; a configured source that then fails is an error, never a
// silent fall-through to another identity (e.g. the node's role). IMDS, having no configuration, is
// picked only when it answers.
import type { EndpointFlags } from '../config/aws-endpoints.ts';
import type { TlsOptions } from '../net/http.ts';
import { containerProvider, containerConfigFromEnv } from './container.ts';
import {
  ENV_ACCESS_KEY_ID,
  ENV_CONTAINER_CREDENTIALS_FULL_URI,
  ENV_CONTAINER_CREDENTIALS_RELATIVE_URI,
  ENV_EC2_METADATA_DISABLED,
  ENV_PROFILE,
  ENV_ROLE_ARN,
  ENV_S3K_CREDENTIALS_MAX_AGE_SECONDS,
  ENV_SECRET_ACCESS_KEY,
  ENV_WEB_IDENTITY_TOKEN_FILE,
  envValue,
} from './env.ts';
import { ImdsError, imdsDisabled, imdsEndpoint, imdsProvider } from './imds.ts';
import { loadSharedProfile } from './profile.ts';
import { profileProvider } from './profile-provider.ts';
import type { RefreshOptions } from './refresh.ts';
import { envKeysProvider, staticProvider } from './static.ts';
import { safeUrl, type RetrySettings } from './transport.ts';
import { CredentialsError, type CredentialProvider, type Credentials } from './types.ts';
import { webIdentityConfigFromEnv, webIdentityProvider } from './web-identity.ts';

export interface ChainInput {
  /** --access_key / --secret_key / --access_token */
  cli?: { accessKey?: string; secretKey?: string; sessionToken?: string };
  /** access_key / secret_key / access_token from the .s3cfg file */
  s3cfg?: { accessKey?: string; secretKey?: string; sessionToken?: string };
  env: NodeJS.ProcessEnv;
  /** Region used for regional STS endpoints. */
  region: string;
  /** FIPS / dual-stack STS endpoints (AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT or the profile's keys). */
  endpointFlags?: EndpointFlags;
  tls?: TlsOptions;
  /** Debug logger (already redacting). Credentials code never passes it a secret. */
  debug?: (msg: string) => void;
  /** Hears every secret key and session token handed out, so the caller can keep them out of its output. */
  secret?: (value: string) => void;
  /** Clock in ms since the epoch, for expiry checks and the cache (tests). Default Date.now. */
  now?: () => number;
  /** Override retry delays/counts of the STS, container and IMDS calls (tests: tiny delays). */
  retry?: Partial<RetrySettings>;
  /** Override the refresh windows (ms before expiry). */
  refresh?: Pick<RefreshOptions, 'advisoryMs' | 'mandatoryMs'>;
}

/** S3K_CREDENTIALS_MAX_AGE_SECONDS in ms, validated; undefined when unset. */
export function maxAgeFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const v = envValue(env, ENV_S3K_CREDENTIALS_MAX_AGE_SECONDS);
  if (v === undefined) return undefined;
  const n = Number(v.trim());
  if (!Number.isFinite(n) || n <= 0)
    throw new CredentialsError(`${ENV_S3K_CREDENTIALS_MAX_AGE_SECONDS} "${v}" is not valid: expected a positive number of seconds`, 78);
  return n * 1000;
}

/** Build the (lazy) chain. Nothing is read or fetched until the first get(). */
export function buildCredentialChain(input: ChainInput): CredentialProvider {
  let chosen: CredentialProvider | undefined;
  let resolving: Promise<CredentialProvider> | undefined;
  let lastSeen: Credentials | undefined;
  const debug = input.debug ?? (() => {});

  const resolveOnce = (): Promise<CredentialProvider> => {
    if (chosen) return Promise.resolve(chosen);
    resolving ??= selectCredentialSource(input).then(
      ({ provider: p }) => {
        chosen = p;
        resolving = undefined;
        const s = p.source();
        debug(`credentials: using ${s.name}`);
        return p;
      },
      (e) => {
        resolving = undefined;
        throw e;
      },
    );
    return resolving;
  };

  return {
    async get(opts) {
      const p = await resolveOnce();
      const c = await p.get(opts);
      if (input.secret && c !== lastSeen) {
        lastSeen = c;
        input.secret(c.secretAccessKey);
        if (c.sessionToken) input.secret(c.sessionToken);
      }
      return c;
    },
    source() {
      return chosen ? chosen.source() : { name: 'unresolved' };
    },
  };
}

/** The source the chain picks, and why: the sources before it that were not configured. */
export interface ChainSelection {
  provider: CredentialProvider;
  /** The sources tried before it, each with why it was passed over. */
  tried: string[];
}

/**
 * Walk the chain once and pick the first configured source, without fetching anything from it
 * (only IMDS, having no configuration, is asked). Throws CredentialsError when a source is
 * configured wrongly or none is found.
 */
export async function selectCredentialSource(input: ChainInput): Promise<ChainSelection> {
  const tried: string[] = [];
  const provider = await resolveChain(input, tried);
  return { provider, tried };
}

async function resolveChain(input: ChainInput, tried: string[]): Promise<CredentialProvider> {
  const { cli, s3cfg, env } = input;

  // 1. Command line, field by field over 2. the .s3cfg keys (s3cmd's Config(): --access_key and
  // --secret_key each override only their own value, so `--secret_key=X` keeps the file's access key).
  const ak = cli?.accessKey || s3cfg?.accessKey;
  const sk = cli?.secretKey || s3cfg?.secretKey;
  const fromCli = !!(cli?.accessKey || cli?.secretKey);
  if (ak && sk)
    return staticProvider(
      { accessKeyId: ak, secretAccessKey: sk, sessionToken: cli?.sessionToken || s3cfg?.sessionToken || undefined },
      { name: fromCli ? 'command-line' : 's3cfg' },
    );
  if (fromCli)
    throw new CredentialsError(`${cli!.accessKey ? '--access_key was given without a secret key' : '--secret_key was given without an access key'} (neither on the command line nor in .s3cfg); give both`, 78);
  tried.push('command line (no --access_key/--secret_key)');
  if (ak || sk)
    throw new CredentialsError(`.s3cfg has ${ak ? 'access_key but an empty secret_key' : 'secret_key but an empty access_key'}; set both, or neither to use other credential sources`, 78);
  tried.push('.s3cfg (no access_key/secret_key)');

  // An AWS_PROFILE that names a role profile (role_arn with source_profile or credential_source) is
  // used even when keys are in the environment, as `aws --profile` does: asking for a role and getting
  // the keys' own identity would be a silent switch of identity. credential_source = Environment then
  // reads those keys as the role's source.
  let profile = envValue(env, ENV_PROFILE) ? loadSharedProfile(env) : undefined;
  const roleProfile = !!(profile?.values?.role_arn && !profile.values.web_identity_token_file);

  // 3. Environment keys.
  const envKeys = roleProfile ? undefined : envKeysProvider(env);
  if (envKeys) return envKeys;
  if (!roleProfile) tried.push(`environment (${ENV_ACCESS_KEY_ID}/${ENV_SECRET_ACCESS_KEY} not set)`);

  const maxAgeMs = maxAgeFromEnv(env);
  const refresh: RefreshOptions = { ...input.refresh, maxAgeMs, now: input.now, debug: input.debug };
  const common = { tls: input.tls, debug: input.debug, now: input.now, retry: input.retry, refresh };
  const profileContext = { env, region: input.region, endpointFlags: input.endpointFlags, common };

  // 4. AWS shared files: static keys, web identity, SSO, credential_process, role profiles.
  profile ??= loadSharedProfile(env);
  const fromProfile = profileProvider(profile, profileContext);
  if (fromProfile) return fromProfile;
  tried.push(
    profile.values
      ? `AWS profile "${profile.name}" (no credentials in it)`
      : `AWS profile "${profile.name}" (not in ${profile.credentialsFile} or ${profile.configFile}${profile.explicit ? '' : `; ${ENV_PROFILE} not set`})`,
  );

  // 5. Web identity from the environment.
  const wi = webIdentityConfigFromEnv(env, input.region, input.endpointFlags);
  if (wi) return webIdentityProvider(wi, common);
  tried.push(`web identity (${ENV_ROLE_ARN}/${ENV_WEB_IDENTITY_TOKEN_FILE} not set)`);

  // 6. Container credentials.
  const cc = containerConfigFromEnv(env);
  if (cc) return containerProvider(cc, common);
  tried.push(`container (${ENV_CONTAINER_CREDENTIALS_FULL_URI}/${ENV_CONTAINER_CREDENTIALS_RELATIVE_URI} not set)`);

  // 7. IMDSv2: chosen only if it answers.
  if (imdsDisabled(env)) {
    tried.push(`IMDSv2 (disabled by ${ENV_EC2_METADATA_DISABLED})`);
  } else {
    const base = imdsEndpoint(env);
    const p = imdsProvider(base, common);
    try {
      await p.get();
      return p;
    } catch (e) {
      if (!(e instanceof ImdsError)) throw e;
      tried.push(`IMDSv2 at ${safeUrl(base).replace(/\/$/, '')} (${e.message.replace(/^IMDSv2 at \S+ /, '')})`);
    }
  }
  throw new CredentialsError(
    `no credentials found; tried: ${tried.join(', ')}. Set access_key and secret_key in ~/.s3cfg, or ${ENV_ACCESS_KEY_ID} and ${ENV_SECRET_ACCESS_KEY}, or a profile in ~/.aws/credentials (${ENV_PROFILE}), or run in a pod with IRSA (${ENV_ROLE_ARN} + ${ENV_WEB_IDENTITY_TOKEN_FILE}) or EKS Pod Identity`,
    78,
  );
}

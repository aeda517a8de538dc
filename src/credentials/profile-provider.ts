// The provider for a profile of the AWS shared files, built the way the AWS CLI reads profiles:
// static keys, web identity (role_arn + web_identity_token_file), SSO, credential_process, and role
// profiles (role_arn + source_profile or credential_source) whose source is built the same way,
// recursively. A source_profile chain that comes back to a profile already in it is an error, except
// the CLI's one allowed loop: a role profile naming itself as source_profile uses its own static keys.
// MFA (mfa_serial) needs a code typed at a prompt, which s3k does not do: such a profile is refused.
import type { EndpointFlags } from '../config/aws-endpoints.ts';
import { containerConfigFromEnv, containerProvider } from './container.ts';
import { ENV_CONTAINER_CREDENTIALS_FULL_URI, ENV_CONTAINER_CREDENTIALS_RELATIVE_URI, ENV_EC2_METADATA_DISABLED, ENV_ACCESS_KEY_ID, ENV_SECRET_ACCESS_KEY } from './env.ts';
import { imdsDisabled, imdsEndpoint, imdsProvider } from './imds.ts';
import { assumeRoleProvider, checkAssumeRoleConfig, stsSigningRegion, type AssumeRoleNames } from './assume-role.ts';
import { processProvider } from './process.ts';
import { profileCredentials, profileFromFiles, staticKeys, type CredentialSourceName, type ProfileCredentials, type SharedProfile } from './profile.ts';
import type { ProviderOptions } from './refresh.ts';
import { resolveSsoEndpoint, resolveSsoOidcEndpoint, ssoProvider, ssoTokenCacheFile } from './sso.ts';
import { envKeysProvider, staticProvider } from './static.ts';
import { CredentialsError, type CredentialProvider } from './types.ts';
import { parseDurationSeconds, resolveStsEndpoint, webIdentityProvider, type SettingNames } from './web-identity.ts';

export interface ProfileContext {
  env: NodeJS.ProcessEnv;
  /** Region for regional STS endpoints and the SigV4 scope of AssumeRole. */
  region: string;
  /** FIPS / dual-stack STS endpoints. */
  endpointFlags?: EndpointFlags;
  /** TLS, logging, clock, retries and cache settings of every provider built. */
  common: ProviderOptions;
}

/**
 * The provider for a loaded profile, or undefined when the profile holds no credentials (or does not
 * exist and was not asked for by name). Reads nothing over the network; throws (78) for settings
 * that cannot work, before anything is fetched.
 */
export function profileProvider(p: SharedProfile, ctx: ProfileContext): CredentialProvider | undefined {
  const kind = profileCredentials(p);
  if (kind.kind === 'none') return undefined;
  return build(p, kind, [p.name], ctx);
}

function build(p: SharedProfile, kind: Exclude<ProfileCredentials, { kind: 'none' }>, visited: string[], ctx: ProfileContext): CredentialProvider {
  const where = `in profile "${p.name}"`;
  switch (kind.kind) {
    case 'static':
      return staticProvider(
        { accessKeyId: kind.accessKeyId, secretAccessKey: kind.secretAccessKey, sessionToken: kind.sessionToken },
        { name: `profile:${p.name}`, details: { files: p.foundIn } },
      );
    case 'web-identity': {
      const names: SettingNames = {
        roleArn: `role_arn ${where}`,
        tokenFile: `web_identity_token_file ${where}`,
        sessionName: `role_session_name ${where}`,
        durationSeconds: `duration_seconds ${where}`,
      };
      return webIdentityProvider(
        {
          roleArn: kind.roleArn.trim(),
          tokenFile: kind.tokenFile,
          sessionName: kind.sessionName,
          durationSeconds: parseDurationSeconds(kind.durationSeconds, names.durationSeconds),
          stsEndpoint: resolveStsEndpoint(ctx.env, ctx.region, ctx.endpointFlags),
          names,
          extraDetails: { profile: p.name },
        },
        ctx.common,
      );
    }
    case 'process':
      return processProvider({ command: kind.command, profile: p.name, env: ctx.env }, ctx.common);
    case 'sso':
      return ssoProvider(
        {
          profile: p.name,
          session: kind.session,
          startUrl: kind.startUrl,
          region: kind.region,
          accountId: kind.accountId,
          roleName: kind.roleName,
          cacheFile: ssoTokenCacheFile(p.home, kind.session ?? kind.startUrl),
          endpoint: resolveSsoEndpoint(ctx.env, kind.region),
          oidcEndpoint: kind.session ? resolveSsoOidcEndpoint(ctx.env, kind.region) : undefined,
        },
        ctx.common,
      );
    case 'assume-role': {
      const roleArn = kind.roleArn.trim();
      if (kind.mfaSerial)
        throw new CredentialsError(
          `profile "${p.name}" needs an MFA code (mfa_serial = ${kind.mfaSerial}) to assume role ${roleArn}; s3k cannot prompt for it: get temporary credentials first (e.g. eval "$(aws configure export-credentials --profile ${p.name} --format env)") and run s3k with those`,
          78,
        );
      const names: AssumeRoleNames = {
        roleArn: `role_arn ${where}`,
        sessionName: `role_session_name ${where}`,
        durationSeconds: `duration_seconds ${where}`,
        externalId: `external_id ${where}`,
      };
      checkAssumeRoleConfig({ roleArn, sessionName: kind.sessionName, externalId: kind.externalId, names });
      const durationSeconds = parseDurationSeconds(kind.durationSeconds, names.durationSeconds);
      const source = kind.sourceProfile ? sourceProfile(p, kind.sourceProfile, visited, ctx) : credentialSource(p, kind.credentialSource!, ctx);
      const stsEndpoint = resolveStsEndpoint(ctx.env, ctx.region, ctx.endpointFlags);
      return assumeRoleProvider(
        {
          roleArn,
          sessionName: kind.sessionName,
          externalId: kind.externalId,
          durationSeconds,
          stsEndpoint,
          signingRegion: stsSigningRegion(stsEndpoint, ctx.region),
          source,
          names,
          extraDetails: {
            profile: p.name,
            ...(kind.sourceProfile ? { sourceProfile: kind.sourceProfile } : { credentialSource: kind.credentialSource! }),
          },
        },
        ctx.common,
      );
    }
  }
}

/** The credentials a role profile's source_profile gives (the AWS CLI's rules; static keys first). */
function sourceProfile(parent: SharedProfile, name: string, visited: string[], ctx: ProfileContext): CredentialProvider {
  const src = profileFromFiles(parent.files, name, true);
  if (visited.includes(name)) {
    // The one loop the CLI allows: [profile x] with keys, role_arn and source_profile = x.
    const keys = name === parent.name ? staticKeys(src) : undefined;
    if (keys) return staticProvider(keys, { name: `profile:${name}`, details: { files: src.foundIn } });
    throw new CredentialsError(
      `source_profile loop: ${[...visited, name].join(' -> ')}; a chain of role profiles must end in a profile with credentials (keys, web_identity_token_file, SSO or credential_process), or credential_source`,
      78,
    );
  }
  if (!src.values)
    throw new CredentialsError(`profile "${parent.name}" has source_profile = ${name}, but there is no profile "${name}" in ${src.credentialsFile} or ${src.configFile}`, 78);
  const keys = staticKeys(src);
  if (keys) return staticProvider(keys, { name: `profile:${name}`, details: { files: src.foundIn } });
  const kind = profileCredentials(src);
  if (kind.kind === 'none')
    throw new CredentialsError(
      `profile "${name}" (source_profile of profile "${parent.name}") holds no credentials: add aws_access_key_id and aws_secret_access_key, role_arn with web_identity_token_file or source_profile, SSO settings, or credential_process`,
      78,
    );
  return build(src, kind, [...visited, name], ctx);
}

/** credential_source: Environment (the env keys), Ec2InstanceMetadata (IMDSv2), EcsContainer (container endpoint). */
function credentialSource(p: SharedProfile, which: CredentialSourceName, ctx: ProfileContext): CredentialProvider {
  const at = `credential_source = ${which} in profile "${p.name}"`;
  switch (which) {
    case 'Environment': {
      const env = envKeysProvider(ctx.env);
      if (!env) throw new CredentialsError(`${at} needs ${ENV_ACCESS_KEY_ID} and ${ENV_SECRET_ACCESS_KEY} (and AWS_SESSION_TOKEN for temporary keys), which are not set`, 78);
      return env;
    }
    case 'Ec2InstanceMetadata':
      if (imdsDisabled(ctx.env)) throw new CredentialsError(`${at} cannot work: ${ENV_EC2_METADATA_DISABLED}=true turns instance metadata off`, 78);
      return imdsProvider(imdsEndpoint(ctx.env), ctx.common);
    case 'EcsContainer': {
      const cc = containerConfigFromEnv(ctx.env);
      if (!cc) throw new CredentialsError(`${at} needs ${ENV_CONTAINER_CREDENTIALS_FULL_URI} or ${ENV_CONTAINER_CREDENTIALS_RELATIVE_URI}, which are not set (ECS and EKS Pod Identity set them)`, 78);
      return containerProvider(cc, ctx.common);
    }
  }
}

import {
  ENV_ACCESS_KEY_ID,
  ENV_S3CMD_ACCESS_KEY,
  ENV_S3CMD_SECRET_KEY,
  ENV_S3CMD_SECURITY_TOKEN,
  ENV_SECRET_ACCESS_KEY,
  ENV_SESSION_TOKEN,
  envValue,
} from './env.ts';
import { CredentialsError, type CredentialProvider, type Credentials, type CredentialSource } from './types.ts';

/** Fixed keys (command line, .s3cfg, env, a profile's static keys). */
export function staticProvider(creds: Credentials, source: CredentialSource): CredentialProvider {
  return {
    get: async () => creds,
    source: () => source,
  };
}

/**
 * AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY(/AWS_SESSION_TOKEN), else s3cmd's AWS_ACCESS_KEY/AWS_SECRET_KEY
 * (/AWS_SECURITY_TOKEN); undefined when neither is set. One half without the other is an error (78).
 */
export function envKeysProvider(env: NodeJS.ProcessEnv): CredentialProvider | undefined {
  const akName = envValue(env, ENV_ACCESS_KEY_ID) ? ENV_ACCESS_KEY_ID : envValue(env, ENV_S3CMD_ACCESS_KEY) ? ENV_S3CMD_ACCESS_KEY : undefined;
  const skName = envValue(env, ENV_SECRET_ACCESS_KEY) ? ENV_SECRET_ACCESS_KEY : envValue(env, ENV_S3CMD_SECRET_KEY) ? ENV_S3CMD_SECRET_KEY : undefined;
  if (akName && skName) {
    const tokenName = envValue(env, ENV_SESSION_TOKEN) ? ENV_SESSION_TOKEN : envValue(env, ENV_S3CMD_SECURITY_TOKEN) ? ENV_S3CMD_SECURITY_TOKEN : undefined;
    return staticProvider(
      { accessKeyId: env[akName]!, secretAccessKey: env[skName]!, sessionToken: tokenName ? env[tokenName] : undefined },
      { name: 'env', details: { variables: [akName, skName, ...(tokenName ? [tokenName] : [])] } },
    );
  }
  if (akName || skName)
    throw new CredentialsError(
      akName
        ? `${akName} is set but ${ENV_SECRET_ACCESS_KEY} is not; set both, or unset ${akName}`
        : `${skName} is set but ${ENV_ACCESS_KEY_ID} is not; set both, or unset ${skName}`,
      78,
    );
  return undefined;
}

// The provider chain. Order (documented in the README): command-line keys; .s3cfg keys;
// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY(/AWS_SESSION_TOKEN); AWS shared files; web identity from
// the environment; container credentials; IMDSv2.
import { staticProvider } from './static.ts';
import { CredentialsError, type CredentialProvider } from './types.ts';
import type { TlsOptions } from '../net/http.ts';

export interface ChainInput {
  /** --access_key / --secret_key / --access_token */
  cli?: { accessKey?: string; secretKey?: string; sessionToken?: string };
  /** access_key / secret_key / access_token from the .s3cfg file */
  s3cfg?: { accessKey?: string; secretKey?: string; sessionToken?: string };
  env: NodeJS.ProcessEnv;
  /** Region used for regional STS endpoints. */
  region: string;
  tls?: TlsOptions;
  /** Debug logger (already redacting). */
  debug?: (msg: string) => void;
}

export function buildCredentialChain(input: ChainInput): CredentialProvider {
  const { cli, s3cfg, env } = input;
  if (cli?.accessKey && cli.secretKey)
    return staticProvider(
      { accessKeyId: cli.accessKey, secretAccessKey: cli.secretKey, sessionToken: cli.sessionToken || undefined },
      { name: 'command-line' },
    );
  if (s3cfg?.accessKey && s3cfg.secretKey)
    return staticProvider(
      { accessKeyId: s3cfg.accessKey, secretAccessKey: s3cfg.secretKey, sessionToken: cli?.sessionToken || s3cfg.sessionToken || undefined },
      { name: 's3cfg' },
    );
  const ak = env.AWS_ACCESS_KEY_ID || env.AWS_ACCESS_KEY;
  const sk = env.AWS_SECRET_ACCESS_KEY || env.AWS_SECRET_KEY;
  if (ak && sk)
    return staticProvider(
      { accessKeyId: ak, secretAccessKey: sk, sessionToken: env.AWS_SESSION_TOKEN || env.AWS_SECURITY_TOKEN || undefined },
      { name: 'env' },
    );
  return {
    get: async () => {
      throw new CredentialsError(
        'No credentials found. Set access_key/secret_key in ~/.s3cfg, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run in a pod with IRSA (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE).',
        78,
      );
    },
    source: () => ({ name: 'none' }),
  };
}

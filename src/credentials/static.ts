import type { CredentialProvider, Credentials, CredentialSource } from './types.ts';

/** Fixed keys (command line, .s3cfg, env, a profile's static keys). */
export function staticProvider(creds: Credentials, source: CredentialSource): CredentialProvider {
  return {
    get: async () => creds,
    source: () => source,
  };
}

// What `s3k whoami` prints about the credentials in use. Never a secret.
import type { CredentialProvider } from './types.ts';

export interface CredentialsDescription {
  /** Source name: command-line, s3cfg, env, profile:<name>, web-identity, assume-role, sso, process, container, imds. */
  source: string;
  /** First 4 and last 4 characters of the access key id, the middle masked. */
  accessKeyIdMasked: string;
  /** True when a session token is in use (temporary credentials). */
  temporary: boolean;
  /** ISO 8601 expiration of temporary credentials, when known. */
  expiration?: string;
  /** Safe facts about the source (role ARN, token file, endpoint, token claims, ...). */
  details: Record<string, string | string[] | number>;
}

/** "AKIA************MPLE": first 4 + last 4 kept; keys of 8 characters or fewer are fully masked. */
export function maskAccessKey(accessKeyId: string): string {
  const n = accessKeyId.length;
  if (n <= 8) return '*'.repeat(n);
  return `${accessKeyId.slice(0, 4)}${'*'.repeat(n - 8)}${accessKeyId.slice(-4)}`;
}

/** Resolve credentials (first use resolves the chain) and describe them. */
export async function describeCredentials(provider: CredentialProvider): Promise<CredentialsDescription> {
  const creds = await provider.get();
  const src = provider.source();
  const details: Record<string, string | string[] | number> = {};
  for (const [k, v] of Object.entries(src.details ?? {})) if (v !== undefined && v !== '') details[k] = v;
  return {
    source: src.name,
    accessKeyIdMasked: maskAccessKey(creds.accessKeyId),
    temporary: !!creds.sessionToken,
    expiration: creds.expiration?.toISOString(),
    details,
  };
}

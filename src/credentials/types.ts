// The one interface between credentials/ and everything that signs requests.
import { EX, S3kError } from '../errors.ts';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** When temporary credentials stop working; undefined for long-lived keys. */
  expiration?: Date;
}

/** Where a set of credentials came from, for `whoami` and error messages. Never holds secrets. */
export interface CredentialSource {
  /** Short name: 'command-line', 's3cfg', 'env', 'profile:<name>', 'web-identity', 'assume-role', 'sso', 'process', 'container', 'imds'. */
  name: string;
  /** Extra facts safe to print (role ARN, token file path, endpoint, token claims). */
  details?: Record<string, string | string[] | number | undefined>;
}

export interface CredentialProvider {
  /** Return usable credentials, refreshing when they are close to expiry or when forceRefresh is set. */
  get(opts?: { forceRefresh?: boolean }): Promise<Credentials>;
  /** Describe the source last used (after a successful get). */
  source(): CredentialSource;
}

/** A failure to obtain credentials. exitCode follows s3cmd: 77 (EX_NOPERM) or 78 (EX_CONFIG). */
export class CredentialsError extends S3kError {
  declare readonly exitCode: 77 | 78;
  constructor(message: string, exitCode: 77 | 78 = EX.ACCESSDENIED) {
    super(message, exitCode);
    this.name = 'CredentialsError';
  }
}

// Types for lab/irsa.mjs (so TypeScript tests can import it under strict mode).

export interface LabEnv {
  LAB_DIR: string;
  LAB_ENDPOINT: string;
  /** https://127.0.0.1:PORT (the same RGW over TLS); absent in a lab started by an older lab/start.sh. */
  LAB_HTTPS_ENDPOINT: string;
  /** PEM of the throwaway CA that signed the https endpoint's certificate. */
  LAB_CA_FILE: string;
  LAB_REGION: string;
  LAB_ADMIN_ACCESS_KEY: string;
  LAB_ADMIN_SECRET_KEY: string;
  LAB_OIDC_ISSUER: string;
  LAB_OIDC_PORT: string;
  LAB_OIDC_PROVIDER_ARN: string;
  LAB_RGW_PORT: string;
  LAB_MON_PORT: string;
  LAB_MON_V1_PORT: string;
  CEPH_CONF: string;
  [key: string]: string;
}

export interface SetupOptions {
  /** Role name (no "_"), default "s3-full-access". */
  role?: string;
  /** Service-account namespace, default "default". */
  ns?: string;
  /** Service-account name, default "s3-full-access". */
  sa?: string;
  /** Audience the trust policy requires, default "sts.amazonaws.com". */
  aud?: string;
  /** Subject the trust policy requires, default system:serviceaccount:<ns>:<sa>. */
  sub?: string;
  /** Inline role policy (object or JSON string), default s3:* on arn:aws:s3:::*. */
  policy?: string | object;
  policyName?: string;
  /** MaxSessionDuration of a newly created role, seconds. */
  maxSession?: number;
}

export interface SetupResult {
  roleArn: string;
  providerArn: string;
  roleName: string;
  subject: string;
  audience: string;
}

export interface TokenOptions {
  ns?: string;
  sa?: string;
  sub?: string;
  aud?: string;
  /** Seconds; negative gives an already expired token. Default 3600. */
  ttl?: number | string;
  /** Overrides the iss claim (an unregistered issuer). */
  iss?: string;
  /** Sign with a key that is not in the issuer's JWKS. */
  forge?: boolean;
}

export interface TemporaryCredentials {
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  /** ISO 8601 with nanoseconds as RGW sends it, e.g. 2026-11-28T22:11:41.542687931Z */
  Expiration: string;
}

/** Error from the lab's IAM or STS API. RGW answers every STS denial with status 403, code AccessDenied. */
export interface LabApiError extends Error {
  status: number;
  code: string;
  body: string;
}

export const DEFAULTS: Readonly<{ role: string; ns: string; sa: string; aud: string; policyName: string }>;
export const S3_ALL_POLICY: object;
export function loadLabEnv(file?: string): LabEnv;
export function iam(action: string, params?: Record<string, string>, labEnv?: LabEnv): Promise<{ status: number; body: string }>;
export function setup(opts?: SetupOptions, labEnv?: LabEnv): Promise<SetupResult>;
export function mintToken(opts?: TokenOptions, labEnv?: LabEnv): Promise<string>;
export function writeToken(file: string, opts?: TokenOptions, labEnv?: LabEnv): Promise<string>;
export function assumeRole(
  token: string,
  roleArn: string,
  durationSeconds?: number,
  opts?: { endpoint?: string; sessionName?: string; labEnv?: LabEnv },
): Promise<TemporaryCredentials>;

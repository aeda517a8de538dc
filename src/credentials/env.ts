// Every environment variable the credential chain reads, in one place. Names follow the AWS SDKs
// (https://docs.aws.amazon.com/sdkref/latest/guide/settings-reference.html) and s3cmd; the S3K_* ones
// are our own.

// Static keys.
export const ENV_ACCESS_KEY_ID = 'AWS_ACCESS_KEY_ID';
export const ENV_SECRET_ACCESS_KEY = 'AWS_SECRET_ACCESS_KEY';
export const ENV_SESSION_TOKEN = 'AWS_SESSION_TOKEN';
/** s3cmd's older names for the same three values (used only when the AWS_* ones are unset). */
export const ENV_S3CMD_ACCESS_KEY = 'AWS_ACCESS_KEY';
export const ENV_S3CMD_SECRET_KEY = 'AWS_SECRET_KEY';
export const ENV_S3CMD_SECURITY_TOKEN = 'AWS_SECURITY_TOKEN';

// Shared files.
/** Profile to read from the shared files; default "default". */
export const ENV_PROFILE = 'AWS_PROFILE';
/** Default ~/.aws/credentials. */
export const ENV_SHARED_CREDENTIALS_FILE = 'AWS_SHARED_CREDENTIALS_FILE';
/** Default ~/.aws/config (sections are `[profile name]`, except `[default]`). */
export const ENV_CONFIG_FILE = 'AWS_CONFIG_FILE';

// Web identity (IRSA).
export const ENV_ROLE_ARN = 'AWS_ROLE_ARN';
export const ENV_WEB_IDENTITY_TOKEN_FILE = 'AWS_WEB_IDENTITY_TOKEN_FILE';
/** Default `s3k-<epoch ms>`. */
export const ENV_ROLE_SESSION_NAME = 'AWS_ROLE_SESSION_NAME';
/** STS endpoint for this service only; wins over AWS_ENDPOINT_URL. */
export const ENV_ENDPOINT_URL_STS = 'AWS_ENDPOINT_URL_STS';
/** Endpoint for every service (used for STS when AWS_ENDPOINT_URL_STS is unset). */
export const ENV_ENDPOINT_URL = 'AWS_ENDPOINT_URL';
/** `regional` (default) or `legacy` (the global https://sts.amazonaws.com). */
export const ENV_STS_REGIONAL_ENDPOINTS = 'AWS_STS_REGIONAL_ENDPOINTS';
/**
 * DurationSeconds for AssumeRoleWithWebIdentity, 900..43200. Unset: STS's default (3600 s on AWS).
 * The role's MaxSessionDuration must allow it.
 */
export const ENV_S3K_ROLE_DURATION_SECONDS = 'S3K_ROLE_DURATION_SECONDS';

// SSO (IAM Identity Center).
/** The SSO portal (GetRoleCredentials); wins over AWS_ENDPOINT_URL. Default https://portal.sso.<sso_region>.amazonaws.com. */
export const ENV_ENDPOINT_URL_SSO = 'AWS_ENDPOINT_URL_SSO';
/** SSO OIDC (CreateToken, to refresh the cached token); wins over AWS_ENDPOINT_URL. Default https://oidc.<sso_region>.amazonaws.com. */
export const ENV_ENDPOINT_URL_SSO_OIDC = 'AWS_ENDPOINT_URL_SSO_OIDC';

// Container credentials (ECS, EKS Pod Identity).
export const ENV_CONTAINER_CREDENTIALS_FULL_URI = 'AWS_CONTAINER_CREDENTIALS_FULL_URI';
/** A path; the URL is http://169.254.170.2 + this path. Wins over the full URI, as in the SDKs. */
export const ENV_CONTAINER_CREDENTIALS_RELATIVE_URI = 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI';
/** Value of the Authorization header; wins over the token file. */
export const ENV_CONTAINER_AUTHORIZATION_TOKEN = 'AWS_CONTAINER_AUTHORIZATION_TOKEN';
/** File holding the Authorization header value; re-read on every request (EKS Pod Identity rotates it). */
export const ENV_CONTAINER_AUTHORIZATION_TOKEN_FILE = 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE';

// EC2 instance metadata (IMDSv2).
/** `true` skips IMDS entirely. */
export const ENV_EC2_METADATA_DISABLED = 'AWS_EC2_METADATA_DISABLED';
/** Default http://169.254.169.254 (or http://[fd00:ec2::254] with the IPv6 endpoint mode). */
export const ENV_EC2_METADATA_SERVICE_ENDPOINT = 'AWS_EC2_METADATA_SERVICE_ENDPOINT';
/** `IPv4` (default) or `IPv6`; only used when AWS_EC2_METADATA_SERVICE_ENDPOINT is unset. */
export const ENV_EC2_METADATA_SERVICE_ENDPOINT_MODE = 'AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE';

// Caching.
/**
 * Upper bound, in seconds, on how long temporary credentials are used before they are fetched again,
 * whatever their expiration says. For tests and cautious operators: with 5, web identity credentials
 * are re-fetched (and the token file re-read) at most every 5 s. Unset: refresh only near expiry.
 */
export const ENV_S3K_CREDENTIALS_MAX_AGE_SECONDS = 'S3K_CREDENTIALS_MAX_AGE_SECONDS';

/** An environment variable's value, or undefined when unset or empty. */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

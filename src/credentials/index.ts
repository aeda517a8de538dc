// Public surface of credentials/: what the CLI, the S3 client and `s3k whoami` use.
export { buildCredentialChain, maxAgeFromEnv, type ChainInput } from './chain.ts';
export { describeCredentials, maskAccessKey, type CredentialsDescription } from './describe.ts';
export { decodeJwtClaims, type JwtClaims } from './jwt.ts';
export { CredentialsError, type CredentialProvider, type Credentials, type CredentialSource } from './types.ts';

// SigV4 for S3 requests. The signer itself is generic (any service, e.g. STS for AssumeRole) and lives
// one floor down in net/sigv4.ts, so credentials/ can sign without importing s3/; this module keeps
// the s3/ import path for the S3 wire and presigned URLs.
export * from '../net/sigv4.ts';

// Secrets never reach logs, errors or --debug output.

const secrets = new Set<string>();

/** Register a value that must never be printed (secret key, session token, JWT). */
export function addSecret(value: string | undefined): void {
  if (value && value.length >= 6) secrets.add(value);
}

const PATTERNS: [RegExp, string][] = [
  // JWTs (three base64url parts, header starts with eyJ)
  [/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '<redacted-jwt>'],
  // SigV2: `Authorization: AWS AKID:<base64 signature>` and presigned `?...&Signature=<url-encoded base64>`
  [/(\bAWS [^\s:"',]+:)[A-Za-z0-9+/]{20,}={0,2}/g, '$1<redacted>'],
  [/([?&]Signature=)[A-Za-z0-9%+/=]{16,}/g, '$1<redacted>'],
  // SigV4 Authorization header signature and credential secret parts
  [/(Signature=)[0-9a-f]{16,}/gi, '$1<redacted>'],
  [/(X-Amz-Signature=)[0-9a-f]{16,}/gi, '$1<redacted>'],
  [/(x-amz-security-token["']?\s*[:=]\s*["']?)[^\s"',&]+/gi, '$1<redacted>'],
  [/(X-Amz-Security-Token=)[^&\s]+/g, '$1<redacted>'],
  [/(<SecretAccessKey>)[^<]*/g, '$1<redacted>'],
  [/(<SessionToken>)[^<]*/g, '$1<redacted>'],
  [/("(?:SecretAccessKey|Token|SessionToken)"\s*:\s*")[^"]*/g, '$1<redacted>'],
  // proxy credentials: Proxy-Authorization headers and user:password@ in URLs
  [/(Proxy-Authorization["']?\s*[:=]\s*["']?Basic\s+)[A-Za-z0-9+/=]+/gi, '$1<redacted>'],
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:)[^\s/@]+@/gi, '$1<redacted>@'],
  [/(WebIdentityToken=)[^&\s]+/g, '$1<redacted>'],
  [/((?:secret_key|access_token|aws_secret_access_key|aws_session_token|sse_customer_key|sse_copy_source_customer_key)\s*[=:]\s*)\S+/gi, '$1<redacted>'],
  // SSE-C keys in headers (not their -MD5, which S3 itself returns)
  [/(x-amz-(?:copy-source-)?server-side-encryption-customer-key["']?\s*[:=]\s*["']?)[A-Za-z0-9+/=]+/gi, '$1<redacted>'],
];

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('<redacted>');
  for (const [re, rep] of PATTERNS) out = out.replace(re, rep);
  return out;
}

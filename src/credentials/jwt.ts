// Read the claims of a JWT for messages and checks. No signature verification: STS does that.

export interface JwtClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  /** Seconds since the epoch. */
  exp?: number;
  iat?: number;
  nbf?: number;
  [claim: string]: unknown;
}

/**
 * Decode a JWT's payload (the middle part). Returns undefined when the text is not a JWT: not three
 * dot-separated base64url parts, or a payload that is not a JSON object. Never throws.
 */
export function decodeJwtClaims(token: string): JwtClaims | undefined {
  const parts = token.trim().split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*={0,2}$/.test(p)) || !parts[0] || !parts[1]) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (!header || typeof header !== 'object' || Array.isArray(header)) return undefined;
    if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return undefined;
    return payload as JwtClaims;
  } catch {
    return undefined;
  }
}

/** `aud` as one printable string ("a,b" for a list; "(none)" when absent). */
export function audText(claims: JwtClaims | undefined): string {
  const aud = claims?.aud;
  if (Array.isArray(aud)) return aud.length ? aud.map(String).join(',') : '(none)';
  return aud === undefined || aud === null || aud === '' ? '(none)' : String(aud);
}

/** A claim as printable text, or "(none)". */
export function claimText(v: unknown): string {
  return v === undefined || v === null || v === '' ? '(none)' : String(v);
}

/** `exp` as a Date, when present and numeric. */
export function expDate(claims: JwtClaims | undefined): Date | undefined {
  const exp = claims?.exp;
  return typeof exp === 'number' && Number.isFinite(exp) ? new Date(exp * 1000) : undefined;
}

// Caching and refresh for temporary credentials.
//
// - Advisory window (default 10 min before expiry): start one background refresh, hand out the cached
//   credentials meanwhile, so transfers in flight never wait.
// - Mandatory window (default 5 min before expiry) or expired: wait for the refresh.
// - get({ forceRefresh: true }) (after S3 answered ExpiredToken): refresh now. A burst of such calls
//   (every request in flight signed with the rejected set) shares one fetch: concurrent ones join the
//   fetch in flight, and late ones within FORCE_REFRESH_COALESCE_MS of a forced fetch reuse its result.
//   A set fetched for any other reason (first use, expiry, max age) is never reused by a forced
//   refresh: it is the set S3 just rejected.
// - S3K_CREDENTIALS_MAX_AGE_SECONDS: credentials older than this are refreshed (awaited) whatever
//   their expiration says.
// Every refresh is single flight: concurrent callers share one fetch. For credentials that live
// shorter than the windows, the windows shrink to a fraction of the lifetime so a fresh set is not
// immediately "due".
import { CredentialsError, type CredentialProvider, type Credentials, type CredentialSource } from './types.ts';
import type { TlsOptions } from '../net/http.ts';
import type { RetrySettings } from './transport.ts';

export const ADVISORY_REFRESH_MS = 10 * 60_000;
export const MANDATORY_REFRESH_MS = 5 * 60_000;
/** A forced refresh within this long of the last forced fetch reuses that fetch (a burst of ExpiredToken answers). */
export const FORCE_REFRESH_COALESCE_MS = 1_000;
/** After a failed refresh while cached credentials are still valid, wait this long before trying again. */
export const FAILED_REFRESH_BACKOFF_MS = 10_000;

export interface RefreshOptions {
  /** Clock in ms since the epoch (default Date.now). */
  now?: () => number;
  advisoryMs?: number;
  mandatoryMs?: number;
  /** Cap on the age of cached credentials (S3K_CREDENTIALS_MAX_AGE_SECONDS * 1000). */
  maxAgeMs?: number;
  forceCoalesceMs?: number;
  failedRefreshBackoffMs?: number;
  debug?: (msg: string) => void;
}

/** What every remote provider (web identity, container, IMDS) takes: TLS, logging, clock, retries, cache. */
export interface ProviderOptions {
  tls?: TlsOptions;
  debug?: (msg: string) => void;
  /** Clock in ms since the epoch (expiry checks, session names, cache). */
  now?: () => number;
  retry?: Partial<RetrySettings>;
  /** Cache settings; `now` and `debug` are filled in from above. */
  refresh?: RefreshOptions;
}

interface Entry {
  creds: Credentials;
  fetchedAt: number;
  /** Background refresh from here on. */
  advisoryAt: number;
  /** Await a refresh from here on. */
  mandatoryAt: number;
  /** Unusable from here on. */
  expiresAt: number;
  /** Fetched because S3 rejected the previous set (get({ forceRefresh: true })). */
  forced: boolean;
}

/**
 * Wrap `fetch` (one call to STS, the container agent or IMDS) in a cache. `source` describes the
 * provider for whoami; it is passed through.
 */
export function refreshingProvider(
  name: string,
  fetch: () => Promise<Credentials>,
  source: () => CredentialSource,
  opts: RefreshOptions = {},
): CredentialProvider {
  const now = opts.now ?? Date.now;
  const advisoryMs = opts.advisoryMs ?? ADVISORY_REFRESH_MS;
  const mandatoryMs = opts.mandatoryMs ?? MANDATORY_REFRESH_MS;
  const coalesceMs = opts.forceCoalesceMs ?? FORCE_REFRESH_COALESCE_MS;
  const failBackoffMs = opts.failedRefreshBackoffMs ?? FAILED_REFRESH_BACKOFF_MS;
  const debug = opts.debug ?? (() => {});

  let entry: Entry | undefined;
  let inflight: Promise<Entry> | undefined;
  /** A forced get() started or joined the fetch in flight. */
  let inflightForced = false;
  let lastFailureAt = -Infinity;

  function toEntry(creds: Credentials, at: number, forced: boolean): Entry {
    const expiresAt = creds.expiration ? creds.expiration.getTime() : Infinity;
    const lifetime = expiresAt - at;
    let advisoryAt = Math.max(at, expiresAt - Math.min(advisoryMs, lifetime * 0.75));
    let mandatoryAt = Math.max(at, expiresAt - Math.min(mandatoryMs, lifetime * 0.5));
    if (opts.maxAgeMs !== undefined) {
      mandatoryAt = Math.min(mandatoryAt, at + opts.maxAgeMs);
      advisoryAt = Math.min(advisoryAt, mandatoryAt);
    }
    return { creds, fetchedAt: at, advisoryAt, mandatoryAt, expiresAt, forced };
  }

  function refresh(why: string, forced = false): Promise<Entry> {
    if (inflight) {
      if (forced) inflightForced = true;
      return inflight;
    }
    inflightForced = forced;
    debug(`credentials: ${name}: fetching (${why})`);
    const p = (async () => {
      try {
        const creds = await fetch();
        const e = toEntry(creds, now(), inflightForced);
        entry = e;
        debug(
          `credentials: ${name}: fetched${creds.expiration ? `, expires ${creds.expiration.toISOString()}` : ''}` +
            (Number.isFinite(e.mandatoryAt) ? `, refresh due ${new Date(e.mandatoryAt).toISOString()}` : ''),
        );
        return e;
      } catch (err) {
        lastFailureAt = now();
        throw err;
      } finally {
        inflight = undefined;
      }
    })();
    inflight = p;
    return p;
  }

  return {
    async get(o = {}) {
      const t = now();
      const cur = entry;
      if (o.forceRefresh) {
        // Reuse only a set that was itself fetched for a rejection (a late answer of the same burst);
        // a set from first use or a routine refresh is the one that was just rejected.
        if (cur && cur.forced && t - cur.fetchedAt < coalesceMs) return cur.creds;
        return (await refresh('forced', true)).creds;
      }
      if (!cur) return (await refresh('first use')).creds;
      if (t >= cur.mandatoryAt) {
        const expired = t >= cur.expiresAt;
        if (!expired && t - lastFailureAt < failBackoffMs) return cur.creds;
        try {
          return (await refresh(expired ? 'expired' : t - cur.fetchedAt >= (opts.maxAgeMs ?? Infinity) ? 'max age reached' : 'expiring soon')).creds;
        } catch (err) {
          // Still valid: keep going on what we have and try again later.
          if (now() < cur.expiresAt) {
            debug(`credentials: ${name}: refresh failed, keeping cached credentials until ${new Date(cur.expiresAt).toISOString()}: ${errText(err)}`);
            return cur.creds;
          }
          throw err;
        }
      }
      if (t >= cur.advisoryAt && !inflight && t - lastFailureAt >= failBackoffMs) {
        refresh('background, nearing expiry').catch((err) => {
          debug(`credentials: ${name}: background refresh failed, keeping cached credentials: ${errText(err)}`);
        });
      }
      return cur.creds;
    },
    source,
  };
}

function errText(e: unknown): string {
  if (e instanceof CredentialsError) return e.message;
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

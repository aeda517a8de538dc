// Reachability and clock checks for `s3k doctor`: can this machine resolve, connect to and shake
// hands (TLS) with an endpoint, the way a real request would go (directly, or through the proxy
// that HTTP(S)_PROXY / ALL_PROXY / .s3cfg proxy_host name, NO_PROXY honoured)? And how far is the local clock
// from a server's Date header? Returns facts; never prints.
import dns from 'node:dns/promises';
import net from 'node:net';
import tls from 'node:tls';
import { activeProxyConfig, proxyAuthorization, proxyForUrl, redactProxyUrl, type ProxyConfig } from './proxy.ts';
import { request, type TlsOptions } from './http.ts';
import { proxyHandshake } from './tunnel.ts';

export interface ReachStep {
  step: 'dns' | 'tcp' | 'proxy-connect' | 'tls';
  ok: boolean;
  /** What happened, e.g. "127.0.0.1 -> 127.0.0.1" or "ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1". */
  detail: string;
  /** The errno or failure code when it failed. */
  code?: string;
}

export interface ReachResult {
  ok: boolean;
  /** The proxy the connection went through (password redacted), or undefined when direct. */
  via?: string;
  /** Why the proxy was not used although one is configured (NO_PROXY), for the detail line. */
  bypass?: string;
  /** The setting that names the proxy used or bypassed (HTTPS_PROXY, ALL_PROXY, .s3cfg proxy_host, ...). */
  from?: string;
  steps: ReachStep[];
}

export interface ReachOptions {
  tls?: TlsOptions;
  proxy?: ProxyConfig;
  timeoutMs?: number;
}

const stripBrackets = (h: string) => h.replace(/^\[|\]$/g, '');

function errCode(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err?.code ?? 'ERROR';
}

function errText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return `${err?.code ? `${err.code}: ` : ''}${err?.message ?? String(e)}`.replace(/^(\w+): \1: /, '$1: ');
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(Object.assign(new Error(`${what} timed out after ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

function connectTcp(host: string, port: number, ms: number): Promise<net.Socket> {
  return withTimeout(
    new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host, port });
      s.once('connect', () => resolve(s));
      s.once('error', (e) => {
        s.destroy();
        reject(e);
      });
    }),
    ms,
    `TCP connect to ${host}:${port}`,
  );
}

function tlsHandshake(socket: net.Socket, host: string, o: TlsOptions | undefined, ms: number): Promise<tls.TLSSocket> {
  return withTimeout(
    new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({
        socket,
        host,
        servername: net.isIP(host) ? undefined : host,
        rejectUnauthorized: o?.rejectUnauthorized !== false,
        ...(o?.ca ? { ca: o.ca } : {}),
        ...(o?.checkHostname === false ? { checkServerIdentity: () => undefined } : {}),
      });
      s.once('secureConnect', () => resolve(s));
      s.once('error', (e) => {
        s.destroy();
        reject(e);
      });
    }),
    ms,
    `TLS handshake with ${host}`,
  );
}

function proxyConnect(socket: net.Socket, authority: string, auth: string | undefined, ms: number): Promise<string> {
  return withTimeout(
    proxyHandshake(socket, authority, auth).then(() => 'HTTP 200'),
    ms,
    `proxy CONNECT to ${authority}`,
  );
}

/**
 * Resolve, connect and (for https) shake hands with `url`'s host, the way a request to it would go:
 * through the proxy when one applies (DNS and TCP are then the proxy's; https adds CONNECT), directly
 * otherwise. Stops at the first step that fails. Never throws.
 */
export async function probeReach(url: URL, o: ReachOptions = {}): Promise<ReachResult> {
  const cfg = o.proxy ?? activeProxyConfig();
  const ms = o.timeoutMs ?? 5_000;
  const secure = url.protocol === 'https:';
  const proxy = proxyForUrl(url, cfg);
  const configured = secure ? cfg.https : cfg.http;
  const host = stripBrackets(url.hostname);
  const port = Number(url.port || (secure ? 443 : 80));
  const from = configured ? ((secure ? cfg.from?.https : cfg.from?.http) ?? (secure ? 'HTTPS_PROXY' : 'HTTP_PROXY')) : undefined;
  const res: ReachResult = { ok: false, steps: [], via: proxy ? redactProxyUrl(proxy) : undefined, from };
  if (configured && !proxy) res.bypass = `${from} is set but NO_PROXY (or a credential endpoint rule) sends ${host} direct`;

  const connectHost = proxy ? stripBrackets(proxy.hostname) : host;
  const connectPort = proxy ? Number(proxy.port || (proxy.protocol === 'https:' ? 443 : 80)) : port;
  let address = connectHost;
  if (net.isIP(connectHost)) res.steps.push({ step: 'dns', ok: true, detail: `${connectHost}, an address: no lookup` });
  else {
    try {
      const all = await withTimeout(dns.lookup(connectHost, { all: true }), ms, `DNS lookup of ${connectHost}`);
      address = all[0]!.address;
      res.steps.push({ step: 'dns', ok: true, detail: `${connectHost} -> ${all.map((a) => a.address).join(', ')}` });
    } catch (e) {
      res.steps.push({ step: 'dns', ok: false, detail: `${connectHost}: ${errText(e)}`, code: errCode(e) });
      return res;
    }
  }
  let socket: net.Socket;
  try {
    socket = await connectTcp(address, connectPort, ms);
    res.steps.push({ step: 'tcp', ok: true, detail: `connected to ${net.isIPv6(address) ? `[${address}]` : address}:${connectPort}${proxy ? ' (the proxy)' : ''}` });
  } catch (e) {
    res.steps.push({ step: 'tcp', ok: false, detail: `${address}:${connectPort}${proxy ? ' (the proxy)' : ''}: ${errText(e)}`, code: errCode(e) });
    return res;
  }
  try {
    if (proxy && proxy.protocol === 'https:') socket = await tlsHandshake(socket, stripBrackets(proxy.hostname), o.tls, ms);
    if (proxy && secure) {
      const authority = `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
      const st = await proxyConnect(socket, authority, proxyAuthorization(proxy), ms).catch((e) => {
        res.steps.push({ step: 'proxy-connect', ok: false, detail: errText(e), code: errCode(e) });
        throw e;
      });
      res.steps.push({ step: 'proxy-connect', ok: true, detail: `CONNECT ${authority}: ${st}` });
    }
    if (secure) {
      const t = await tlsHandshake(socket, host, o.tls, ms).catch((e) => {
        res.steps.push({ step: 'tls', ok: false, detail: errText(e), code: errCode(e) });
        throw e;
      });
      socket = t;
      res.steps.push({ step: 'tls', ok: true, detail: `${t.getProtocol() ?? 'TLS'} with ${host}${o.tls?.rejectUnauthorized === false ? ' (certificate not checked: --no-check-certificate)' : ', certificate verified'}` });
    }
    res.ok = true;
  } catch {
    // recorded in steps
  } finally {
    socket.destroy();
  }
  return res;
}

/** One line for a probe: "dns ok (...); tcp ok (...); tls ok (...)", via the proxy when used. */
export function reachSummary(r: ReachResult): string {
  const steps = r.steps.map((s) => `${s.step} ${s.ok ? 'ok' : 'FAILED'} (${s.detail})`).join('; ');
  return `${steps}${r.via ? `; through proxy ${r.via}${r.from ? ` (from ${r.from})` : ''}` : r.bypass ? `; direct: ${r.bypass}` : ''}`;
}

export interface ServerClock {
  /** The Date header as sent. */
  date: string;
  status: number;
  /** Local clock (ms) just before the request and when the answer came. */
  before: number;
  after: number;
}

/** An unsigned HEAD of `url` (through the proxy settings like any request) to read the server's Date header. */
export async function serverClock(url: URL, tlsOptions?: TlsOptions, now: () => number = Date.now): Promise<ServerClock | undefined> {
  const before = now();
  const res = await request({ method: 'HEAD', url, tls: tlsOptions, timeoutMs: 10_000, connectTimeoutMs: 5_000, noKeepAlive: true });
  const after = now();
  const date = res.headers.date;
  return date ? { date, status: res.status, before, after } : undefined;
}

/**
 * Server clock minus local clock in ms, from a Date header (1 s resolution) and the local times
 * around the request: the server stamped it somewhere between `before` and `after`, and the header
 * drops the milliseconds, so differences within that window (plus one second) count as 0.
 * undefined when the header is not a date.
 */
export function clockSkewMs(dateHeader: string, before: number, after: number): number | undefined {
  const server = Date.parse(dateHeader);
  if (!Number.isFinite(server)) return undefined;
  if (server + 1000 < before) return server + 1000 - before;
  if (server > after) return server - after;
  return 0;
}

/** SigV4 rejects requests more than 15 minutes off; doctor warns from 5. */
export const SKEW_WARN_MS = 5 * 60_000;
export const SKEW_FAIL_MS = 15 * 60_000;

export function judgeClockSkew(skewMs: number): 'ok' | 'warn' | 'fail' {
  const a = Math.abs(skewMs);
  return a > SKEW_FAIL_MS ? 'fail' : a > SKEW_WARN_MS ? 'warn' : 'ok';
}

// One item of s3k doctor's checklist (credentials/diagnose.ts, s3/diagnose.ts): here, below both.
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** One line of the doctor's checklist. */
export interface Check {
  /** Stable name, e.g. `irsa.token` (tests and scripts match on it). */
  name: string;
  status: CheckStatus;
  /** What was found. */
  detail: string;
  /** What to do about a warn or fail; may span lines (a trust policy). */
  fix?: string;
  /** The exit code a failure stands for (s3cmd's codes). */
  exitCode?: number;
}

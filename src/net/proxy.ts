// Which proxy, if any, a request goes through. Pure logic: the environment (HTTP_PROXY,
// HTTPS_PROXY, NO_PROXY, read as the AWS CLI reads them) and .s3cfg proxy_host/proxy_port.
//
// - Both cases are read; the lower-case variable wins when both are set (Python's urllib, which
//   the AWS CLI uses, does the same; curl reads only lower-case http_proxy).
// - https:// endpoints use HTTPS_PROXY (a CONNECT tunnel), http:// endpoints HTTP_PROXY
//   (absolute-form requests). A proxy URL without a scheme is taken as http://.
// - ALL_PROXY (either case) is the fallback for a scheme whose own variable is unset, as in curl
//   (botocore and Go's ProxyFromEnvironment ignore it; a user who sets only ALL_PROXY means "all
//   traffic goes through this proxy", and going around it in an egress-only network would just time
//   out). Only http:// and https:// proxies: a socks:// ALL_PROXY that would be used is refused
//   (exit 78) rather than silently bypassed.
// - .s3cfg proxy_host (with proxy_port, default 3128) is used for both schemes, as s3cmd does,
//   and takes precedence over the environment.
// - NO_PROXY: comma or space separated; `*` bypasses everything; host names match themselves
//   and their subdomains (a leading dot or `*.` is ignored); IP addresses match exactly; CIDR
//   blocks (`10.0.0.0/8`, `fd00::/8`) match addresses in them; `host:port` matches that port only.
// - The instance metadata service and the container credential endpoints (EKS Pod Identity
//   agent, ECS) are never proxied, whatever the settings say.
import net from 'node:net';

export interface ProxyConfig {
  http?: URL;
  https?: URL;
  /** The NO_PROXY entries, already split. */
  noProxy: string[];
  /**
   * Where each proxy came from, for messages: the variable as spelled in the environment
   * (`HTTPS_PROXY`, `https_proxy`, `ALL_PROXY`, ...) or `.s3cfg proxy_host`.
   */
  from?: { http?: string; https?: string };
}

/** A variable read both ways (lower case wins), with the spelling that was set. */
function envEntry(env: Record<string, string | undefined>, name: string): { name: string; value: string } | undefined {
  for (const n of [name.toLowerCase(), name.toUpperCase()]) {
    const v = env[n];
    if (v !== undefined && v !== '') return { name: n, value: v };
  }
  return undefined;
}

function envVar(env: Record<string, string | undefined>, name: string): string | undefined {
  return envEntry(env, name)?.value;
}

/** Parse a proxy URL as given in the environment; `host:port` means http://host:port. `from` names the setting, for messages. */
export function parseProxyUrl(raw: string, from?: string): URL {
  const s = raw.trim();
  let u: URL;
  try {
    u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(s) ? s : `http://${s}`);
  } catch {
    throw new Error(`invalid proxy URL ${JSON.stringify(redactProxyUrl(s))}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    if (from === 'ALL_PROXY')
      throw new Error(
        `unsupported proxy scheme ${u.protocol} in ALL_PROXY (${redactProxyUrl(u)}): s3k speaks only to HTTP proxies, not SOCKS; set HTTPS_PROXY and HTTP_PROXY to an http://HOST:PORT proxy, or unset ALL_PROXY`,
      );
    throw new Error(`unsupported proxy scheme ${u.protocol}${from ? ` in ${from}` : ''} (use http://HOST:PORT)`);
  }
  return u;
}

/** The proxy URL with any password replaced, for messages and debug lines. */
export function redactProxyUrl(u: string | URL): string {
  const s = String(u);
  return s.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@]*)@/i, (_m, scheme: string, cred: string) => {
    const c = cred.indexOf(':');
    return `${scheme}${c >= 0 ? `${cred.slice(0, c)}:<redacted>` : cred}@`;
  });
}

export function splitNoProxy(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(/[\s,]+/)
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
}

/** The proxy settings from the environment and, when set, .s3cfg proxy_host/proxy_port. */
export function proxyConfig(env: Record<string, string | undefined>, s3cfg?: { host?: string; port?: number }): ProxyConfig {
  const cfg: ProxyConfig = { noProxy: splitNoProxy(envVar(env, 'no_proxy')) };
  if (s3cfg?.host) {
    const u = parseProxyUrl(s3cfg.host.includes('://') || /:\d+$/.test(s3cfg.host) ? s3cfg.host : `${s3cfg.host}:${s3cfg.port || 3128}`);
    cfg.http = u;
    cfg.https = u;
    cfg.from = { http: '.s3cfg proxy_host', https: '.s3cfg proxy_host' };
    return cfg;
  }
  const h = envEntry(env, 'http_proxy');
  const hs = envEntry(env, 'https_proxy');
  const all = envEntry(env, 'all_proxy');
  const from: { http?: string; https?: string } = {};
  if (h) [cfg.http, from.http] = [parseProxyUrl(h.value), h.name];
  if (hs) [cfg.https, from.https] = [parseProxyUrl(hs.value), hs.name];
  if (all && (!h || !hs)) {
    const u = parseProxyUrl(all.value, 'ALL_PROXY');
    if (!cfg.http) [cfg.http, from.http] = [u, all.name];
    if (!cfg.https) [cfg.https, from.https] = [u, all.name];
  }
  if (from.http || from.https) cfg.from = from;
  return cfg;
}

/** Parse an IPv4 or IPv6 address into a big integer and its bit length, or undefined. */
function ipBits(ip: string): { v: bigint; bits: number } | undefined {
  const kind = net.isIP(ip);
  if (kind === 4) {
    return { v: ip.split('.').reduce((a, p) => (a << 8n) | BigInt(Number(p)), 0n), bits: 32 };
  }
  if (kind === 6) {
    let s = ip;
    // IPv4-mapped tail
    const m = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
    if (m) {
      const v4 = ipBits(m[1])!.v;
      s = s.slice(0, -m[1].length) + `${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
    }
    const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
    const hs = head ? head.split(':') : [];
    const ts = tail ? tail.split(':') : [];
    const groups = tail === undefined ? hs : [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts];
    return { v: groups.reduce((a, g) => (a << 16n) | BigInt(parseInt(g || '0', 16)), 0n), bits: 128 };
  }
  return undefined;
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, lenS] = cidr.split('/');
  const a = ipBits(ip);
  const b = ipBits(base);
  const len = Number(lenS);
  if (!a || !b || a.bits !== b.bits || !/^\d+$/.test(lenS) || len > b.bits) return false;
  const shift = BigInt(b.bits - len);
  return a.v >> shift === b.v >> shift;
}

/** Does NO_PROXY say to connect to this host (and port) directly? */
export function noProxyMatches(hostname: string, port: number, entries: string[]): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
  for (const raw of entries) {
    if (raw === '*') return true;
    let e = raw;
    let ePort: number | undefined;
    // [v6]:port, host:port (a bare IPv6 address has more than one colon)
    const br = /^\[([^\]]+)\](?::(\d+))?$/.exec(e);
    if (br) {
      e = br[1];
      ePort = br[2] ? Number(br[2]) : undefined;
    } else if ((e.match(/:/g) ?? []).length === 1) {
      const [h, p] = e.split(':');
      e = h;
      if (/^\d+$/.test(p)) ePort = Number(p);
    }
    if (ePort !== undefined && ePort !== port) continue;
    if (e.includes('/')) {
      if (net.isIP(host) && inCidr(host, e)) return true;
      continue;
    }
    if (net.isIP(e) || net.isIP(host)) {
      if (net.isIP(e) && net.isIP(host) && ipBits(e)!.v === ipBits(host)!.v && ipBits(e)!.bits === ipBits(host)!.bits) return true;
      continue;
    }
    e = e.replace(/^\*?\./, '').replace(/\.$/, '');
    if (!e) continue;
    if (host === e || host.endsWith(`.${e}`)) return true;
  }
  return false;
}

/** Hosts that are never proxied: IMDS (v4 and v6) and the ECS and EKS Pod Identity agents. */
const NEVER = ['169.254.169.254', 'fd00:ec2::254', '169.254.170.2', '169.254.170.23', 'fd00:ec2::23'];

export function isCredentialEndpointHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return NEVER.some((n) => net.isIP(host) && net.isIP(n) === net.isIP(host) && ipBits(n)!.v === ipBits(host)!.v);
}

/** The proxy for a request to `url`, or undefined to connect directly. */
export function proxyForUrl(url: URL, cfg: ProxyConfig): URL | undefined {
  const secure = url.protocol === 'https:';
  const proxy = secure ? cfg.https : cfg.http;
  if (!proxy) return undefined;
  if (isCredentialEndpointHost(url.hostname)) return undefined;
  const port = url.port ? Number(url.port) : secure ? 443 : 80;
  if (noProxyMatches(url.hostname, port, cfg.noProxy)) return undefined;
  return proxy;
}

/** `Proxy-Authorization` value for a proxy URL with user:password, or undefined. */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (!proxy.username && !proxy.password) return undefined;
  const user = decodeURIComponent(proxy.username);
  const pass = decodeURIComponent(proxy.password);
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

// The process-wide setting: from the environment until configureProxy() is called with the
// settings (main.ts / commands/context.ts).
let current: ProxyConfig | undefined;

export function configureProxy(cfg: ProxyConfig): void {
  current = cfg;
}

export function activeProxyConfig(): ProxyConfig {
  if (!current) current = proxyConfig(process.env);
  return current;
}

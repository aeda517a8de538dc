// HTTP plumbing shared by s3/ and credentials/: keep-alive agents, timeouts, buffered and streamed
// responses. Nothing here knows about S3 or credentials.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import net from 'node:net';
import { h1Request, closeH1Pools } from './h1.ts';
import { activeProxyConfig, proxyAuthorization, proxyForUrl } from './proxy.ts';
import { connectTunnel, TunnelAgent } from './tunnel.ts';
import { EX, S3kError, exitCodeForErrno } from '../errors.ts';

export interface TlsOptions {
  /** Verify the server certificate (default true). */
  rejectUnauthorized?: boolean;
  /** CA bundle (PEM) trusted instead of the system's, e.g. from --ca-certs or AWS_CA_BUNDLE. */
  ca?: string | Buffer;
  /**
   * A PEM file to read `ca` from, on the first https request (so a run that only speaks plain http
   * never needs it, as with s3cmd). `caFileFrom` names the setting it came from, for messages.
   */
  caFile?: string;
  caFileFrom?: string;
  /** Check that the certificate matches the host name (default true). */
  checkHostname?: boolean;
}

const caFiles = new Map<string, Buffer>();

/** `o` with `ca` read from `o.caFile` (once per file); a missing or certificate-less file is an error. */
export function resolveCa(o: TlsOptions | undefined): TlsOptions | undefined {
  if (!o?.caFile || o.ca) return o;
  let pem = caFiles.get(o.caFile);
  if (!pem) {
    const from = o.caFileFrom ?? '--ca-certs';
    try {
      pem = readFileSync(o.caFile);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
      // s3cmd fails here with an IOError (exit 74)
      throw new S3kError(`cannot read the CA certificates file '${o.caFile}' (${from}): ${code === 'ENOENT' ? 'No such file or directory' : code === 'EACCES' ? 'Permission denied' : code}; point ${from} at a PEM file with the CA certificates to trust`, EX.IOERR);
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----'))
      throw new S3kError(`SSL certificate verification failure: the CA certificates file '${o.caFile}' (${from}) holds no PEM certificate (-----BEGIN CERTIFICATE-----); point ${from} at a PEM bundle`, EX.ACCESSDENIED);
    caFiles.set(o.caFile, pem);
  }
  return { ...o, ca: pem };
}

export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string | number>;
  body?: Buffer | string | Readable;
  /** Idle socket timeout in ms: no byte sent or received for this long aborts the request. */
  timeoutMs?: number;
  /** Abort the connect phase after this many ms (default: timeoutMs). */
  connectTimeoutMs?: number;
  tls?: TlsOptions;
  /** Use a fresh connection instead of the shared keep-alive pool (metadata endpoints). */
  noKeepAlive?: boolean;
  signal?: AbortSignal;
  /** Never through a proxy (instance metadata, container credential endpoints). */
  direct?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A network-level failure (no HTTP status). `code` is the errno name, e.g. ECONNREFUSED. */
export class NetworkError extends S3kError {
  /** The request went out on a reused keep-alive connection that failed before any byte came back. */
  staleConnection = false;
  constructor(
    message: string,
    readonly code: string,
    readonly url: string,
    readonly errno?: number,
  ) {
    super(message, exitCodeForErrno(code, 'network'));
    this.name = 'NetworkError';
  }
  /** The server's certificate did not verify (chain, expiry or name). */
  get isTlsVerification(): boolean {
    return this.exitCode === EX.ACCESSDENIED;
  }
  /** One line for a certificate failure: which server, why, and what to do. `what` names the service (e.g. 'STS endpoint'). */
  tlsLine(what?: string): string {
    const where = [what, this.url].filter(Boolean).join(' ') || 'the server';
    const fix =
      this.code === 'ERR_TLS_CERT_ALTNAME_INVALID'
        ? 'connect by a name the certificate holds (host_base / --host / AWS_ENDPOINT_URL), or skip the name check with --no-check-hostname (insecure)'
        : "trust the server's CA with --ca-certs FILE (.s3cfg ca_certs_file) or AWS_CA_BUNDLE, or skip the check with --no-check-certificate (insecure)";
    return `SSL certificate verification failure: ${where}: ${this.message} (${this.code}); ${fix}`;
  }
  override get line(): string {
    switch (this.exitCode) {
      case EX.CONNECTIONREFUSED:
        return `[Errno 111] Connection refused: ${this.url || 'endpoint'}. Check host_base / --host / AWS_ENDPOINT_URL and that the server is running.`;
      case EX.IOERR:
        return `${this.message}. Check host_base / --host / AWS_ENDPOINT_URL.`;
      case EX.ACCESSDENIED:
        return this.tlsLine();
      default:
        return `S3 Temporary Error: ${this.message} (${this.url}).  Please try again later.`;
    }
  }
}

const agents = new Map<string, http.Agent>();

function agentFor(url: URL, tls: TlsOptions | undefined, keepAlive: boolean): http.Agent {
  const isHttps = url.protocol === 'https:';
  const key = `${isHttps}|${keepAlive}|${tls?.rejectUnauthorized !== false}|${tls?.checkHostname !== false}|${tls?.ca ? 'ca' : ''}`;
  let agent = agents.get(key);
  if (agent) return agent;
  const common = { keepAlive, maxSockets: 256, maxFreeSockets: 256, scheduling: 'lifo' as const };
  if (isHttps) {
    // Only set what differs from the defaults: an explicit `undefined` checkServerIdentity
    // trips an internal assertion in node's TLS code.
    agent = new https.Agent({
      ...common,
      rejectUnauthorized: tls?.rejectUnauthorized !== false,
      ...(tls?.ca ? { ca: tls.ca } : {}),
      ...(tls?.checkHostname === false ? { checkServerIdentity: () => undefined } : {}),
    });
  } else {
    agent = new http.Agent(common);
  }
  agents.set(key, agent);
  return agent;
}

/** The keep-alive agent whose connections are CONNECT tunnels through `proxy` (one per proxy, TLS settings and timeout). */
function tunnelAgentFor(proxy: URL, tls: TlsOptions | undefined, timeoutMs: number): http.Agent {
  const key = `tunnel|${proxy.href}|${timeoutMs}|${tls?.rejectUnauthorized !== false}|${tls?.checkHostname !== false}|${tls?.ca ? 'ca' : ''}`;
  const have = agents.get(key);
  if (have) return have;
  const agent = new TunnelAgent(proxy, tls, timeoutMs, { keepAlive: true, maxSockets: 256, maxFreeSockets: 256, scheduling: 'lifo' });
  agents.set(key, agent);
  return agent;
}

/** Close idle keep-alive sockets so the process can exit promptly. */
export function destroyAgents(): void {
  for (const a of agents.values()) a.destroy();
  agents.clear();
  closeH1Pools();
}

const useNodeHttp = process.env.S3K_HTTP === 'node';

const ERRNO: Record<string, number> = { ECONNREFUSED: 111, ECONNRESET: 104, ETIMEDOUT: 110, EHOSTUNREACH: 113, ENETUNREACH: 101, EPIPE: 32 };

function toNetworkError(err: NodeJS.ErrnoException & { reusedBeforeAnyByte?: boolean }, url: URL): NetworkError {
  const code = err.code ?? 'ENETWORK';
  let msg: string;
  switch (code) {
    case 'ECONNREFUSED':
      msg = 'Connection refused';
      break;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      msg = `Name or service not known: ${url.hostname}`;
      break;
    case 'ETIMEDOUT':
      msg = 'Connection timed out';
      break;
    case 'ECONNRESET':
      msg = 'Connection reset by peer';
      break;
    default:
      msg = err.message || code;
  }
  const e = new NetworkError(msg, code, url.origin, ERRNO[code]);
  e.staleConnection = err.reusedBeforeAnyByte === true;
  return e;
}

/** Send a request and resolve with the response stream once the headers arrive. */
export function requestStream(req0: HttpRequest): Promise<http.IncomingMessage> {
  let req = req0;
  if (req.url.protocol === 'https:' && req.tls?.caFile && !req.tls.ca) {
    try {
      req = { ...req, tls: resolveCa(req.tls) };
    } catch (e) {
      return Promise.reject(e);
    }
  }
  // The S3 data path goes through the lean client (HTTPS through a proxy included: it pools the
  // CONNECT tunnels); metadata endpoints (short connect timeouts, abort signals, no keep-alive)
  // keep node:http.
  const proxy = req.direct ? undefined : proxyForUrl(req.url, activeProxyConfig());
  if (!useNodeHttp && !req.noKeepAlive && !req.connectTimeoutMs && !req.signal) {
    return h1Request({ method: req.method, url: req.url, headers: req.headers ?? {}, body: req.body, timeoutMs: req.timeoutMs ?? 300_000, tls: req.tls, direct: req.direct }).then(
      (r) => r as unknown as http.IncomingMessage,
      (e: NodeJS.ErrnoException) => {
        throw toNetworkError(e, req.url);
      },
    );
  }
  const { url } = req;
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      reject(e);
    };
    const auth = proxy && proxyAuthorization(proxy);
    const options: https.RequestOptions = {
      method: req.method,
      headers: req.headers as http.OutgoingHttpHeaders,
      agent: agentFor(url, req.tls, !req.noKeepAlive),
      signal: req.signal,
    };
    let target: URL | string = url;
    if (proxy && url.protocol === 'http:') {
      // absolute-form request to the proxy
      Object.assign(options, {
        protocol: 'http:',
        hostname: proxy.hostname.replace(/^\[|\]$/g, ''),
        port: proxy.port || 80,
        path: url.href,
        agent: agentFor(new URL('http://proxy'), undefined, !req.noKeepAlive),
        headers: { ...(req.headers as http.OutgoingHttpHeaders), host: url.host, ...(auth ? { 'proxy-authorization': auth } : {}) },
      });
      target = '';
    } else if (proxy && !req.noKeepAlive) {
      // keep-alive: pooled tunnels, one CONNECT per connection
      options.agent = tunnelAgentFor(proxy, req.tls, req.connectTimeoutMs ?? req.timeoutMs ?? 300_000);
    } else if (proxy) {
      // a one-off tunnel. No agent: node:http then calls createConnection (with agent: false it would not)
      delete options.agent;
      options.createConnection = ((_o: unknown, cb: (err: Error | null, s?: net.Socket) => void) => {
        connectTunnel(proxy, url, req.connectTimeoutMs ?? req.timeoutMs ?? 300_000, req.tls).then(
          (s) => cb(null, s),
          (e: Error) => cb(e),
        );
        return undefined;
      }) as unknown as https.RequestOptions['createConnection'];
    }
    const r = target ? mod.request(target, options, onResponse) : http.request(options, onResponse);
    function onResponse(res: http.IncomingMessage) {
      settled = true;
      resolve(res);
    }
    const timeout = req.timeoutMs ?? 300_000;
    r.setTimeout(timeout, () => {
      r.destroy(Object.assign(new Error(`no response in ${timeout} ms`), { code: 'ETIMEDOUT' }));
    });
    if (req.connectTimeoutMs) {
      const t = setTimeout(() => {
        r.destroy(Object.assign(new Error(`connect timed out after ${req.connectTimeoutMs} ms`), { code: 'ETIMEDOUT' }));
      }, req.connectTimeoutMs);
      r.once('socket', (s) => {
        if (!s.connecting) clearTimeout(t);
        else s.once('connect', () => clearTimeout(t));
      });
      r.once('close', () => clearTimeout(t));
    }
    r.on('error', (e: NodeJS.ErrnoException) => fail(e.name === 'AbortError' ? e : toNetworkError(e, url)));
    const body = req.body;
    if (body === undefined) r.end();
    else if (typeof body === 'string' || Buffer.isBuffer(body)) r.end(body);
    else {
      body.on('error', (e) => {
        r.destroy(e);
        fail(e);
      });
      body.pipe(r);
    }
  });
}

/** Read a whole response body into memory (for XML/JSON replies, never for object data). */
export function readBody(res: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // Already failed (reset before the first read): its 'error' event has been emitted.
    const failed = res.errored as NodeJS.ErrnoException | null;
    if (failed) return reject(new NetworkError(failed.message, failed.code ?? 'ECONNRESET', ''));
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', (e: NodeJS.ErrnoException) => reject(new NetworkError(e.message, e.code ?? 'ECONNRESET', '')));
    res.on('aborted', () => reject(new NetworkError('response aborted', 'ECONNRESET', '')));
  });
}

/** Send a request and buffer the whole response. */
export async function request(req: HttpRequest): Promise<HttpResponse> {
  const res = await requestStream(req);
  const body = await readBody(res);
  return { status: res.statusCode ?? 0, headers: res.headers, body };
}

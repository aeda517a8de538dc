// A small HTTP/1.1 client on net/tls sockets with keep-alive pooling. It does what an S3 client
// needs (Content-Length and chunked bodies, streamed request and response bodies, back-pressure)
// and costs about half the CPU per request of node:http, which matters when a sync moves
// thousands of small objects. Set S3K_HTTP=node to use node:http instead.
import net from 'node:net';
import tls from 'node:tls';
import { Readable } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import { activeProxyConfig, proxyAuthorization, proxyForUrl } from './proxy.ts';
import { connectTunnel } from './tunnel.ts';

export interface H1Options {
  rejectUnauthorized?: boolean;
  ca?: string | Buffer;
  checkHostname?: boolean;
}

/** The response: a Readable of the body with statusCode and headers, like IncomingMessage. */
export class H1Response extends Readable {
  statusCode = 0;
  headers: IncomingHttpHeaders = {};
  constructor(private readonly onRead: () => void) {
    super({ highWaterMark: 256 * 1024 });
  }
  override _read(): void {
    this.onRead();
  }
}

type Framing = { kind: 'length'; left: number } | { kind: 'chunked'; left: number; state: 'size' | 'data' | 'crlf' | 'trailer' } | { kind: 'close' } | { kind: 'none' };

const MAX_HEADER = 64 * 1024;

class Conn {
  busy = false;
  dead = false;
  used = 0;
  private buf: Buffer | undefined;
  private res: H1Response | undefined;
  private framing: Framing = { kind: 'none' };
  private onHead?: (r: H1Response) => void;
  private onError?: (e: NodeJS.ErrnoException) => void;
  private gotBytes = false;
  private idleTimer?: NodeJS.Timeout;
  private method = 'GET';
  /** The request body has been handed to the socket completely. */
  private bodySent = true;
  private hadBody = false;

  constructor(
    readonly key: string,
    /** A connected (or connecting) socket: plain, TLS, or TLS inside a proxy's CONNECT tunnel. */
    readonly sock: net.Socket,
    private readonly release: (c: Conn) => void,
  ) {
    this.sock.setNoDelay(true);
    this.sock.on('data', (d: Buffer) => this.data(d));
    this.sock.on('error', (e: NodeJS.ErrnoException) => this.fail(e));
    this.sock.on('close', () => this.closed());
    this.sock.on('timeout', () => this.sock.destroy(Object.assign(new Error(`no data for ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
  }

  private timeoutMs = 0;

  /** Send a request; resolves with the response once its head has arrived. */
  send(head: string, body: Buffer | string | Readable | undefined, method: string, timeoutMs: number): Promise<H1Response> {
    this.busy = true;
    this.used++;
    this.method = method;
    this.gotBytes = false;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.timeoutMs = timeoutMs;
    this.sock.setTimeout(timeoutMs);
    return new Promise<H1Response>((resolve, reject) => {
      this.onHead = resolve;
      this.onError = reject;
      this.hadBody = body !== undefined && (typeof body !== 'string' && !Buffer.isBuffer(body) ? true : body.length > 0);
      this.bodySent = true;
      if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) {
        this.sock.cork();
        this.sock.write(head, 'latin1');
        if (body !== undefined && body.length) this.sock.write(body);
        process.nextTick(() => this.sock.uncork());
      } else {
        this.sock.write(head, 'latin1');
        this.bodySent = false;
        body.on('error', (e) => this.sock.destroy(e));
        body.on('end', () => (this.bodySent = true));
        body.pipe(this.sock, { end: false });
      }
    });
  }

  private data(d: Buffer): void {
    this.gotBytes = true;
    this.buf = this.buf && this.buf.length ? Buffer.concat([this.buf, d]) : d;
    this.pump();
  }

  private pump(): void {
    while (this.buf && this.buf.length) {
      if (!this.res) {
        const end = this.buf.indexOf('\r\n\r\n');
        if (end < 0) {
          if (this.buf.length > MAX_HEADER) this.sock.destroy(Object.assign(new Error('response head too large'), { code: 'EPROTO' }));
          return;
        }
        const head = this.buf.toString('latin1', 0, end);
        this.buf = this.buf.subarray(end + 4);
        if (!this.startResponse(head)) return;
        continue;
      }
      if (!this.body()) return;
    }
  }

  private startResponse(head: string): boolean {
    const lines = head.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
    if (!m) {
      this.sock.destroy(Object.assign(new Error(`malformed response: ${lines[0].slice(0, 80)}`), { code: 'EPROTO' }));
      return false;
    }
    const status = Number(m[1]);
    if (status === 100) return true; // 100 Continue: the real head follows
    const headers: IncomingHttpHeaders = {};
    for (let i = 1; i < lines.length; i++) {
      const c = lines[i].indexOf(':');
      if (c <= 0) continue;
      const k = lines[i].slice(0, c).trim().toLowerCase();
      const v = lines[i].slice(c + 1).trim();
      const prev = headers[k];
      if (prev === undefined) headers[k] = v;
      else if (k === 'set-cookie') headers[k] = [...(Array.isArray(prev) ? prev : [prev]), v];
      else headers[k] = `${prev}, ${v}`;
    }
    const res = new H1Response(() => {
      if (this.res === res) this.sock.resume();
    });
    res.statusCode = status;
    res.headers = headers;
    this.res = res;
    const te = String(headers['transfer-encoding'] ?? '').toLowerCase();
    if (this.method === 'HEAD' || status === 204 || status === 304) this.framing = { kind: 'none' };
    else if (te.includes('chunked')) this.framing = { kind: 'chunked', left: 0, state: 'size' };
    else if (headers['content-length'] !== undefined) this.framing = { kind: 'length', left: Number(headers['content-length']) };
    else this.framing = { kind: 'close' };
    const cb = this.onHead;
    this.onHead = undefined;
    this.onError = undefined;
    cb?.(res);
    if (this.framing.kind === 'none' || (this.framing.kind === 'length' && this.framing.left === 0)) this.finish();
    return true;
  }

  /** Feed body bytes from this.buf; returns false when more input is needed. */
  private body(): boolean {
    const res = this.res!;
    const f = this.framing;
    const push = (chunk: Buffer) => {
      if (!res.push(chunk)) this.sock.pause();
    };
    if (f.kind === 'length') {
      const n = Math.min(f.left, this.buf!.length);
      push(this.buf!.subarray(0, n));
      this.buf = this.buf!.subarray(n);
      f.left -= n;
      if (f.left === 0) this.finish();
      return f.left === 0;
    }
    if (f.kind === 'close') {
      push(this.buf!);
      this.buf = undefined;
      return false;
    }
    if (f.kind === 'chunked') {
      for (;;) {
        const b = this.buf!;
        if (f.state === 'size') {
          const e = b.indexOf('\r\n');
          if (e < 0) return false;
          f.left = parseInt(b.toString('latin1', 0, e).split(';')[0], 16);
          this.buf = b.subarray(e + 2);
          if (Number.isNaN(f.left)) {
            this.sock.destroy(Object.assign(new Error('bad chunk size'), { code: 'EPROTO' }));
            return false;
          }
          f.state = f.left === 0 ? 'trailer' : 'data';
        } else if (f.state === 'data') {
          const n = Math.min(f.left, b.length);
          if (n === 0) return false;
          push(b.subarray(0, n));
          this.buf = b.subarray(n);
          f.left -= n;
          if (f.left === 0) f.state = 'crlf';
        } else if (f.state === 'crlf') {
          if (b.length < 2) return false;
          this.buf = b.subarray(2);
          f.state = 'size';
        } else {
          // trailer section ends with an empty line
          const e = b.indexOf('\r\n');
          if (e < 0) return false;
          this.buf = b.subarray(e + 2);
          if (e === 0) {
            this.finish();
            return true;
          }
        }
      }
    }
    return false;
  }

  private finish(): void {
    const res = this.res;
    // Not reused: the server said close; the body was read to the end of the connection; or the
    // server answered an error before (or while) taking our request body, which it may not have read.
    const keep =
      !/close/i.test(String(res?.headers.connection ?? '')) &&
      this.framing.kind !== 'close' &&
      this.bodySent &&
      !(this.hadBody && (res?.statusCode ?? 0) >= 400);
    this.res = undefined;
    this.framing = { kind: 'none' };
    this.sock.setTimeout(0);
    this.busy = false;
    res?.push(null);
    if (keep && !this.dead) {
      this.sock.resume();
      this.idleTimer = setTimeout(() => this.sock.destroy(), 4000);
      this.idleTimer.unref();
      this.sock.unref();
      this.release(this);
    } else this.sock.destroy();
  }

  /** Called when a pooled socket is taken again. */
  take(): void {
    this.sock.ref();
  }

  private fail(e: NodeJS.ErrnoException): void {
    this.dead = true;
    const err = Object.assign(e, { reusedBeforeAnyByte: this.used > 1 && !this.gotBytes });
    if (this.onError) {
      const cb = this.onError;
      this.onError = undefined;
      this.onHead = undefined;
      cb(err);
    } else if (this.res) {
      const r = this.res;
      this.res = undefined;
      r.destroy(Object.assign(new Error(e.message), { code: e.code ?? 'ECONNRESET' }));
    }
  }

  private closed(): void {
    this.dead = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.framing.kind === 'close' && this.res) {
      const r = this.res;
      this.res = undefined;
      this.busy = false;
      r.push(null);
      return;
    }
    this.fail(Object.assign(new Error('socket closed'), { code: 'ECONNRESET' }));
  }
}

const pools = new Map<string, Conn[]>();

function poolKey(url: URL, o: H1Options, proxy: URL | undefined): string {
  return `${url.protocol}//${url.host}|${o.rejectUnauthorized !== false}|${o.checkHostname !== false}|${o.ca ? 'ca' : ''}|${proxy ? proxy.href : ''}`;
}

function connect(host: string, port: number, secure: boolean, o: H1Options): net.Socket {
  if (!secure) return net.connect({ host, port });
  return tls.connect({
    host,
    port,
    servername: net.isIP(host) ? undefined : host,
    rejectUnauthorized: o.rejectUnauthorized !== false,
    ...(o.ca ? { ca: o.ca } : {}),
    ...(o.checkHostname === false ? { checkServerIdentity: () => undefined } : {}),
  });
}

function releaseConn(c: Conn): void {
  let list = pools.get(c.key);
  if (!list) pools.set(c.key, (list = []));
  list.push(c);
}

/** An idle pooled connection, or a new one. A new https connection through a proxy is a CONNECT tunnel (async). */
function getConn(url: URL, o: H1Options, proxy: URL | undefined, timeoutMs: number): Conn | Promise<Conn> {
  const key = poolKey(url, o, proxy);
  const idle = pools.get(key);
  while (idle && idle.length) {
    const c = idle.pop()!;
    if (!c.dead && !c.busy) {
      c.take();
      return c;
    }
  }
  if (proxy && url.protocol === 'https:') return connectTunnel(proxy, url, timeoutMs, o).then((s) => new Conn(key, s, releaseConn));
  // Through an HTTP proxy: connect to the proxy and send absolute-form requests.
  const target = proxy ?? url;
  const secure = target.protocol === 'https:';
  const port = target.port ? Number(target.port) : secure ? 443 : 80;
  const host = target.hostname.replace(/^\[|\]$/g, '');
  return new Conn(key, connect(host, port, secure, o), releaseConn);
}

export interface H1Request {
  method: string;
  url: URL;
  headers: Record<string, string | number>;
  body?: Buffer | string | (() => Readable) | Readable;
  timeoutMs: number;
  tls?: H1Options;
  /** Never through a proxy. */
  direct?: boolean;
}

/** Send a request and resolve with the response once its head arrives. */
export async function h1Request(req: H1Request): Promise<H1Response> {
  const proxy = req.direct ? undefined : proxyForUrl(req.url, activeProxyConfig());
  // https through a proxy: origin-form requests inside a pooled CONNECT tunnel; http: absolute-form to the proxy
  const absolute = proxy && req.url.protocol === 'http:';
  const target = absolute ? `${req.url.protocol}//${req.url.host}${req.url.pathname}${req.url.search}` : `${req.url.pathname}${req.url.search}`;
  let head = `${req.method} ${target} HTTP/1.1\r\nHost: ${req.url.host}\r\n`;
  const auth = absolute && proxyAuthorization(proxy);
  if (auth) head += `Proxy-Authorization: ${auth}\r\n`;
  let hasLength = false;
  for (const [k, v] of Object.entries(req.headers)) {
    if (k.toLowerCase() === 'host') continue;
    if (k.toLowerCase() === 'content-length') hasLength = true;
    if (/[\r\n]/.test(String(v))) throw Object.assign(new Error(`invalid character in header ${k}`), { code: 'ERR_INVALID_CHAR' });
    head += `${k}: ${v}\r\n`;
  }
  const body = typeof req.body === 'function' ? req.body() : req.body;
  if (!hasLength && (typeof body === 'string' || Buffer.isBuffer(body))) head += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
  else if (!hasLength && body === undefined && (req.method === 'PUT' || req.method === 'POST')) head += 'Content-Length: 0\r\n';
  head += '\r\n';
  // One send. A kept-alive socket the server closed while it sat idle fails with
  // `reusedBeforeAnyByte` set; the caller's retry budget decides whether to send again (on a fresh
  // connection, without waiting), so that attempt is counted like any other.
  const conn = getConn(req.url, req.tls ?? {}, proxy, req.timeoutMs);
  return (conn instanceof Conn ? conn : await conn).send(head, body, req.method, req.timeoutMs);
}

/** Close every pooled connection (at exit). */
export function closeH1Pools(): void {
  for (const list of pools.values()) for (const c of list) c.sock.destroy();
  pools.clear();
}

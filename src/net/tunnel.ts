// HTTPS through an HTTP proxy: a CONNECT tunnel to the target's host:port, then TLS inside it,
// end to end with the target (the proxy sees only the encrypted bytes). The TLS socket that comes
// back is an ordinary keep-alive connection: net/h1.ts pools it per target and proxy like a direct
// one, and TunnelAgent does the same for the node:http path, so a run pays one CONNECT and one
// TLS handshake per pooled connection, not per request.
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { proxyAuthorization } from './proxy.ts';

export interface TunnelTls {
  rejectUnauthorized?: boolean;
  ca?: string | Buffer;
  checkHostname?: boolean;
}

/**
 * Ask the proxy on `socket` for a tunnel to `authority` (host:port): send CONNECT and read the
 * answer's head. Resolves on 200; otherwise rejects with EPROXY (refused) or EPROTO (head too large).
 */
export function proxyHandshake(socket: net.Socket, authority: string, auth: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > 16384) finish(Object.assign(new Error('proxy answered CONNECT with a too large head'), { code: 'EPROTO' }));
        return;
      }
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(buf.toString('latin1', 0, end));
      if (status?.[1] === '200') finish();
      else finish(Object.assign(new Error(`proxy refused CONNECT to ${authority}: ${status ? `HTTP ${status[1]}` : 'malformed answer'}`), { code: 'EPROXY' }));
    };
    const finish = (e?: Error) => {
      socket.off('data', onData);
      socket.off('error', finish);
      if (e) reject(e);
      else resolve();
    };
    socket.on('data', onData);
    socket.once('error', finish);
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth ? `Proxy-Authorization: ${auth}\r\n` : ''}\r\n`);
  });
}

/** Open a CONNECT tunnel through `proxy` to `url`'s host and start TLS in it. */
export function connectTunnel(proxy: URL, url: URL, timeoutMs: number, o: TunnelTls | undefined): Promise<tls.TLSSocket> {
  const auth = proxyAuthorization(proxy);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 443);
  const authority = `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
  return new Promise((resolve, reject) => {
    const proxySecure = proxy.protocol === 'https:';
    const pHost = proxy.hostname.replace(/^\[|\]$/g, '');
    const pPort = Number(proxy.port || (proxySecure ? 443 : 80));
    const raw: net.Socket = proxySecure ? tls.connect({ host: pHost, port: pPort, servername: net.isIP(pHost) ? undefined : pHost }) : net.connect({ host: pHost, port: pPort });
    const t = setTimeout(() => raw.destroy(Object.assign(new Error(`proxy CONNECT timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
    const done = (e?: Error) => {
      clearTimeout(t);
      if (e) {
        raw.destroy();
        reject(e);
      }
    };
    raw.once('error', (e) => done(e));
    proxyHandshake(raw, authority, auth).then(() => {
      done();
      raw.removeAllListeners('error');
      const s = tls.connect({
        socket: raw,
        host,
        servername: net.isIP(host) ? undefined : host,
        rejectUnauthorized: o?.rejectUnauthorized !== false,
        ...(o?.ca ? { ca: o.ca } : {}),
        ...(o?.checkHostname === false ? { checkServerIdentity: () => undefined } : {}),
      });
      resolve(s);
    }, done);
  });
}

/**
 * A keep-alive https.Agent whose connections are CONNECT tunnels through one proxy: node:http pools
 * them per target host:port (the agent's name) with the agent's maxSockets, like a direct agent.
 */
export class TunnelAgent extends https.Agent {
  constructor(
    private readonly proxy: URL,
    private readonly tlsOptions: TunnelTls | undefined,
    private readonly connectTimeoutMs: number,
    opts: https.AgentOptions,
  ) {
    super(opts);
  }
  override createConnection(options: https.RequestOptions, cb?: (err: Error | null, s: Duplex) => void): Duplex | undefined {
    const host = String(options.hostname ?? options.host ?? 'localhost');
    const url = new URL(`https://${net.isIPv6(host) ? `[${host}]` : host}:${options.port ?? 443}/`);
    connectTunnel(this.proxy, url, this.connectTimeoutMs, this.tlsOptions).then(
      (s) => cb?.(null, s),
      (e: Error) => cb?.(e, undefined as unknown as Duplex),
    );
    return undefined;
  }
}

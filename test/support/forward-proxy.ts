// A small forward proxy on 127.0.0.1 that counts what passes through it: absolute-form HTTP
// requests are forwarded, CONNECT opens a TCP tunnel. Targets must be loopback. With `auth` set
// it answers 407 to requests without that Basic Proxy-Authorization.
import http from 'node:http';
import net from 'node:net';

export interface ForwardedRequest {
  method: string;
  /** The request target as received (absolute-form for a proxy). */
  target: string;
  host: string | undefined;
  proxyAuthorization: string | undefined;
}

export interface ForwardProxy {
  url: string;
  port: number;
  requests: ForwardedRequest[];
  /** CONNECT authorities, in order. */
  connects: { authority: string; proxyAuthorization: string | undefined }[];
  /** Requests or CONNECTs answered 407. */
  rejected: number;
  /** TCP connections accepted from clients (a keep-alive client opens few). */
  connections: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export async function startForwardProxy(opts: { auth?: { user: string; pass: string } } = {}): Promise<ForwardProxy> {
  const want = opts.auth ? `Basic ${Buffer.from(`${opts.auth.user}:${opts.auth.pass}`).toString('base64')}` : undefined;
  const sockets = new Set<net.Socket>();
  const agent = new http.Agent({ keepAlive: true });
  const p: ForwardProxy = {
    url: '',
    port: 0,
    requests: [],
    connects: [],
    rejected: 0,
    connections: 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      agent.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = http.createServer((req, res) => {
    const auth = req.headers['proxy-authorization'];
    p.requests.push({ method: req.method ?? '', target: req.url ?? '', host: req.headers.host, proxyAuthorization: auth });
    if (want && auth !== want) {
      p.rejected++;
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"', 'content-length': '0' }).end();
      return;
    }
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400, { 'content-length': '0' }).end();
      return;
    }
    if (target.protocol !== 'http:' || !LOOPBACK.has(target.hostname)) {
      res.writeHead(403, { 'content-length': '0' }).end();
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const up = http.request({ host: target.hostname, port: target.port || 80, method: req.method, path: target.pathname + target.search, headers, agent }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on('connection', (s: net.Socket) => {
    p.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const auth = req.headers['proxy-authorization'];
    const authority = req.url ?? '';
    p.connects.push({ authority, proxyAuthorization: auth });
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    if (want && auth !== want) {
      p.rejected++;
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(authority);
    if (!m || !LOOPBACK.has(m[1])) {
      client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const up = net.connect({ host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) }, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    sockets.add(up);
    up.on('close', () => sockets.delete(up));
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  p.port = (server.address() as net.AddressInfo).port;
  p.url = `http://127.0.0.1:${p.port}`;
  return p;
}

// A fault-injecting HTTP proxy on 127.0.0.1 in front of the lab's S3: it forwards requests and,
// when a rule says so, answers an error, resets the connection before or in the middle of a body,
// stalls, truncates a response, or flips a byte in a request or response body.
import http from 'node:http';
import net from 'node:net';

export type Fault =
  | { kind: 'status'; status: number; code: string; message?: string }
  | { kind: 'reset-before-response' }
  | { kind: 'reset-mid-body' }
  | { kind: 'truncate' }
  | { kind: 'flip-response' }
  | { kind: 'flip-request' }
  | { kind: 'stall'; ms: number }
  | { kind: 'malformed-xml' }
  /**
   * Forward, then change the answer's headers (undefined removes one) and optionally flip a byte of
   * its body: plays what the lab cannot (AWS's HEAD ?partNumber=1 answer, x-amz-checksum-* headers).
   */
  | { kind: 'rewrite'; headers?: Record<string, string | undefined>; flip?: boolean };

export interface SeenRequest {
  method: string;
  url: string;
  /** 1-based count of requests seen so far (all methods). */
  n: number;
  fault?: Fault['kind'];
}

export interface FaultProxy {
  url: string;
  port: number;
  seen: SeenRequest[];
  /** Decide a fault for a request; undefined forwards it untouched. */
  rule: (req: SeenRequest, headers: http.IncomingHttpHeaders) => Fault | undefined;
  close(): Promise<void>;
}

function flipOne(buf: Buffer): Buffer {
  if (!buf.length) return buf;
  const out = Buffer.from(buf);
  const i = Math.floor(out.length / 2);
  out[i] ^= 0x01;
  return out;
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const up = new URL(upstream);
  if (up.hostname !== '127.0.0.1' && up.hostname !== 'localhost') throw new Error(`fault proxy upstream must be loopback, not ${up.hostname}`);
  const sockets = new Set<net.Socket>();
  const proxy: FaultProxy = {
    url: '',
    port: 0,
    seen: [],
    rule: () => undefined,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const seen: SeenRequest = { method: req.method ?? 'GET', url: req.url ?? '/', n: proxy.seen.length + 1 };
    proxy.seen.push(seen);
    const fault = proxy.rule(seen, req.headers);
    seen.fault = fault?.kind;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: Buffer = Buffer.concat(chunks);
    if (fault?.kind === 'status') {
      const xml = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault.code}</Code><Message>${fault.message ?? 'injected by the fault proxy'}</Message></Error>`;
      res.writeHead(fault.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
      res.end(req.method === 'HEAD' ? undefined : xml);
      return;
    }
    if (fault?.kind === 'reset-before-response') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'stall') await new Promise((r) => setTimeout(r, fault.ms));
    if (fault?.kind === 'flip-request') body = flipOne(body);
    // Keep the client's Host header: it is part of the SigV4 signature.
    const headers = { ...req.headers };
    const upReq = http.request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers, agent }, async (upRes) => {
      const rchunks: Buffer[] = [];
      for await (const c of upRes) rchunks.push(c as Buffer);
      let rbody: Buffer = Buffer.concat(rchunks);
      upRes.on('error', () => res.destroy());
      const h = { ...upRes.headers };
      if (fault?.kind === 'malformed-xml') {
        rbody = Buffer.from('<?xml version="1.0"?><ListBucketResult><Contents><Key>broken');
        delete h['transfer-encoding'];
        h['content-length'] = String(rbody.length);
      }
      if (fault?.kind === 'flip-response' || (fault?.kind === 'rewrite' && fault.flip)) rbody = flipOne(rbody);
      if (fault?.kind === 'rewrite')
        for (const [k, v] of Object.entries(fault.headers ?? {})) {
          if (v === undefined) delete h[k.toLowerCase()];
          else h[k.toLowerCase()] = v;
        }
      res.writeHead(upRes.statusCode ?? 502, h);
      if (fault?.kind === 'reset-mid-body' || fault?.kind === 'truncate') {
        res.write(rbody.subarray(0, Math.floor(rbody.length / 2)));
        // reset: RST the socket; truncate: close it cleanly with bytes missing
        setTimeout(() => (fault.kind === 'reset-mid-body' ? req.socket.resetAndDestroy?.() ?? req.socket.destroy() : req.socket.end()), 20);
        return;
      }
      res.end(rbody);
    });
    upReq.on('error', () => {
      res.destroy();
    });
    upReq.end(body);
  };
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  proxy.port = (server.address() as net.AddressInfo).port;
  proxy.url = `http://127.0.0.1:${proxy.port}`;
  return proxy;
}

/** A rule that applies `fault` to the first `times` requests matching `match`. */
export function firstN(times: number, match: (r: SeenRequest) => boolean, fault: Fault): (r: SeenRequest) => Fault | undefined {
  let left = times;
  return (r) => {
    if (left > 0 && match(r)) {
      left--;
      return fault;
    }
    return undefined;
  };
}

// A loopback stand-in for "the bucket is in another AWS region", which the one-region lab cannot
// play: an HTTP server on 127.0.0.1 that takes requests either as s3k's endpoint (origin-form,
// AWS_ENDPOINT_URL) or as its HTTP proxy (absolute-form, HTTP_PROXY, for AWS host names that never
// leave this machine). It records the Host and the SigV4 credential-scope region of every request;
// `answer` returns AWS's wrong-region answer for a request, or undefined to forward it to the lab
// (path and headers untouched, so the lab checks the same signature s3k made).
import http from 'node:http';
import type net from 'node:net';

export interface RegionSeen {
  method: string;
  /** The Host header (signed by SigV4). */
  host: string;
  path: string;
  /** The region in the Authorization header's credential scope. */
  region?: string;
  /** The status this server answered itself, or undefined when forwarded. */
  answered?: number;
}

export interface WrongRegionAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RegionProxy {
  url: string;
  seen: RegionSeen[];
  answer: (r: RegionSeen) => WrongRegionAnswer | undefined;
  close(): Promise<void>;
}

/** AWS's 400 for a request signed for the wrong region. */
export const authorizationHeaderMalformed = (used: string, expected: string): WrongRegionAnswer => ({
  status: 400,
  headers: { 'x-amz-bucket-region': expected },
  body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AuthorizationHeaderMalformed</Code><Message>The authorization header is malformed; the region '${used}' is wrong; expecting '${expected}'</Message><Region>${expected}</Region><RequestId>4442587FB7D0A2F9</RequestId><HostId>aG9zdA==</HostId></Error>`,
});

/** AWS's 301 for a request sent to the wrong regional endpoint. */
export const permanentRedirect = (bucket: string, region: string): WrongRegionAnswer => ({
  status: 301,
  headers: { 'x-amz-bucket-region': region },
  body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.</Message><Endpoint>${bucket}.s3.${region}.amazonaws.com</Endpoint><Bucket>${bucket}</Bucket><RequestId>4442587FB7D0A2F9</RequestId><HostId>aG9zdA==</HostId></Error>`,
});

export async function startRegionProxy(lab: string): Promise<RegionProxy> {
  const up = new URL(lab);
  if (up.hostname !== '127.0.0.1') throw new Error(`the lab must be on 127.0.0.1, not ${up.hostname}`);
  const agent = new http.Agent({ keepAlive: true });
  const sockets = new Set<net.Socket>();
  const p: RegionProxy = {
    url: '',
    seen: [],
    answer: () => undefined,
    close: async () => {
      for (const s of sockets) s.destroy();
      agent.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const target = req.url ?? '/';
    const path = target.startsWith('http') ? new URL(target).pathname + new URL(target).search : target;
    const region = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1];
    const seen: RegionSeen = { method: req.method ?? 'GET', host: req.headers.host ?? '', path, region };
    p.seen.push(seen);
    const a = p.answer(seen);
    if (a) {
      seen.answered = a.status;
      res.writeHead(a.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(a.body), ...a.headers });
      res.end(req.method === 'HEAD' ? undefined : a.body);
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    const u = http.request({ host: up.hostname, port: up.port, method: req.method, path, headers, agent }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    u.on('error', () => res.destroy());
    u.end(Buffer.concat(chunks));
  });
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  p.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return p;
}

// The HTTP/1.1 client against a local node:http server: framing (length, chunked, close, HEAD,
// 204), keep-alive reuse, a stale pooled socket, streamed bodies both ways, errors.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import { h1Request, closeH1Pools, type H1Response } from '../../src/net/h1.ts';

async function body(r: H1Response): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('h1 client', () => {
  let server: http.Server;
  let base: URL;
  const sockets = new Set<net.Socket>();
  let connections = 0;
  before(async () => {
    server = http.createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const got = Buffer.concat(chunks);
      const u = new URL(req.url!, 'http://x');
      if (u.pathname === '/len') res.end(`len:${got.length}:${req.headers['x-a']}`);
      else if (u.pathname === '/chunked') {
        res.write('a'.repeat(1000));
        res.write('b'.repeat(70_000));
        res.end('c');
      } else if (u.pathname === '/close') {
        res.writeHead(200, { connection: 'close' });
        res.end('closing');
      } else if (u.pathname === '/nocontent') {
        res.writeHead(204);
        res.end();
      } else if (u.pathname === '/big') {
        res.writeHead(200, { 'content-length': 5_000_000 });
        res.end(Buffer.alloc(5_000_000, 7));
      } else if (u.pathname === '/reset') req.socket.destroy();
      else if (u.pathname === '/echo') res.end(got);
      else if (u.pathname === '/denied') {
        res.writeHead(403, { 'content-length': 6 });
        res.end('denied');
      }
      else {
        res.writeHead(200, { 'content-length': 4 });
        res.end(req.method === 'HEAD' ? undefined : 'head');
      }
    });
    server.keepAliveTimeout = 60_000;
    server.on('connection', (s) => {
      connections++;
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = new URL(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
  });
  after(async () => {
    closeH1Pools();
    await new Promise<void>((r) => server.close(() => r()));
  });
  const req = (path: string, o: Partial<Parameters<typeof h1Request>[0]> = {}) => h1Request({ method: 'GET', url: new URL(path, base), headers: {}, timeoutMs: 5000, ...o });

  it('content-length bodies, request headers and bodies, keep-alive reuse', async () => {
    const before = connections;
    for (let i = 0; i < 5; i++) {
      const r = await req('/len', { method: 'PUT', headers: { 'x-a': 'v' }, body: Buffer.from('hello') });
      assert.equal(r.statusCode, 200);
      assert.equal((await body(r)).toString(), 'len:5:v');
    }
    assert.equal(connections - before, 1, 'one connection reused');
  });
  it('chunked bodies across many socket reads', async () => {
    const r = await req('/chunked');
    const b = await body(r);
    assert.equal(b.length, 71_001);
    assert.equal(b.toString('latin1', 70_999), 'bc');
  });
  it('HEAD and 204 have no body; connection: close is honoured', async () => {
    const h = await req('/any', { method: 'HEAD' });
    assert.equal(h.headers['content-length'], '4');
    assert.equal((await body(h)).length, 0);
    const n = await req('/nocontent');
    assert.equal(n.statusCode, 204);
    assert.equal((await body(n)).length, 0);
    const c = await req('/close');
    assert.equal((await body(c)).toString(), 'closing');
    const again = await req('/len');
    assert.equal((await body(again)).toString(), 'len:0:undefined');
  });
  it('streams a large response with back-pressure and a streamed request body', async () => {
    const r = await req('/big');
    let n = 0;
    for await (const c of r) {
      n += (c as Buffer).length;
      await new Promise((res) => setImmediate(res));
    }
    assert.equal(n, 5_000_000);
    const e = await req('/echo', { method: 'PUT', headers: { 'Content-Length': 6 }, body: () => Readable.from([Buffer.from('abc'), Buffer.from('def')]) });
    assert.equal((await body(e)).toString(), 'abcdef');
  });
  it('a pooled socket the server closed is replaced transparently', async () => {
    await body(await req('/len'));
    for (const s of sockets) s.destroy(); // server drops idle keep-alive sockets
    await new Promise((r) => setTimeout(r, 50));
    const r = await req('/len', { method: 'PUT', body: 'x' });
    assert.equal((await body(r)).toString(), 'len:1:undefined');
  });
  it('a reset before the answer is an ECONNRESET error; a closed port is ECONNREFUSED', async () => {
    await assert.rejects(req('/reset'), (e: NodeJS.ErrnoException) => e.code === 'ECONNRESET');
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    await assert.rejects(h1Request({ method: 'GET', url: new URL(`http://127.0.0.1:${port}/`), headers: {}, timeoutMs: 2000 }), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
  });
  it('a connection that answered an error to a request with a body is not reused', async () => {
    await body(await req('/len'));
    const before = connections;
    const d = await req('/denied', { method: 'PUT', body: Buffer.alloc(10_000, 1) });
    assert.equal(d.statusCode, 403);
    assert.equal((await body(d)).toString(), 'denied');
    const r = await req('/len', { method: 'PUT', body: 'ok' });
    assert.equal((await body(r)).toString(), 'len:2:undefined');
    assert.equal(connections - before, 1, 'a fresh connection after the error');
  });

  it('refuses header values with line breaks (no request smuggling)', async () => {
    await assert.rejects(req('/len', { headers: { 'x-a': 'v\r\nX-Evil: 1' } }), /invalid character/);
  });
});

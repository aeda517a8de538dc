// S3Client spends one budget per logical request, whichever check notices the failure: an error
// status, a body that breaks mid-read, an ETag that is not the MD5 of what was sent, ExpiredToken.
// Against a local node:http server that counts what it receives.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import { Readable } from 'node:stream';
import { S3Client } from '../../src/s3/client.ts';
import { RetriesExhaustedError, S3Error } from '../../src/s3/errors.ts';
import { putObject, uploadPart, getObjectRequest } from '../../src/s3/ops.ts';
import { readBody } from '../../src/net/http.ts';
import { closeH1Pools } from '../../src/net/h1.ts';
import type { CredentialProvider } from '../../src/credentials/types.ts';

const xmlError = (code: string) => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>test</Message></Error>`;

describe('S3Client: one budget per logical request', () => {
  let server: http.Server;
  let endpoint: URL;
  const hits = new Map<string, number>();
  let expiredLeft = 0;
  before(async () => {
    server = http.createServer(async (req, res) => {
      for await (const _ of req) void _;
      const path = new URL(req.url!, 'http://x').pathname;
      hits.set(path, (hits.get(path) ?? 0) + 1);
      const answer = (status: number, body: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-length': Buffer.byteLength(body), ...headers });
        res.end(body);
      };
      if (path === '/b/503') answer(503, xmlError('ServiceUnavailable'));
      else if (path === '/b/404') answer(404, xmlError('NoSuchKey'));
      else if (path === '/b/mid-body') {
        res.writeHead(200, { 'content-length': 1000 });
        res.write(Buffer.alloc(100, 1));
        setTimeout(() => req.socket.destroy(), 10);
      } else if (path === '/b/bad-etag') answer(200, '', { etag: '"00000000000000000000000000000000"' });
      else if (path === '/b/expired') {
        if (expiredLeft-- > 0) answer(400, xmlError('ExpiredToken'));
        else answer(200, 'fresh');
      } else answer(200, 'ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = new URL(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
  });
  after(async () => {
    closeH1Pools();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const refreshes: boolean[] = [];
  const creds: CredentialProvider = {
    get: async (o) => {
      refreshes.push(!!o?.forceRefresh);
      return { accessKeyId: 'AKIDTEST', secretAccessKey: 'not-a-real-secret' };
    },
    source: () => ({ name: 'test' }),
  };
  const client = (maxRetries: number, retries: number[] = []) =>
    new S3Client({ endpoint, region: 'us-east-1', credentials: creds, retry: { maxRetries, baseMs: 1, capMs: 2 }, timeoutMs: 5000, onRetry: (_w, n) => retries.push(n) });
  const sent = (path: string) => hits.get(path) ?? 0;
  const reset = () => {
    hits.clear();
    refreshes.length = 0;
  };

  for (const maxRetries of [0, 2, 5]) {
    it(`503 every time: sent ${maxRetries} + 1 times, then RetriesExhaustedError`, async () => {
      reset();
      const retries: number[] = [];
      await assert.rejects(client(maxRetries, retries).send({ method: 'GET', bucket: 'b', key: '503' }), (e: unknown) => {
        assert.ok(e instanceof RetriesExhaustedError);
        assert.equal(e.attempts, maxRetries + 1);
        assert.match(e.message, /^GET s3:\/\/b\/503 failed \d+ times \(last: 503 \(ServiceUnavailable\)\)$/);
        return true;
      });
      assert.equal(sent('/b/503'), maxRetries + 1);
      assert.deepEqual(retries, Array.from({ length: maxRetries }, (_, i) => i + 1));
    });
  }

  it('a body that breaks while the consumer reads it is retried in the same budget', async () => {
    reset();
    await assert.rejects(client(2).request({ method: 'GET', bucket: 'b', key: 'mid-body' }, async (res) => readBody(res)), RetriesExhaustedError);
    assert.equal(sent('/b/mid-body'), 3);
  });

  it('a consumer that changes the request per attempt (resume with a Range) still gets one budget', async () => {
    reset();
    const ranges: (string | undefined)[] = [];
    await assert.rejects(
      client(3).request(
        (attempt) => {
          const r = getObjectRequest('b', 'mid-body', attempt ? { start: attempt * 10 } : undefined);
          ranges.push(r.headers?.Range);
          return r;
        },
        async (res) => readBody(res),
      ),
      RetriesExhaustedError,
    );
    assert.equal(sent('/b/mid-body'), 4);
    assert.deepEqual(ranges, [undefined, 'bytes=10-', 'bytes=20-', 'bytes=30-']);
  });

  it('a non-retryable answer or consumer error ends the request at once', async () => {
    reset();
    await assert.rejects(client(5).send({ method: 'GET', bucket: 'b', key: '404' }), (e: unknown) => e instanceof S3Error && e.code === 'NoSuchKey');
    assert.equal(sent('/b/404'), 1);
    await assert.rejects(
      client(5).request({ method: 'GET', bucket: 'b', key: 'ok' }, async () => {
        throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
      }),
      /disk full/,
    );
    assert.equal(sent('/b/ok'), 1);
  });

  it('an upload whose ETag is not the MD5 sent is retried in the budget of its request (PUT and part)', async () => {
    reset();
    const data = crypto.randomBytes(1000);
    const md5 = crypto.createHash('md5').update(data).digest('hex');
    await assert.rejects(putObject(client(2), 'b', 'bad-etag', () => Readable.from([data]), { 'Content-Length': '1000' }, { sentMd5: () => md5 }), (e: unknown) => {
      assert.ok(e instanceof RetriesExhaustedError);
      assert.match(e.message, /ETag mismatch for 's3:\/\/b\/bad-etag': sent MD5 [0-9a-f]{32}, server ETag 0{32}/);
      return true;
    });
    assert.equal(sent('/b/bad-etag'), 3);
    reset();
    await assert.rejects(uploadPart(client(1), 'b', 'bad-etag', 'up1', 7, () => Readable.from([data]), 1000, undefined, { sentMd5: () => md5 }), /ETag mismatch for part 7/);
    assert.equal(sent('/b/bad-etag'), 2);
  });

  it('ExpiredToken: one forced refresh, resent at once, inside the same budget', async () => {
    reset();
    expiredLeft = 1;
    const r = await client(2).send({ method: 'GET', bucket: 'b', key: 'expired' });
    assert.equal(r.body.toString(), 'fresh');
    assert.equal(sent('/b/expired'), 2);
    assert.deepEqual(refreshes, [false, true], 'the second attempt is signed with refreshed credentials');

    // still expired after the refresh: not refreshed again
    reset();
    expiredLeft = 5;
    await assert.rejects(client(5).send({ method: 'GET', bucket: 'b', key: 'expired' }), (e: unknown) => e instanceof S3Error && e.code === 'ExpiredToken');
    assert.equal(sent('/b/expired'), 2);

    // with no retries left, ExpiredToken is reported as it is: never more than maxRetries + 1 sends
    reset();
    expiredLeft = 1;
    await assert.rejects(client(0).send({ method: 'GET', bucket: 'b', key: 'expired' }), (e: unknown) => e instanceof S3Error && e.code === 'ExpiredToken');
    assert.equal(sent('/b/expired'), 1);
    assert.deepEqual(refreshes, [false]);
  });
});

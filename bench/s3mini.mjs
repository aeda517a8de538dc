// A tiny S3 client for the benchmark harness itself: seeding, verifying and cleaning up.
// It is never what is measured. SigV4 via aws4 (already a dependency of s3k), node:http with
// keep-alive, path-style addressing, plain ASCII keys only (the harness makes all keys).
import http from 'node:http';
import { createHash } from 'node:crypto';
import aws4 from 'aws4';

const unxml = (s) =>
  s.replace(/&(lt|gt|quot|apos|amp|#(\d+)|#x([0-9a-fA-F]+));/g, (_, n, d, h) =>
    d ? String.fromCodePoint(+d) : h ? String.fromCodePoint(parseInt(h, 16)) : { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' }[n],
  );
const tag = (xml, name) => {
  const m = xml.match(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`));
  return m ? unxml(m[1]) : undefined;
};
const encKey = (k) => k.split('/').map(encodeURIComponent).join('/');

export class S3Mini {
  constructor({ endpoint, accessKeyId, secretAccessKey, region = 'us-east-1', maxSockets = 64 }) {
    const u = new URL(endpoint);
    this.host = u.hostname;
    this.port = Number(u.port || 80);
    this.creds = { accessKeyId, secretAccessKey };
    this.region = region;
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  close() {
    this.agent.destroy();
  }

  /** -> { status, headers, body: Buffer } ; throws on network errors only */
  request(method, path, { body, headers = {}, retries = 3 } = {}) {
    const opts = {
      host: `${this.host}:${this.port}`,
      path,
      method,
      service: 's3',
      region: this.region,
      headers: { ...headers },
      body: body ?? '',
    };
    if (body === undefined) delete opts.body;
    aws4.sign(opts, this.creds);
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: this.host, port: this.port, path, method, headers: opts.headers, agent: this.agent },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (body !== undefined) req.end(body);
      else req.end();
    }).catch(async (e) => {
      if (retries > 0 && /ECONNRESET|EPIPE|socket hang up/.test(String(e?.code ?? e?.message))) {
        return this.request(method, path, { body, headers, retries: retries - 1 });
      }
      throw e;
    });
  }

  async ok(method, path, opts) {
    const r = await this.request(method, path, opts);
    if (r.status >= 300) {
      const code = tag(r.body.toString('utf8'), 'Code') ?? '';
      const e = new Error(`${method} ${path} -> ${r.status} ${code}`);
      e.status = r.status;
      e.code = code;
      throw e;
    }
    return r;
  }

  async createBucket(bucket) {
    const r = await this.request('PUT', `/${bucket}`);
    if (r.status >= 300 && !/BucketAlreadyOwnedByYou|BucketAlreadyExists/.test(r.body.toString())) {
      throw new Error(`create bucket ${bucket} -> ${r.status} ${r.body.toString().slice(0, 200)}`);
    }
  }

  async deleteBucket(bucket) {
    await this.request('DELETE', `/${bucket}`);
  }

  putObject(bucket, key, body) {
    return this.ok('PUT', `/${bucket}/${encKey(key)}`, { body });
  }

  async headObject(bucket, key) {
    const r = await this.request('HEAD', `/${bucket}/${encKey(key)}`);
    if (r.status === 404) return undefined;
    if (r.status >= 300) throw new Error(`HEAD ${bucket}/${key} -> ${r.status}`);
    return { size: Number(r.headers['content-length']), etag: String(r.headers.etag ?? '').replace(/"/g, '') };
  }

  /** Every object under prefix: [{ key, size, etag, lastModified }] */
  async list(bucket, prefix = '') {
    const out = [];
    let token;
    for (;;) {
      const q = new URLSearchParams({ 'list-type': '2', 'max-keys': '1000' });
      if (prefix) q.set('prefix', prefix);
      if (token) q.set('continuation-token', token);
      const r = await this.ok('GET', `/${bucket}?${q.toString().replace(/\+/g, '%20')}`);
      const xml = r.body.toString('utf8');
      for (const m of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
        out.push({
          key: tag(m[1], 'Key'),
          size: Number(tag(m[1], 'Size')),
          etag: (tag(m[1], 'ETag') ?? '').replace(/"/g, ''),
          lastModified: tag(m[1], 'LastModified'),
        });
      }
      if (tag(xml, 'IsTruncated') !== 'true') break;
      token = tag(xml, 'NextContinuationToken');
      if (!token) break;
    }
    return out;
  }

  async deleteKeys(bucket, keys) {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const xml =
        '<Delete><Quiet>true</Quiet>' +
        batch.map((k) => `<Object><Key>${k.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</Key></Object>`).join('') +
        '</Delete>';
      const md5 = createHash('md5').update(xml).digest('base64');
      const r = await this.ok('POST', `/${bucket}?delete=`, { body: xml, headers: { 'Content-MD5': md5, 'Content-Type': 'application/xml' } });
      const errs = [...r.body.toString('utf8').matchAll(/<Error>([\s\S]*?)<\/Error>/g)];
      if (errs.length) throw new Error(`DeleteObjects: ${errs.length} errors, first: ${errs[0][1].slice(0, 200)}`);
    }
  }

  /** Delete everything under prefix; returns the number of keys deleted. */
  async deletePrefix(bucket, prefix = '') {
    const objs = await this.list(bucket, prefix);
    await this.deleteKeys(bucket, objs.map((o) => o.key));
    return objs.length;
  }
}

/** Run fn over items with at most `conc` in flight. */
export async function pmap(items, conc, fn) {
  let next = 0;
  const results = new Array(items.length);
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(conc, items.length) }, worker));
  return results;
}

// The Content-Type an upload gets, side by side with the real s3cmd (Debian package, with
// python3-magic): the same corpus of files is uploaded by both tools (put -r, sync, stdin) into the
// lab, with default settings (libmagic on the content) and with --no-mime-magic (Python's mimetypes
// on the name), and the Content-Type stored for each object must be the same.
// s3cmd missing: `lab/install-deps.sh --with-s3cmd` is tried once, else the suite is skipped.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { REPO_ROOT, adminDeleteBucket, makeTempDir, run, s3Request, s3k, uniqueBucket, writeS3cfg, type RunResult } from '../support/lab.ts';

function s3cmdAvailable(): string | undefined {
  const probe = () => spawnSync('s3cmd', ['--version'], { encoding: 'utf8' });
  if (probe().status === 0) return undefined;
  const inst = spawnSync('bash', [path.join(REPO_ROOT, 'lab/install-deps.sh'), '--with-s3cmd'], { encoding: 'utf8', timeout: 300_000 });
  if (probe().status === 0) return undefined;
  return `s3cmd is not installed and could not be installed (lab/install-deps.sh --with-s3cmd: exit ${inst.status}); skipping the side-by-side comparison`;
}

/** s3cmd without libmagic guesses by name even in magic mode: the comparison would be meaningless. */
function s3cmdHasMagic(): boolean {
  const py = spawnSync('sh', ['-c', 'head -1 "$(command -v s3cmd)"'], { encoding: 'utf8' }).stdout.replace(/^#!\s*/, '').trim().split(/\s+/);
  const interp = py[0]?.endsWith('/env') ? py[1] : py[0];
  return !!interp && spawnSync(interp, ['-c', 'import magic; magic.Magic(mime=True)']).status === 0;
}

const u32 = (n: number) => Buffer.from([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
function png(): Buffer {
  const crc = (b: Buffer) => {
    let c = ~0;
    for (const x of b) {
      c ^= x;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    }
    return u32(~c >>> 0);
  };
  const chunk = (t: string, d: Buffer) => Buffer.concat([u32(d.length), Buffer.from(t), d, crc(Buffer.concat([Buffer.from(t), d]))]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0])),
    chunk('IDAT', zlib.deflateSync(Buffer.from([0, 255, 0, 0]))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function tar(): Buffer {
  const h = Buffer.alloc(512);
  h.write('t/x', 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write('00000000002\0', 124);
  h.write('14712345670\0', 136);
  h.write('0', 156);
  h.write('ustar  \0', 257);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const c of h) sum += c;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return Buffer.concat([h, Buffer.from('x\n'), Buffer.alloc(510 + 1024)]);
}

function zip(): Buffer {
  const name = Buffer.from('z.txt');
  const data = Buffer.from('hi\n');
  const crc = zlib.crc32 ? zlib.crc32(data) : 0;
  const le = (n: number, w: number) => {
    const b = Buffer.alloc(w);
    b.writeUIntLE(n, 0, w);
    return b;
  };
  const local = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), le(10, 2), le(0, 2), le(0, 2), le(0, 4), le(crc, 4), le(3, 4), le(3, 4), le(name.length, 2), le(0, 2), name, data]);
  const central = Buffer.concat([Buffer.from('PK\x01\x02', 'latin1'), le(20, 2), le(10, 2), le(0, 2), le(0, 2), le(0, 4), le(crc, 4), le(3, 4), le(3, 4), le(name.length, 2), le(0, 2), le(0, 2), le(0, 2), le(0, 2), le(0, 4), le(0, 4), name]);
  const end = Buffer.concat([Buffer.from('PK\x05\x06', 'latin1'), le(0, 4), le(1, 2), le(1, 2), le(central.length, 4), le(local.length, 4), le(0, 2)]);
  return Buffer.concat([local, central, end]);
}

/** The corpus: name -> bytes. */
function corpus(): Record<string, string | Buffer> {
  return {
    README: 'This is a README file.\nIt has some text.\n',
    'a.dat': 'just some data\n1 2 3\n',
    'a.tmp': 'temporary text\n',
    'a.log': '2024-01-01 12:00:00 INFO started\n2024-01-01 12:00:01 WARN x\n',
    'a.txt': 'plain text file\n',
    'utf8.txt': 'Grüße aus Köln — naïve café ☕\n',
    'a.md': '# Title\n\nSome *markdown* text.\n\n- item\n',
    'a.csv': 'name,age,city\nalice,30,paris\nbob,25,rome\n',
    'a.html': '<!DOCTYPE html>\n<html><head><title>x</title></head><body>hi</body></html>\n',
    'a.css': 'body { color: red; }\n.x { margin: 0; }\n',
    'a.js': 'function f(x) {\n  return x + 1;\n}\nconsole.log(f(1));\n',
    'mod.js': 'const a = require("x");\nmodule.exports = a;\n',
    'a.json': '{"a": 1, "b": [1, 2, 3], "c": "x"}\n',
    'a.xml': '<?xml version="1.0" encoding="UTF-8"?>\n<root><a>1</a></root>\n',
    'a.svg': '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><rect width="1" height="1"/></svg>\n',
    'script.sh': '#!/bin/sh\necho hello\n',
    script_noext: '#!/bin/sh\necho hello\n',
    'a.py': '#!/usr/bin/env python3\nprint("hi")\n',
    'a.png': png(),
    png_noext: png(),
    'a.jpg': Buffer.concat([Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex'), Buffer.alloc(32), Buffer.from([0xff, 0xd9])]),
    'a.gif': Buffer.from('474946383961010001008000000000ffffff21f90401000000002c00000000010001000002024401003b', 'hex'),
    'a.webp': Buffer.concat([Buffer.from('RIFF'), Buffer.from([26, 0, 0, 0]), Buffer.from('WEBPVP8L'), Buffer.from([14, 0, 0, 0, 0x2f, 0, 0, 0]), Buffer.alloc(10)]),
    'a.pdf': '%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n',
    'a.gz': zlib.gzipSync('hello gzip\n'),
    'a.tar.gz': zlib.gzipSync(tar()),
    'a.tgz': zlib.gzipSync(tar()),
    'a.tar': tar(),
    'a.zip': zip(),
    empty: '',
    randombin: Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37 + 11) % 256)),
  };
}

/** Deliberate differences (none today): name -> reason. */
const KNOWN: Record<string, string> = {};

async function contentTypes(bucket: string, prefix: string, names: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const r = await s3Request({ method: 'HEAD', bucket, key: prefix + n });
    out[n] = r.status === 200 ? String(r.headers['content-type']) : `HTTP ${r.status}`;
  }
  return out;
}

describe('uploads get the Content-Type s3cmd gives them', () => {
  const skip = s3cmdAvailable() ?? (s3cmdHasMagic() ? undefined : 's3cmd runs without python3-magic here; its default mode would guess by name');
  const tmp = makeTempDir('content-type');
  const bucket = uniqueBucket('ctype');
  const files = corpus();
  const names = Object.keys(files).sort();
  const src = path.join(tmp.path, 'src');
  let cfg = '';
  const got: Record<string, Record<string, string>> = {};

  const tool = (which: 's3cmd' | 's3k', args: string[], input?: string): Promise<RunResult> => (which === 's3k' ? s3k(['-c', cfg, ...args], { input }) : run('s3cmd', ['-c', cfg, ...args], { input }));
  const ok = (r: RunResult, what: string) => assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}`);

  before(async () => {
    if (skip) return;
    fs.mkdirSync(src, { recursive: true });
    for (const [n, data] of Object.entries(files)) fs.writeFileSync(path.join(src, n), data);
    cfg = writeS3cfg({ dir: tmp.path });
    ok(await s3k(['-c', cfg, 'mb', `s3://${bucket}`]), 'mb');
    for (const t of ['s3cmd', 's3k'] as const) {
      ok(await tool(t, ['put', '-r', src + '/', `s3://${bucket}/${t}/magic/`]), `${t} put`);
      ok(await tool(t, ['--no-mime-magic', 'put', '-r', src + '/', `s3://${bucket}/${t}/nomagic/`]), `${t} put --no-mime-magic`);
      ok(await tool(t, ['sync', src + '/', `s3://${bucket}/${t}/sync/`]), `${t} sync`);
      ok(await tool(t, ['put', '-', `s3://${bucket}/${t}/stdin`], 'from stdin\n'), `${t} put -`);
      got[`${t}/magic`] = await contentTypes(bucket, `${t}/magic/`, names);
      got[`${t}/nomagic`] = await contentTypes(bucket, `${t}/nomagic/`, names);
      got[`${t}/sync`] = await contentTypes(bucket, `${t}/sync/`, names);
      got[`${t}/stdin`] = await contentTypes(bucket, `${t}/`, ['stdin']);
    }
  });
  after(async () => {
    await adminDeleteBucket(bucket);
    tmp.cleanup();
  });

  for (const mode of ['magic', 'nomagic', 'sync']) {
    it(`${mode === 'magic' ? 'put (use_mime_magic)' : mode === 'nomagic' ? 'put --no-mime-magic' : 'sync'}: same Content-Type per file`, { skip }, (t) => {
      const ref = got[`s3cmd/${mode}`];
      const mine = got[`s3k/${mode}`];
      const table = names.map((n) => `${n.padEnd(14)} s3cmd ${ref[n].padEnd(28)} s3k ${mine[n]}`);
      t.diagnostic('\n' + table.join('\n'));
      for (const n of names) {
        if (KNOWN[n] && ref[n] !== mine[n]) {
          t.diagnostic(`known difference for ${n}: ${KNOWN[n]}`);
          continue;
        }
        assert.equal(mine[n], ref[n], `${n} (${mode})`);
      }
    });
  }

  it('stdin: the default type with the charset', { skip }, () => {
    assert.equal(got['s3k/stdin'].stdin, got['s3cmd/stdin'].stdin);
    assert.equal(got['s3k/stdin'].stdin, 'binary/octet-stream; charset=UTF-8');
  });

  it('the values the issue names', { skip }, () => {
    const m = got['s3k/magic'];
    const nm = got['s3k/nomagic'];
    for (const n of ['README', 'a.dat', 'a.tmp']) assert.equal(m[n], 'text/plain', n);
    assert.equal(m.png_noext, 'image/png');
    assert.equal(m.empty, 'inode/x-empty');
    assert.equal(nm['a.gz'], 'binary/octet-stream');
    assert.equal(nm['a.log'], 'binary/octet-stream');
  });
});

// The Content-Type of uploads as s3cmd picks it. Expected values are what libmagic 5.44
// (python-magic, as s3cmd calls it) and Python 3.11's mimetypes (with Debian's /etc/mime.types)
// answered for the same bytes and names.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { extensionContentType, sniffContentType, uploadContentType, HEAD_BYTES, type ContentTypeSettings } from '../../src/transfer/content-type.ts';

const sniff = (data: string | Buffer, size?: number): string => {
  const b = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const head = b.subarray(0, HEAD_BYTES);
  return sniffContentType(head, size ?? b.length);
};
const bin = (...parts: (string | number[] | Buffer)[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
const u32be = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const u32le = (n: number) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];
const u16le = (n: number) => [n & 255, (n >>> 8) & 255];

/** A zip local file header followed by its (stored) data. */
function zipEntry(name: string, data = '', extra: number[] = []): Buffer {
  return bin('PK\x03\x04', [20, 0, 0, 0, 0, 0, 0, 0, 0, 0], u32le(0), u32le(data.length), u32le(data.length), u16le(name.length), u16le(extra.length), name, extra, data);
}

/** One 512-byte tar header with a correct checksum (ustar magic or none). */
function tarHeader(name: string, magic: 'ustar\x0000' | 'ustar  \x00' | ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 'latin1');
  h.write('0000644\0', 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  h.write('00000000002\0', 124, 'latin1');
  h.write('14712345670\0', 136, 'latin1');
  h.write('0', 156, 'latin1');
  h.write(magic, 257, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const c of h) sum += c;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return Buffer.concat([h, Buffer.from('hi'), Buffer.alloc(510)]);
}

const PNG = bin([0x89], 'PNG\r\n\x1a\n', [0, 0, 0, 13], 'IHDR', [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0], [0x90, 0x77, 0x53, 0xde]);

describe('content sniffing (use_mime_magic, libmagic)', () => {
  it('empty, one byte, text and binary', () => {
    assert.equal(sniff(''), 'inode/x-empty');
    assert.equal(sniff('a'), 'application/octet-stream');
    assert.equal(sniff('ab'), 'text/plain');
    assert.equal(sniff('This is a README file.\nIt has some text.\n'), 'text/plain');
    assert.equal(sniff('2024-01-01 12:00:00 INFO started\n'), 'text/plain');
    assert.equal(sniff('Grüße aus Köln — naïve café ☕\n'), 'text/plain');
    assert.equal(sniff(bin('caf', [0xe9], '\n')), 'text/plain'); // ISO-8859
    assert.equal(sniff(bin('x', [0x80], 'y\n')), 'text/plain'); // non-ISO extended ASCII
    assert.equal(sniff('hello\r\nworld\r\n'), 'text/plain');
    assert.equal(sniff('\x1b[31mred\x1b[0m\n'), 'text/plain');
    assert.equal(sniff('a\fb\n'), 'text/plain');
    assert.equal(sniff('abc\x7fdef\n'), 'application/octet-stream');
    assert.equal(sniff('abc\x00def\n'), 'application/octet-stream');
    assert.equal(sniff('a\x01b\n'), 'application/octet-stream');
    assert.equal(sniff('a\x1cb\n'), 'application/octet-stream');
    assert.equal(sniff(Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37 + 11) % 256))), 'application/octet-stream');
    assert.equal(sniff(Buffer.from('\ufeffhello\n', 'utf16le')), 'text/plain');
    const be = Buffer.from('\ufeffhello\n', 'utf16le').swap16();
    assert.equal(sniff(be), 'text/plain');
    assert.equal(sniff(Buffer.from('hello\n', 'utf16le')), 'application/octet-stream');
    assert.equal(sniff('\ufeffhello\n'), 'text/plain');
  });

  it('JSON and NDJSON (is_json)', () => {
    assert.equal(sniff('{"a": 1, "b": [1, 2, 3], "c": "x"}\n'), 'application/json');
    assert.equal(sniff('{}'), 'application/json');
    assert.equal(sniff('[]\n'), 'application/json');
    assert.equal(sniff('  \n {"a": 1}\n\n'), 'application/json');
    assert.equal(sniff('{"a":{"b":[1,{"c":null}]}}\n'), 'application/json');
    assert.equal(sniff('[1e5, -2.5E-3, 0]'), 'application/json');
    assert.equal(sniff('{"k":"Grüße"}'), 'application/json');
    assert.equal(sniff('123\n'), 'text/plain');
    assert.equal(sniff('"abc"\n'), 'text/plain');
    assert.equal(sniff('true\n'), 'text/plain');
    assert.equal(sniff('[1, 2, 3'), 'text/plain');
    assert.equal(sniff('{"a":1} x'), 'text/plain');
    assert.equal(sniff('{a:1}'), 'text/plain');
    assert.equal(sniff("{'a':1}"), 'text/plain');
    assert.equal(sniff('\ufeff{"a":1}'), 'text/plain');
    assert.equal(sniff('{"a":1}\n{"b":2}\n'), 'application/x-ndjson');
    assert.equal(sniff('{"a":1}\n{"a":2}\n{"a":3}\n'), 'application/x-ndjson');
    // larger than the head: a valid start is taken as JSON while libmagic would read it all (7 MiB)
    const big = Buffer.from(JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ k: i, v: 'xxxxxxxxxx' }))));
    assert.ok(big.length > HEAD_BYTES);
    assert.equal(sniff(big), 'application/json');
    assert.equal(sniff(big.subarray(0, HEAD_BYTES), 8 * 1024 * 1024), 'text/plain');
  });

  it('CSV (is_csv): the same number of commas on at least three lines', () => {
    assert.equal(sniff('name,age,city\nalice,30,paris\nbob,25,rome\n'), 'text/csv');
    assert.equal(sniff('a,b\n1,2\n'), 'text/plain');
    assert.equal(sniff('a,b\n1,2\n3,4'), 'text/plain');
    assert.equal(sniff('a,b\n1,2,3\n4,5\n'), 'text/plain');
    assert.equal(sniff('a,"b,c"\n1,"x"\n2,"y"\n'), 'text/csv');
    assert.equal(sniff('a;b\n1;2\n3;4\n'), 'text/plain');
    assert.equal(sniff('a,b\n' + '1,2\n'.repeat(11)), 'text/csv');
    assert.equal(sniff('a,b\n' + '1,2\n'.repeat(10) + '1,2,3\n'), 'text/csv'); // only the first 10 lines count
  });

  it('HTML, XML and SVG', () => {
    assert.equal(sniff('<!DOCTYPE html>\n<html><head><title>x</title></head><body>hi</body></html>\n'), 'text/html');
    assert.equal(sniff('<!doctype html>\n<p>x</p>\n'), 'text/html');
    assert.equal(sniff('<html>\n<body>x</body></html>\n'), 'text/html');
    assert.equal(sniff('<HTML><BODY>x</BODY></HTML>\n'), 'text/html');
    assert.equal(sniff('<head><title>x</title></head>\n'), 'text/html');
    assert.equal(sniff('<title>x</title>\n'), 'text/html');
    assert.equal(sniff('<script>var a;</script>\n'), 'text/html');
    assert.equal(sniff('<style>p{}</style>\n'), 'text/html');
    assert.equal(sniff('<table><tr><td>1</td></tr></table>\n'), 'text/html');
    assert.equal(sniff('<a href="x">y</a>\n'), 'text/html');
    assert.equal(sniff('hello\n<html>\n'), 'text/html');
    assert.equal(sniff('\n\n   <html>\n'), 'text/html');
    assert.equal(sniff('<!-- c -->\n<html><body></body></html>\n'), 'text/html');
    assert.equal(sniff('\ufeff<!DOCTYPE html>\n<html>\n'), 'text/html');
    assert.equal(sniff('<body>x</body>\n'), 'text/plain');
    assert.equal(sniff('<p>x</p>\n'), 'text/plain');
    assert.equal(sniff('<h1>x</h1>\n'), 'text/plain');
    assert.equal(sniff('<div>x</div>\n'), 'text/plain');
    // the JavaScript rules are stronger than the HTML searches, weaker than a leading doctype
    assert.equal(sniff('<html lang="en"><script>(function(){})()</script></html>\n'), 'application/javascript');
    assert.equal(sniff('<!DOCTYPE html><script>(function(){})()</script>\n'), 'text/html');

    assert.equal(sniff('<?xml version="1.0" encoding="UTF-8"?>\n<root><a>1</a></root>\n'), 'text/xml');
    assert.equal(sniff("<?xml version='1.0'?>\n<a/>\n"), 'text/xml');
    assert.equal(sniff('\ufeff<?xml version="1.0"?>\n<a/>\n'), 'text/xml');
    assert.equal(sniff('<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>\n'), 'text/xml');
    assert.equal(sniff('<?xml version="1.0"?>\n<rss version="2.0"><channel/></rss>\n'), 'text/xml');
    assert.equal(sniff('<root><a>1</a></root>\n'), 'text/plain');
    assert.equal(sniff('\n  <?xml version="1.0"?>\n<a/>\n'), 'text/plain');

    assert.equal(sniff('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><rect width="1" height="1"/></svg>\n'), 'image/svg+xml');
    assert.equal(sniff('<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>\n'), 'image/svg+xml');
    assert.equal(sniff('<?xml version="1.0"?>\n<!-- Generator: x -->\n<svg xmlns="http://www.w3.org/2000/svg"/>\n'), 'image/svg+xml');
    assert.equal(
      sniff('<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n<svg/>\n'),
      'image/svg+xml',
    );
  });

  it('scripts, JavaScript and style sheets', () => {
    assert.equal(sniff('#!/bin/sh\necho hello\n'), 'text/x-shellscript');
    assert.equal(sniff('#! /bin/sh\necho\n'), 'text/x-shellscript');
    assert.equal(sniff('#!/bin/bash\necho\n'), 'text/x-shellscript');
    assert.equal(sniff('#!/usr/bin/env bash\necho\n'), 'text/x-shellscript');
    assert.equal(sniff('#!/bin/zsh\necho\n'), 'text/x-shellscript');
    assert.equal(sniff(bin('#!/bin/sh\nexit 0\n', [0, 1, 2])), 'text/x-shellscript');
    assert.equal(sniff('#!/usr/bin/awk -f\n{print}\n'), 'text/x-awk');
    assert.equal(sniff('#!/usr/bin/python\nprint()\n'), 'text/x-script.python');
    assert.equal(sniff('#!/usr/bin/env python3\nprint("hi")\n'), 'text/x-script.python');
    assert.equal(sniff('#!/usr/bin/perl\nprint;\n'), 'text/x-perl');
    assert.equal(sniff('#!/usr/bin/env perl\n'), 'text/x-perl');
    assert.equal(sniff('#!/usr/bin/env ruby\nputs 1\n'), 'text/x-ruby');
    assert.equal(sniff('#!/usr/bin/env node\nconsole.log(1)\n'), 'application/javascript');
    assert.equal(sniff('<?php\necho 1;\n'), 'text/x-php');
    assert.equal(sniff('#!/usr/bin/env php\n<?php echo 1;\n'), 'text/plain');

    assert.equal(sniff('const a = require("x");\nmodule.exports = a;\n'), 'application/javascript');
    assert.equal(sniff('import x from "y";\nexport default x;\n'), 'application/javascript');
    assert.equal(sniff('export const a = 1;\n'), 'application/javascript');
    assert.equal(sniff('"use strict";\nvar a = 1;\n'), 'application/javascript');
    assert.equal(sniff("'use strict'\n"), 'application/javascript');
    assert.equal(sniff('function f(x) {\n  return x + 1;\n}\nconsole.log(f(1));\n'), 'text/plain');
    assert.equal(sniff('var x = 1;\n'), 'text/plain');

    assert.equal(sniff('body { color: red; }\n.x { margin: 0; }\n'), 'text/plain');
    assert.equal(sniff('@import url("x.css");\n'), 'text/plain');
    assert.equal(sniff('.text { color: red; }\n'), 'text/x-asm');
    assert.equal(sniff('textarea,\n.textarea { x: y }\n'), 'text/x-asm');
    assert.equal(sniff('# Title\n\nSome *markdown* text.\n\n- item\n'), 'text/plain');
    assert.equal(sniff('---\na: 1\nb: [1, 2]\n'), 'text/plain');
  });

  it('images, archives, documents and other binary kinds', () => {
    assert.equal(sniff(PNG), 'image/png');
    assert.equal(sniff(bin([0x89], 'PNG\r\n\x1a\n')), 'application/octet-stream'); // signature without IHDR
    assert.equal(sniff(bin([0xff, 0xd8, 0xff, 0xe0, 0, 16], 'JFIF\0', [1, 1, 0, 0, 1, 0, 1, 0, 0], Buffer.alloc(32), [0xff, 0xd9])), 'image/jpeg');
    assert.equal(sniff(bin('GIF89a', [1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 255, 255, 255], '!', [0xf9, 4, 1, 0, 0, 0, 0], ',', Buffer.alloc(9), ';')), 'image/gif');
    assert.equal(sniff(bin('RIFF', u32le(26), 'WEBPVP8L', u32le(14), [0x2f, 0, 0, 0], Buffer.alloc(10))), 'image/webp');
    assert.equal(sniff(bin('BM', u32le(58), [0, 0, 0, 0], u32le(54), u32le(40), Buffer.alloc(36))), 'image/bmp');
    assert.equal(sniff(bin('II*\0', u32le(8), Buffer.alloc(16))), 'image/tiff');
    assert.equal(sniff(bin('MM\0*', u32be(8), Buffer.alloc(16))), 'image/tiff');
    assert.equal(sniff(bin([0, 0, 1, 0, 1, 0, 16, 16, 0, 0, 1, 0, 32, 0], u32le(40), u32le(22), Buffer.alloc(40))), 'image/vnd.microsoft.icon');
    assert.equal(sniff(bin(u32be(28), 'ftypavif', u32be(0), 'avifmif1miaf', u32be(8), 'meta')), 'image/avif');
    assert.equal(sniff(bin(u32be(24), 'ftypheic', u32be(0), 'mif1heic', u32be(8), 'meta')), 'image/heic');

    assert.equal(sniff(bin('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n')), 'application/pdf');
    assert.equal(sniff(bin('%PDF-1.7\n%', [0xe2, 0xe3, 0xcf, 0xd3], '\nstream\n', [0, 1, 2])), 'application/pdf');
    assert.equal(sniff('%!PS-Adobe-3.0\n'), 'application/postscript');
    assert.equal(sniff('{\\rtf1\\ansi hello}\n'), 'text/rtf');

    assert.equal(sniff(bin([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3], Buffer.alloc(20))), 'application/gzip');
    assert.equal(sniff(bin('BZh91AY&SY', Buffer.alloc(30))), 'application/x-bzip2');
    assert.equal(sniff(bin([0xfd], '7zXZ\0', [0, 4], Buffer.alloc(40))), 'application/x-xz');
    assert.equal(sniff(bin([0x28, 0xb5, 0x2f, 0xfd, 0x20, 5, 0x29, 0, 0], 'hello')), 'application/zstd');
    assert.equal(sniff(bin('7z', [0xbc, 0xaf, 0x27, 0x1c, 0, 4], Buffer.alloc(24))), 'application/x-7z-compressed');
    assert.equal(sniff(bin('Rar!\x1a\x07\x01\x00', Buffer.alloc(20))), 'application/x-rar');
    assert.equal(sniff(tarHeader('t/x', 'ustar  \x00')), 'application/x-tar');
    assert.equal(sniff(tarHeader('x', 'ustar\x0000')), 'application/x-tar');
    assert.equal(sniff(tarHeader('x', '')), 'application/x-tar');
    assert.equal(sniff(bin('!<arch>\ndebian-binary   1342943816  0     0     100644  4         `\n2.0\n')), 'application/vnd.debian.binary-package');
    assert.equal(sniff(bin('!<arch>\nfoo.o/          0           0     0     644     4         `\nabcd')), 'application/x-archive');
    assert.equal(sniff(bin([0xed, 0xab, 0xee, 0xdb, 3, 0, 0, 0], Buffer.alloc(100))), 'application/x-rpm');

    assert.equal(sniff(bin(zipEntry('z.txt', 'hi'), 'PK\x01\x02')), 'application/zip');
    assert.equal(sniff(bin('PK\x05\x06', Buffer.alloc(18))), 'application/zip');
    assert.equal(sniff(bin(zipEntry('[Content_Types].xml', '<x/>'), zipEntry('_rels/.rels', '<x/>'), zipEntry('word/document.xml', '<x/>'))), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    assert.equal(sniff(bin(zipEntry('[Content_Types].xml', '<x/>'), zipEntry('_rels/.rels', '<x/>'), zipEntry('xl/workbook.xml', '<x/>'))), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    assert.equal(sniff(bin(zipEntry('[Content_Types].xml', '<x/>'), zipEntry('_rels/.rels', '<x/>'), zipEntry('ppt/presentation.xml', '<x/>'))), 'application/vnd.openxmlformats-officedocument.presentationml.presentation');
    assert.equal(sniff(bin(zipEntry('mimetype', 'application/vnd.oasis.opendocument.text'), zipEntry('content.xml', '<x/>'))), 'application/vnd.oasis.opendocument.text');
    assert.equal(sniff(bin(zipEntry('mimetype', 'application/epub+zip'), zipEntry('META-INF/container.xml', '<x/>'))), 'application/epub+zip');
    assert.equal(sniff(bin(zipEntry('META-INF/', '', [0xfe, 0xca, 0, 0]), zipEntry('META-INF/MANIFEST.MF', 'Manifest-Version: 1.0\n'))), 'application/java-archive');
    assert.equal(sniff(bin(zipEntry('META-INF/'), zipEntry('META-INF/MANIFEST.MF', 'Manifest-Version: 1.0\n'))), 'application/zip');

    assert.equal(sniff(bin('RIFF', u32le(36), 'WAVEfmt ', u32le(16), [1, 0, 1, 0], u32le(8000), u32le(8000), [1, 0, 8, 0], 'data', u32le(0))), 'audio/x-wav');
    assert.equal(sniff(bin('RIFF', u32le(100), 'AVI LIST', Buffer.alloc(40))), 'video/x-msvideo');
    assert.equal(sniff(bin(u32be(24), 'ftypisom', [0, 0, 2, 0], 'isomiso2', u32be(8), 'free')), 'video/mp4');
    assert.equal(sniff(bin(u32be(24), 'ftypM4A ', u32be(0), 'M4A isom', u32be(8), 'free')), 'audio/x-m4a');
    assert.equal(sniff(bin(u32be(20), 'ftypqt  ', [0, 0, 2, 0], 'qt  ', u32be(8), 'free')), 'video/quicktime');
    assert.equal(sniff(bin('ID3\x03\0\0\0\0\0\x0a', Buffer.alloc(10), [0xff, 0xfb, 0x90, 0], Buffer.alloc(100))), 'audio/mpeg');
    assert.equal(sniff(bin([0xff, 0xfb, 0x90, 0], Buffer.alloc(400))), 'audio/mpeg');
    assert.equal(sniff(bin('OggS\0\x02', Buffer.alloc(20), '\x01\x1e\x01vorbis', Buffer.alloc(30))), 'audio/ogg');
    assert.equal(sniff(bin('fLaC\0\0\0\x22', Buffer.alloc(40))), 'audio/flac');
    const ebml = (doc: string) => bin([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 1, 0x42, 0xf7, 0x81, 1, 0x42, 0xf2, 0x81, 4, 0x42, 0xf3, 0x81, 8, 0x42, 0x82, 0x80 | doc.length], doc, Buffer.alloc(16));
    assert.equal(sniff(ebml('webm')), 'video/webm');
    assert.equal(sniff(ebml('matroska')), 'video/x-matroska');

    assert.equal(sniff(bin('wOF2\0\x01\0\0', Buffer.alloc(40))), 'font/woff2');
    assert.equal(sniff(bin([0, 1, 0, 0, 0, 10, 0, 0x80, 0, 3, 0, 0x20], 'cmap', Buffer.alloc(40))), 'font/sfnt');
    assert.equal(sniff(bin('OTTO', [0, 10, 0, 0x80, 0, 3, 0, 0x20], 'CFF ', Buffer.alloc(40))), 'application/vnd.ms-opentype');
    assert.equal(sniff(bin('\0asm', [1, 0, 0, 0])), 'application/wasm');
    assert.equal(sniff(bin('SQLite format 3\0', [0x10, 0, 1, 1], Buffer.alloc(80))), 'application/vnd.sqlite3');
    assert.equal(sniff(bin([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 0x34], Buffer.alloc(20))), 'application/x-java-applet');
    assert.equal(sniff(bin([0xcb, 0x0d, 0x0d, 0x0a], Buffer.alloc(24))), 'application/x-bytecode.python');
    assert.equal(sniff(bin('MZ', Buffer.alloc(58), u32le(64), 'PE\0\0', [0x4c, 0x01], Buffer.alloc(100))), 'application/vnd.microsoft.portable-executable');
    assert.equal(sniff(bin('MZ', [0x90, 0, 3, 0, 0, 0, 4, 0], Buffer.alloc(100))), 'application/x-dosexec');
    assert.equal(sniff(bin('-----BEGIN PGP SIGNATURE-----\n\nx\n-----END PGP SIGNATURE-----\n')), 'application/pgp-signature');
  });

  it('ELF kinds by header (PIE taken from a program interpreter in the head)', () => {
    const elf = (type: number, interp: boolean) => {
      const h = Buffer.alloc(64 + 56 * 2);
      h.write('\x7fELF', 0, 'latin1');
      h[4] = 2; // 64-bit
      h[5] = 1; // little-endian
      h[6] = 1;
      h.writeUInt16LE(type, 16);
      h.writeUInt32LE(64, 32); // e_phoff
      h.writeUInt16LE(56, 54); // e_phentsize
      h.writeUInt16LE(2, 56); // e_phnum
      h.writeUInt32LE(6, 64); // PT_PHDR
      h.writeUInt32LE(interp ? 3 : 1, 64 + 56);
      return h;
    };
    assert.equal(sniff(elf(1, false)), 'application/x-object');
    assert.equal(sniff(elf(2, true)), 'application/x-executable');
    assert.equal(sniff(elf(3, true)), 'application/x-pie-executable');
    assert.equal(sniff(elf(3, false)), 'application/x-sharedlib');
  });
});

describe("names (--no-mime-magic, Python's mimetypes)", () => {
  // [name, mimetypes.guess_type(name)[0]]
  const cases: [string, string | undefined][] = [
    ['README', undefined], ['a.dat', undefined], ['a.tmp', undefined], ['a.log', undefined], ['a.yaml', undefined], ['a.yml', undefined],
    ['a.gz', undefined], ['a.bz2', undefined], ['a.xz', undefined], ['a.Z', undefined], ['a.br', undefined],
    ['a.tar.gz', 'application/x-tar'], ['a.tgz', 'application/x-tar'], ['a.TGZ', 'application/x-tar'], ['a.taz', 'application/x-tar'], ['a.tz', 'application/x-tar'],
    ['a.tar.bz2', 'application/x-tar'], ['a.tbz2', 'application/x-tar'], ['a.tar.xz', 'application/x-tar'], ['a.txz', 'application/x-tar'], ['a.tar.Z', 'application/x-tar'],
    ['x.tar.gz.gz', 'application/gzip'], ['a.Tar.Gz', 'application/gzip'], ['a.GZ', 'application/gzip'], ['a.Gz', 'application/gzip'],
    ['a.svgz', 'image/svg+xml'], ['a.SVGZ', 'image/svg+xml'], ['archive.tar.zst', 'application/zstd'],
    ['a.zip', 'application/zip'], ['a.tar', 'application/x-tar'], ['a.7z', 'application/x-7z-compressed'], ['a.rar', 'application/vnd.rar'], ['a.jar', 'application/java-archive'],
    ['a.pdf', 'application/pdf'], ['a.png', 'image/png'], ['a.PNG', 'image/png'], ['a.jpg', 'image/jpeg'], ['a.JPEG', 'image/jpeg'], ['a.gif', 'image/gif'], ['a.webp', 'image/webp'], ['a.ico', 'image/vnd.microsoft.icon'],
    ['a.html', 'text/html'], ['a.HTM', 'text/html'], ['a.css', 'text/css'], ['a.js', 'text/javascript'], ['a.mjs', 'text/javascript'], ['a.json', 'application/json'],
    ['a.xml', 'application/xml'], ['a.svg', 'image/svg+xml'], ['a.csv', 'text/csv'], ['a.md', 'text/markdown'], ['a.txt', 'text/plain'], ['utf8.txt', 'text/plain'],
    ['a.sh', 'text/x-sh'], ['a.py', 'text/x-python'], ['a.rb', 'application/x-ruby'], ['a.exe', 'application/x-msdos-program'], ['a.iso', 'application/x-iso9660-image'],
    ['a.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'], ['a.epub', 'application/epub+zip'], ['a.mp4', 'video/mp4'], ['a.woff2', 'font/woff2'], ['a.wasm', 'application/wasm'],
    ['script', undefined], ['.bashrc', undefined], ['..a', undefined], ['a.', undefined], ['a.unknownext', undefined],
    ['dir.d/README', undefined], ['dir.d/x.html', 'text/html'], ['/abs/path/x.tar', 'application/x-tar'],
  ];
  for (const [name, want] of cases) it(`${name} -> ${want ?? '(none)'}`, () => assert.equal(extensionContentType(name), want));
});

describe('uploadContentType (s3cmd content_type())', () => {
  const base: ContentTypeSettings = { guessMimeType: true, useMimeMagic: true, defaultMimeType: 'binary/octet-stream', followSymlinks: false, encoding: 'UTF-8' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's3k-ct-'));
  const file = (name: string, data: string | Buffer) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, data);
    return p;
  };

  it('magic (default) reads the content, whatever the name', () => {
    assert.equal(uploadContentType(base, file('README', 'This is a README file.\n')), 'text/plain');
    assert.equal(uploadContentType(base, file('a.dat', 'just some data\n')), 'text/plain');
    assert.equal(uploadContentType(base, file('png_noext', PNG)), 'image/png');
    assert.equal(uploadContentType(base, file('empty', '')), 'inode/x-empty');
    assert.equal(uploadContentType(base, file('a.css', 'body { color: red; }\n')), 'text/plain');
    assert.equal(uploadContentType(base, path.join(dir, 'missing')), 'binary/octet-stream');
  });

  it('--no-mime-magic goes by the name; default_mime_type when it has none', () => {
    const s = { ...base, useMimeMagic: false };
    assert.equal(uploadContentType(s, file('a.gz', 'x')), 'binary/octet-stream');
    assert.equal(uploadContentType(s, file('a.log', 'x')), 'binary/octet-stream');
    assert.equal(uploadContentType(s, file('b.css', 'x')), 'text/css');
    assert.equal(uploadContentType({ ...s, defaultMimeType: 'text/x-d' }, file('README2', 'x')), 'text/x-d');
  });

  it('--follow-symlinks takes the name of the link target', () => {
    const target = file('target.html', '<html>\n');
    const link = path.join(dir, 'link');
    fs.symlinkSync(target, link);
    const s = { ...base, useMimeMagic: false };
    assert.equal(uploadContentType(s, link), 'binary/octet-stream');
    assert.equal(uploadContentType({ ...s, followSymlinks: true }, link), 'text/html');
  });

  it('--mime-type wins, --no-guess-mime-type gives the default', () => {
    const p = file('c.txt', 'x\n');
    assert.equal(uploadContentType({ ...base, mimeType: 'text/x-foo; charset=latin1' }, p), 'text/x-foo; charset=latin1');
    assert.equal(uploadContentType({ ...base, guessMimeType: false }, p), 'binary/octet-stream');
    assert.equal(uploadContentType({ ...base, guessMimeType: false, defaultMimeType: 'text/x-d' }, p), 'text/x-d');
  });

  it('stdin: the forced or default type with the charset', () => {
    assert.equal(uploadContentType(base, undefined), 'binary/octet-stream; charset=UTF-8');
    assert.equal(uploadContentType({ ...base, mimeType: 'text/x-foo' }, undefined), 'text/x-foo; charset=UTF-8');
    assert.equal(uploadContentType({ ...base, defaultMimeType: 'text/x-bar', encoding: 'latin1' }, undefined), 'text/x-bar; charset=LATIN1');
  });
});

// The digests a download can be checked against: MD5 (ETags, s3cmd-attrs, rclone's md5chksum), and
// S3's additional checksums (x-amz-checksum-crc32 / crc32c / crc64nvme / sha1 / sha256). MD5 and the
// SHAs come from node:crypto; CRC32 from zlib.crc32 where node has it; CRC32C and CRC64NVME are
// table-driven here (slicing-by-8), checked against published vectors in test/unit/checksums.test.ts.
import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';

export type Algo = 'md5' | 'crc32' | 'crc32c' | 'crc64nvme' | 'sha1' | 'sha256';

/** A running digest; digest() gives the raw big-endian bytes (what S3 base64-encodes). */
export interface Digest {
  update(b: Uint8Array): void;
  digest(): Buffer;
}

/** Slicing-by-8 tables for a reflected 32-bit CRC. */
function tables32(poly: number): Uint32Array[] {
  const t = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[0][i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) for (let s = 1; s < 8; s++) t[s][i] = (t[s - 1][i] >>> 8) ^ t[0][t[s - 1][i] & 0xff];
  return t;
}

let T32: Uint32Array[] | undefined;
let T32C: Uint32Array[] | undefined;

/** Continue a reflected 32-bit CRC (pre/post-inverted) over `b`. */
function crc32Update(t: Uint32Array[], crc: number, b: Uint8Array): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = t;
  let c = ~crc >>> 0;
  let i = 0;
  const n = b.length;
  for (; i + 8 <= n; i += 8) {
    const lo = (c ^ (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24))) >>> 0;
    c = t7[lo & 0xff] ^ t6[(lo >>> 8) & 0xff] ^ t5[(lo >>> 16) & 0xff] ^ t4[lo >>> 24] ^ t3[b[i + 4]] ^ t2[b[i + 5]] ^ t1[b[i + 6]] ^ t0[b[i + 7]];
  }
  for (; i < n; i++) c = t0[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC-32 (ISO-HDLC, zlib's): pure JS, used where node has no zlib.crc32. */
export function crc32js(b: Uint8Array, crc = 0): number {
  T32 ??= tables32(0xedb88320);
  return crc32Update(T32, crc, b);
}

const zcrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** CRC-32 of `b`, continuing from `crc`. */
export function crc32(b: Uint8Array, crc = 0): number {
  return zcrc32 ? zcrc32(b, crc) >>> 0 : crc32js(b, crc);
}

/** CRC-32C (Castagnoli, iSCSI), continuing from `crc`. */
export function crc32c(b: Uint8Array, crc = 0): number {
  T32C ??= tables32(0x82f63b78);
  return crc32Update(T32C, crc, b);
}

// CRC-64/NVME: reflected polynomial 0x9a6c9329ac4bc9b5, init and xorout all ones. 64-bit values are
// kept as two uint32 halves (BigInt arithmetic is an order of magnitude slower).
let T64: { lo: Uint32Array[]; hi: Uint32Array[] } | undefined;
function tables64() {
  const lo = Array.from({ length: 8 }, () => new Uint32Array(256));
  const hi = Array.from({ length: 8 }, () => new Uint32Array(256));
  const PL = 0xac4bc9b5;
  const PH = 0x9a6c9329;
  for (let i = 0; i < 256; i++) {
    let l = i;
    let h = 0;
    for (let k = 0; k < 8; k++) {
      const odd = l & 1;
      l = ((l >>> 1) | ((h & 1) << 31)) >>> 0;
      h = h >>> 1;
      if (odd) {
        l = (l ^ PL) >>> 0;
        h = (h ^ PH) >>> 0;
      }
    }
    lo[0][i] = l;
    hi[0][i] = h;
  }
  for (let i = 0; i < 256; i++)
    for (let s = 1; s < 8; s++) {
      const pl = lo[s - 1][i];
      const ph = hi[s - 1][i];
      const x = pl & 0xff;
      // (prev >>> 8) ^ T0[prev & 0xff]
      lo[s][i] = (((pl >>> 8) | (ph << 24)) ^ lo[0][x]) >>> 0;
      hi[s][i] = ((ph >>> 8) ^ hi[0][x]) >>> 0;
    }
  return { lo, hi };
}

/** CRC-64/NVME state as [hi, lo] (the finished CRC, not inverted). */
export function crc64nvme(b: Uint8Array, crc: [number, number] = [0, 0]): [number, number] {
  T64 ??= tables64();
  const { lo: L, hi: H } = T64;
  let h = ~crc[0] >>> 0;
  let l = ~crc[1] >>> 0;
  let i = 0;
  const n = b.length;
  for (; i + 8 <= n; i += 8) {
    const a = (l ^ (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24))) >>> 0;
    const c = (h ^ (b[i + 4] | (b[i + 5] << 8) | (b[i + 6] << 16) | (b[i + 7] << 24))) >>> 0;
    const i7 = a & 0xff, i6 = (a >>> 8) & 0xff, i5 = (a >>> 16) & 0xff, i4 = a >>> 24;
    const i3 = c & 0xff, i2 = (c >>> 8) & 0xff, i1 = (c >>> 16) & 0xff, i0 = c >>> 24;
    l = L[7][i7] ^ L[6][i6] ^ L[5][i5] ^ L[4][i4] ^ L[3][i3] ^ L[2][i2] ^ L[1][i1] ^ L[0][i0];
    h = H[7][i7] ^ H[6][i6] ^ H[5][i5] ^ H[4][i4] ^ H[3][i3] ^ H[2][i2] ^ H[1][i1] ^ H[0][i0];
  }
  for (; i < n; i++) {
    const x = (l ^ b[i]) & 0xff;
    l = ((l >>> 8) | (h << 24)) ^ L[0][x];
    h = (h >>> 8) ^ H[0][x];
  }
  return [~h >>> 0, ~l >>> 0];
}

class Crc32Digest implements Digest {
  private c = 0;
  constructor(private readonly f: (b: Uint8Array, c: number) => number) {}
  update(b: Uint8Array) {
    this.c = this.f(b, this.c);
  }
  digest() {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(this.c >>> 0);
    return out;
  }
}

class Crc64Digest implements Digest {
  private c: [number, number] = [0, 0];
  update(b: Uint8Array) {
    this.c = crc64nvme(b, this.c);
  }
  digest() {
    const out = Buffer.alloc(8);
    out.writeUInt32BE(this.c[0], 0);
    out.writeUInt32BE(this.c[1], 4);
    return out;
  }
}

/** A fresh running digest of `algo`. */
export function newDigest(algo: Algo): Digest {
  switch (algo) {
    case 'crc32':
      return new Crc32Digest(crc32);
    case 'crc32c':
      return new Crc32Digest(crc32c);
    case 'crc64nvme':
      return new Crc64Digest();
    default: {
      const h = createHash(algo);
      return { update: (b) => void h.update(b), digest: () => h.digest() };
    }
  }
}

/** The digest of `algo` over one buffer. */
export function digestOf(algo: Algo, b: Uint8Array): Buffer {
  const d = newDigest(algo);
  d.update(b);
  return d.digest();
}

/**
 * A composite ("checksum of checksums") value: the digest of the concatenated binary digests of the
 * parts. S3 multipart ETags are hex(MD5(md5(part1) || ... || md5(partN))) + '-N'; composite
 * additional checksums are base64(CRC(crc(part1) || ...)) + '-N'.
 */
export function compositeOf(algo: Algo, partDigests: Buffer[]): Buffer {
  return digestOf(algo, Buffer.concat(partDigests));
}

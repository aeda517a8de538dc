// What a download is checked against, chosen from the object's answer headers, and the checking
// itself while the bytes stream by. In order of preference:
//   1. a plain-MD5 ETag (single PUT, not SSE-KMS)                       -> MD5 of the whole
//   2. a full-object additional checksum (x-amz-checksum-crc64nvme, ...) -> that checksum of the whole
//   3. an MD5 of the whole in the object's metadata: s3cmd's x-amz-meta-s3cmd-attrs md5, rclone's
//      x-amz-meta-md5chksum (base64)                                     -> MD5 of the whole
//   4. a composite ETag "<hex>-N" (multipart upload)                     -> MD5 of the N part MD5s
//   5. a composite additional checksum "<base64>-N"                      -> CRC/SHA of the part CRC/SHAs
// A composite needs the upload's part size: certain when N is 1, or when the server answers
// HEAD ?partNumber=1 with x-amz-mp-parts-count (AWS does; Ceph RGW 16 ignores partNumber and answers
// for the whole object); otherwise guessed from the sizes tools use (see partSizeGuesses). A
// mismatch at a certain part size is corruption; no match among guesses only means "not verified".
import { isMd5Hex, attrsMd5 } from '../storage/attrs.ts';
import { newDigest, compositeOf, type Algo, type Digest } from './checksums.ts';
import { isCustomerEncrypted } from '../s3/sse-c.ts';

type Headers = Record<string, string | string[] | undefined>;
const header = (h: Headers, k: string) => {
  const v = h[k];
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
};

const MiB = 1024 * 1024;

/** x-amz-checksum-* headers, in the order they are preferred (the cheapest to compute first). */
export const CHECKSUM_ALGOS: readonly Algo[] = ['crc32', 'crc64nvme', 'crc32c', 'sha1', 'sha256'];

export type Plan =
  /** Check a digest of the whole object. */
  | { kind: 'whole'; algo: Algo; expected: Buffer; label: string }
  /** Check a composite of N parts; the part size is not settled yet. */
  | { kind: 'composite'; algo: Algo; expected: Buffer; parts: number; source: string }
  | { kind: 'none'; reason: string };

/** A composite with its part sizes: one certain size, or guesses. */
export interface CompositePlan {
  kind: 'composite';
  algo: Algo;
  expected: Buffer;
  parts: number;
  source: string;
  sizes: number[];
  /** How the part size is known: 'one part', 'HEAD ?partNumber=1', or 'guessed'. */
  how: 'one part' | 'HEAD ?partNumber=1' | 'guessed';
  /** Why the part size had to be guessed (for the -v line when no guess matches). */
  note?: string;
}

export type ResolvedPlan = Exclude<Plan, { kind: 'composite' }> | CompositePlan;

export type Outcome =
  | { ok: true; how: string }
  /** Verified false: the bytes are not the object's. */
  | { ok: false; got: string; expected: string; what: string }
  /** Could not be checked, and why. */
  | { ok: undefined; why: string };

const fromB64 = (s: string): Buffer | undefined => {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s)) return undefined;
  return Buffer.from(s, 'base64');
};
const DIGEST_BYTES: Record<Algo, number> = { md5: 16, crc32: 4, crc32c: 4, crc64nvme: 8, sha1: 20, sha256: 32 };

/** "8 MiB", or bytes when not a whole number of MiB. */
export function sizeText(n: number): string {
  return n % MiB === 0 ? `${n / MiB} MiB` : `${n} bytes`;
}

/** The algorithm's name as the -v line and mismatch errors say it. */
export const algoName = (a: Algo) => (a === 'md5' ? 'MD5' : a.toUpperCase());

/** Choose the check for an object from its GET/HEAD answer headers (see the order above). */
export function planFromHeaders(h: Headers): Plan {
  const etag = header(h, 'etag').replace(/"/g, '');
  // SSE-KMS and SSE-C: on AWS the ETag is not the MD5 of the data
  const kms = header(h, 'x-amz-server-side-encryption').startsWith('aws:kms') || isCustomerEncrypted(h);
  if (isMd5Hex(etag) && !kms) return { kind: 'whole', algo: 'md5', expected: Buffer.from(etag, 'hex'), label: 'md5' };
  const composites: Plan[] = [];
  const type = header(h, 'x-amz-checksum-type').toUpperCase();
  for (const algo of CHECKSUM_ALGOS) {
    const v = header(h, `x-amz-checksum-${algo}`).trim();
    if (!v) continue;
    const m = /^([A-Za-z0-9+/=]+)(?:-(\d+))?$/.exec(v);
    const bin = m ? fromB64(m[1]) : undefined;
    if (!m || !bin || bin.length !== DIGEST_BYTES[algo]) continue;
    if (!m[2] || type === 'FULL_OBJECT') return { kind: 'whole', algo, expected: bin, label: algo };
    composites.push({ kind: 'composite', algo, expected: bin, parts: Number(m[2]), source: `x-amz-checksum-${algo}` });
  }
  const attrs = attrsMd5(header(h, 'x-amz-meta-s3cmd-attrs'));
  if (attrs) return { kind: 'whole', algo: 'md5', expected: Buffer.from(attrs, 'hex'), label: 'md5 (s3cmd-attrs)' };
  const rclone = fromB64(header(h, 'x-amz-meta-md5chksum').trim());
  if (rclone && rclone.length === 16) return { kind: 'whole', algo: 'md5', expected: rclone, label: 'md5 (rclone md5chksum)' };
  const mp = /^([0-9a-f]{32})-(\d+)$/.exec(etag);
  if (mp && !kms && Number(mp[2]) >= 1) return { kind: 'composite', algo: 'md5', expected: Buffer.from(mp[1], 'hex'), parts: Number(mp[2]), source: 'ETag' };
  if (composites.length) return composites[0];
  if (kms) return { kind: 'none', reason: `its ETag is not an MD5 (${isCustomerEncrypted(h) ? 'SSE-C' : 'SSE-KMS'}) and it carries no checksum` };
  if (!etag) return { kind: 'none', reason: 'the server sent no ETag' };
  return { kind: 'none', reason: `its ETag (${etag}) is neither an MD5 nor a multipart ETag, and it carries no checksum` };
}

/** Part sizes tools use, most likely first: aws cli / boto3 8 MiB, rclone and most SDKs 5 MiB, s3cmd 15 MiB, and their doublings (the tools double the part size to stay within 10,000 parts). */
const COMMON_MIB = [8, 5, 15, 16, 10, 64, 100, 128, 32, 50, 25, 20, 30, 40, 60, 80, 256, 512];

/**
 * Part sizes that could have cut `size` bytes into exactly `parts` parts, most likely first: the
 * caller's own chunk size, the common sizes, and size/N rounded up to a whole MiB. At most `max`.
 */
export function partSizeGuesses(size: number, parts: number, extra: number[] = [], max = 6): number[] {
  if (parts <= 1) return [size];
  const fits = (p: number) => p > 0 && Math.ceil(size / p) === parts;
  const out: number[] = [];
  const add = (p: number) => {
    if (out.length < max && fits(p) && !out.includes(p)) out.push(p);
  };
  for (const p of extra) add(p);
  for (const m of COMMON_MIB) add(m * MiB);
  add(Math.ceil(size / parts / MiB) * MiB);
  // every whole MiB that fits, when few do
  const lo = Math.ceil(size / parts / MiB);
  const hi = Math.floor((size - 1) / (parts - 1) / MiB);
  if (hi - lo < max) for (let m = lo; m <= hi; m++) add(m * MiB);
  return out;
}

/** Settle a composite's part size: N = 1, the server's answer for part 1, or guesses. */
export function resolvePlan(p: Plan, size: number, probe: { partSize?: number; note?: string } = {}, extra: number[] = []): ResolvedPlan {
  if (p.kind !== 'composite') return p;
  if (p.parts === 1) return { ...p, sizes: [size], how: 'one part' };
  const ps = probe.partSize;
  if (ps && Math.ceil(size / ps) === p.parts) return { ...p, sizes: [ps], how: 'HEAD ?partNumber=1' };
  return { ...p, sizes: partSizeGuesses(size, p.parts, extra), how: 'guessed', note: probe.note };
}

/** "composite MD5 of 3 parts of 8 MiB (part size guessed)" */
function compositeText(p: CompositePlan, partSize: number): string {
  const how = p.how === 'guessed' ? ' (part size guessed)' : p.how === 'HEAD ?partNumber=1' ? ' (part size from HEAD ?partNumber=1)' : '';
  return `composite ${p.algo === 'md5' ? 'MD5' : p.algo} of ${p.parts} part${p.parts === 1 ? '' : 's'} of ${sizeText(partSize)}${how}`;
}

const enc = (algo: Algo, b: Buffer) => (algo === 'md5' ? b.toString('hex') : b.toString('base64'));

/** Judge a composite from the part digests computed at each candidate size (same order as p.sizes). */
export function judgeComposite(p: CompositePlan, partsBySize: Buffer[][]): Outcome {
  let first: { got: string; size: number } | undefined;
  for (let i = 0; i < p.sizes.length; i++) {
    const parts = partsBySize[i];
    const got = compositeOf(p.algo, parts);
    if (parts.length === p.parts && got.equals(p.expected)) return { ok: true, how: compositeText(p, p.sizes[i]) };
    first ??= { got: `${enc(p.algo, got)}-${parts.length}`, size: p.sizes[i] };
  }
  const expected = `${enc(p.algo, p.expected)}-${p.parts}`;
  if (p.how !== 'guessed' && first)
    return { ok: false, got: first.got, expected, what: `composite ${algoName(p.algo)} of ${p.parts} parts of ${sizeText(first.size)}` };
  const tried = p.sizes.length ? `none of the part sizes tried (${p.sizes.map(sizeText).join(', ')}) gives it` : 'no common part size fits its size';
  return { ok: undefined, why: `its ${p.source} is a composite of ${p.parts} parts and ${tried}; the part size it was uploaded with is unknown${p.note ? ` (${p.note})` : ''}` };
}

/** Checks a download fed to it in order, chunk by chunk, without keeping the bytes. */
export class StreamVerifier {
  private whole?: Digest;
  private lanes: { size: number; cur: Digest; inPart: number; parts: Buffer[] }[] = [];
  constructor(readonly plan: ResolvedPlan) {
    if (plan.kind === 'whole') this.whole = newDigest(plan.algo);
    else if (plan.kind === 'composite') this.lanes = plan.sizes.map((size) => ({ size, cur: newDigest(plan.algo), inPart: 0, parts: [] }));
  }
  update(chunk: Uint8Array): void {
    this.whole?.update(chunk);
    if (this.plan.kind !== 'composite') return;
    for (const l of this.lanes) {
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(chunk.length - off, l.size - l.inPart);
        l.cur.update(off === 0 && n === chunk.length ? chunk : chunk.subarray(off, off + n));
        off += n;
        l.inPart += n;
        if (l.inPart === l.size) {
          l.parts.push(l.cur.digest());
          l.cur = newDigest(this.plan.algo);
          l.inPart = 0;
        }
      }
    }
  }
  finish(): Outcome {
    const p = this.plan;
    if (p.kind === 'none') return { ok: undefined, why: p.reason };
    if (p.kind === 'whole') return wholeOutcome(p, this.whole!.digest());
    for (const l of this.lanes) if (l.inPart > 0) l.parts.push(l.cur.digest());
    return judgeComposite(p, this.lanes.map((l) => l.parts));
  }
}

/** The outcome of a whole-object check, given the digest of every byte. */
export function wholeOutcome(p: Extract<ResolvedPlan, { kind: 'whole' }>, got: Buffer): Outcome {
  return got.equals(p.expected) ? { ok: true, how: p.label } : { ok: false, got: enc(p.algo, got), expected: enc(p.algo, p.expected), what: algoName(p.algo) };
}

/** Check a whole buffer. */
export function verifyBuffer(plan: ResolvedPlan, body: Uint8Array): Outcome {
  const v = new StreamVerifier(plan);
  v.update(body);
  return v.finish();
}

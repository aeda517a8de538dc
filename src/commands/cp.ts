// cp, mv, modify: server-side copies inside S3 with s3cmd's rules (S3/S3.py object_copy,
// s3cmd subcmd_cp_mv): sources are single keys, wildcards or -r prefixes; metadata is kept (COPY) or
// rebuilt from the source's headers plus --add-header / -m / --remove-header (REPLACE); the source's
// ACL is carried over unless -P / --acl-private says otherwise; above 5 GiB the copy is multipart.
// Copies run in parallel; lines come out in order with s3cmd's `[n of N]` labels.
import type { Context } from './context.ts';
import { headObject, headBucket, deleteObject, type HeadInfo } from '../s3/ops.ts';
import { getAcl, putAcl, isOwnerOnly, type Acl } from '../s3/acl.ts';
import { S3Error, SseCustomerKeyError, TransferError } from '../s3/errors.ts';
import { s3uri, publicUrl } from '../s3/uri.ts';
import { output, warning, error, info, debug, setStatus } from '../cli/output.ts';
import { EX, ParameterError } from '../cli/exit-codes.ts';
import { parseArg, s3Arg, type S3Url } from '../storage/url.ts';
import { expand, type RemoteItem } from '../storage/s3.ts';
import { selection } from '../sync/select.ts';
import { copyRemote, FIVE_GIB } from '../transfer/copy.ts';
import { storageHeaders } from '../transfer/headers.ts';
import { Pool } from '../transfer/pool.ts';
import { Progress } from '../transfer/progress.ts';
import { warnEmptyName } from './report.ts';

export type CopyAction = 'copy' | 'move' | 'modify';

/** Headers a REPLACE copy carries over from the source (everything else a HEAD returns is the server's). */
const KEPT_HEADERS = new Set([
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'content-type',
  'expires',
  'x-amz-website-redirect-location',
  'x-amz-server-side-encryption',
  'x-amz-server-side-encryption-aws-kms-key-id',
  'x-amz-storage-class',
]);

/** s3cmd's ExitScoreboard. */
class Scoreboard {
  ok = 0;
  notFound = 0;
  failed = 0;
  rc(): number {
    if (this.ok) return this.failed ? EX.PARTIAL : this.notFound ? EX.GENERAL : EX.OK;
    if (this.failed) return EX.GENERAL;
    return this.notFound ? EX.NOTFOUND : EX.GENERAL;
  }
}

/** Prints results in submission order while the work completes in any order. */
class OrderedPrinter {
  private next = 1;
  private pending = new Map<number, () => void>();
  done(seq: number, print: () => void): void {
    this.pending.set(seq, print);
    for (let p = this.pending.get(this.next); p; p = this.pending.get(this.next)) {
      this.pending.delete(this.next++);
      p();
    }
  }
}

/** HEAD that tells a missing bucket from a missing key (HEAD answers carry no error body). */
async function headSource(ctx: Context, bucket: string, key: string): Promise<HeadInfo> {
  try {
    return await headObject(ctx.s3(), bucket, key, true);
  } catch (e) {
    if (e instanceof S3Error && e.status === 404) {
      const bucketMissing = await headBucket(ctx.s3(), bucket).then(
        () => false,
        (b) => b instanceof S3Error && b.status === 404,
      );
      if (bucketMissing) throw new S3Error(404, 'NoSuchBucket', '', `/${bucket}`);
    }
    throw e;
  }
}

/** The headers of the copy request (without x-amz-copy-source / metadata directive). */
export function copyHeaders(ctx: Context, head: HeadInfo | undefined): Record<string, string> {
  const s = ctx.settings;
  const h: Record<string, string> = {};
  const set = (name: string, v: string) => {
    const n = name.toLowerCase();
    h[n === 'content-type' ? 'Content-Type' : n] = v;
  };
  if (head) {
    for (const [k, v] of Object.entries(head.headers)) {
      const n = k.toLowerCase();
      if (KEPT_HEADERS.has(n) || n.startsWith('x-amz-meta-')) set(n, v);
    }
    if (h['x-amz-storage-class'] === 'STANDARD') delete h['x-amz-storage-class'];
  }
  for (const r of s.removeHeaders) delete h[r === 'content-type' ? 'Content-Type' : r];
  if (s.aclPublic === true) h['x-amz-acl'] = 'public-read';
  Object.assign(h, storageHeaders(s));
  for (const [k, v] of Object.entries(s.extraHeaders)) set(k, v);
  if (s.mimeType) h['Content-Type'] = s.mimeType;
  return h;
}

interface Job {
  src: RemoteItem;
  dst: { bucket: string; key: string };
  /** Bytes copied so far (progress): after each part of a multipart copy, or the whole object. */
  onBytes?: (n: number) => void;
}

/** Copy (and for mv, delete) one object; returns its size. Throws S3Error on failure. */
export async function copyOne(ctx: Context, action: CopyAction, job: Job): Promise<number> {
  const c = ctx.s3();
  const s = ctx.settings;
  const { src, dst } = job;
  let acl: Acl | undefined;
  if (s.aclPublic === undefined) {
    try {
      acl = await getAcl(c, src.bucket, src.key);
    } catch (e) {
      if (!(e instanceof S3Error && e.status === 501)) throw e;
    }
  }
  const replace = action === 'modify' || Object.keys(s.extraHeaders).length > 0 || !!s.mimeType || s.removeHeaders.length > 0;
  let size = src.size;
  let head: HeadInfo | undefined;
  if (replace || size === undefined || size > FIVE_GIB) {
    head = await headSource(ctx, src.bucket, src.key);
    size = head.size;
  }
  // Above 5 GiB the copy is multipart, which never copies metadata: always rebuild it from the HEAD.
  const multipart = size > FIVE_GIB;
  const headers = copyHeaders(ctx, replace || multipart ? head : undefined);
  await copyRemote(c, { bucket: src.bucket, key: src.key, size }, dst, {
    partSize: s.multipartChunkBytes,
    concurrency: Math.max(1, Math.min(s.parallel, 8)),
    headers,
    directive: replace || multipart ? 'REPLACE' : 'COPY',
    onBytes: job.onBytes,
  });
  if (acl && !isOwnerOnly(acl)) {
    try {
      await putAcl(c, dst.bucket, dst.key, acl);
    } catch (e) {
      if (!(e instanceof S3Error && e.status === 501)) throw e;
    }
  }
  if (action === 'move' && !(src.bucket === dst.bucket && src.key === dst.key)) await deleteObject(c, src.bucket, src.key);
  return size;
}

export async function cmdCpMv(ctx: Context, argsIn: string[], action: CopyAction): Promise<number> {
  const s = ctx.settings;
  const args = [...argsIn];
  let dest: S3Url | undefined;
  if (action === 'modify') {
    if (args.length < 1) throw new ParameterError(`Expecting one or more S3 URIs for ${action}`);
  } else {
    if (args.length < 2) throw new ParameterError(`Expecting two or more S3 URIs for ${action}`);
    const d = parseArg(args.pop()!);
    if (d.type !== 's3' || !d.bucket) throw new ParameterError("Destination must be S3 URI. To download a file use 'get' or 'sync'.");
    dest = d;
  }
  const sources: S3Url[] = args.map(s3Arg);
  const selected = selection(s, debug, s.dryRun); // only the first listing notes exclusions (dry-run prints them)
  const listing = (u: S3Url) => expand(ctx.s3(), u, { recursive: s.recursive, exactObject: true, keep: selected.keep, onEmptyName: warnEmptyName });

  // Streaming (list twice: count, then copy) keeps memory flat; several sources, or a destination
  // inside the listed range (the copy would meet its own output), are listed once into memory,
  // deduplicated and sorted as s3cmd does.
  const destKeyBase = dest?.key ?? '';
  const overlaps = (u: S3Url) =>
    !!dest && action !== 'modify' && dest.bucket === u.bucket && (s.recursive || u.wildcard) && (destKeyBase.startsWith(u.prefix) || u.prefix.startsWith(destKeyBase));
  const inMemory = sources.length > 1 || sources.some(overlaps);
  let memory: RemoteItem[] | undefined;
  let total = 0;
  // the sizes the listing gave (a single object named exactly may have none: then no byte total)
  let totalBytes: number | undefined = 0;
  const count = (it: RemoteItem) => {
    total++;
    totalBytes = it.size === undefined || totalBytes === undefined ? undefined : totalBytes + it.size;
  };
  if (inMemory) {
    const byName = new Map<string, RemoteItem>();
    for (const u of sources) for await (const it of listing(u)) byName.set(it.relative, it);
    memory = [...byName.values()].sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
    for (const it of memory) count(it);
  } else {
    for await (const it of listing(sources[0])) count(it);
  }
  selected.noting = false;
  info(`Summary: ${total} remote files to ${action}`);

  const destIsDir = !!dest && (destKeyBase === '' || destKeyBase.endsWith('/'));
  if (dest && !destIsDir && (total > 1 || s.recursive))
    throw new ParameterError("Destination must be a directory and end with '/' when acting on a folder content or on multiple sources.");
  const destFor = (it: RemoteItem) => {
    if (!dest) return { bucket: it.bucket, key: it.key };
    return { bucket: dest.bucket, key: s.recursive || destIsDir ? destKeyBase + it.relative : destKeyBase };
  };
  const items = (): AsyncIterable<RemoteItem> | Iterable<RemoteItem> => memory ?? listing(sources[0]);

  if (s.dryRun) {
    for (const e of selected.excluded) output(`exclude: ${e}`);
    for await (const it of items()) {
      const d = destFor(it);
      output(`${action}: '${s3uri(it.bucket, it.key)}' -> '${s3uri(d.bucket, d.key)}'`);
    }
    warning('Exiting now because of --dry-run');
    return EX.OK;
  }
  if (total === 0) {
    warning('Remote list is empty.');
    return EX.GENERAL;
  }

  const board = new Scoreboard();
  // the run's tally, for --json (a move counts as a transfer: the source's removal is part of it)
  const tally = ctx.tally;
  const printer = new OrderedPrinter();
  const pool = new Pool(Math.max(1, s.parallel));
  const progress = new Progress(total, totalBytes);
  setStatus(progress);
  let seq = 0;
  let stop = false;
  try {
    for await (const it of items()) {
      if (stop) break;
      const n = ++seq;
      const label = `[${n} of ${Math.max(total, n)}]`;
      const dst = destFor(it);
      const srcUri = s3uri(it.bucket, it.key);
      const dstUri = s3uri(dst.bucket, dst.key);
      await pool.submit(async () => {
        try {
          const size = await copyOne(ctx, action, { src: it, dst, onBytes: (b) => progress.addBytes(b) });
          progress.fileDone();
          tally.transferDone(size);
          board.ok++;
          printer.done(n, () => {
            if (action === 'copy') output(`remote copy: '${srcUri}' -> '${dstUri}'  ${label}`);
            else if (action === 'move') output(`move: '${srcUri}' -> '${dstUri}'  ${label}`);
            else output(`modify: '${srcUri}'  ${label}`);
            if (s.aclPublic === true) info(`Public URL is: ${publicUrl(s.endpoint, s.hostBucketTemplate, dst.bucket, dst.key)}`);
          });
        } catch (e) {
          if (!(e instanceof S3Error) && !(e instanceof TransferError)) {
            printer.done(n, () => undefined);
            throw e;
          }
          if (e instanceof S3Error && e.code === 'NoSuchKey') {
            board.notFound++;
            tally.fail(srcUri, e);
            printer.done(n, () => warning(`Key not found ${srcUri}`));
          } else {
            board.failed++;
            // an SSE-C error says which key to check (its line carries the hint)
            const why = e instanceof SseCustomerKeyError ? e.line.replace(/^S3 error: /, '') : e.message;
            tally.fail(srcUri, why);
            printer.done(n, () => error(`Copy failed for: '${srcUri}' (${why})`));
          }
          if (s.stopOnError) stop = true;
        }
      });
      if (pool.failed) break;
    }
    await pool.drain();
  } finally {
    setStatus(undefined);
  }
  return board.rc();
}

export const cmdCp = (ctx: Context, args: string[]) => cmdCpMv(ctx, args, 'copy');
export const cmdMv = (ctx: Context, args: string[]) => cmdCpMv(ctx, args, 'move');
export const cmdModify = (ctx: Context, args: string[]) => cmdCpMv(ctx, args, 'modify');

// Merge-join of two listings sorted by relative path (byte order of UTF-8, S3's order): memory
// stays O(1) in the number of entries. decide() is s3cmd's compare_filelists for one pair.
import type { Entry } from '../storage/location.ts';
import { EX, S3kError } from '../errors.ts';

export interface Pair {
  src?: Entry;
  dst?: Entry;
}

export function compareRelative(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * A listing that is not in byte order (a server that lists unordered): sync stops before it could
 * copy or delete the wrong things. Exit 65 (EX_DATAERR: the data s3k was given is not usable).
 */
export class UnsortedListingError extends S3kError {
  constructor(side: string, prev: string, next: string) {
    super(`the ${side} listing is not in sorted order ('${next}' came after '${prev}'); s3k cannot merge it safely`, EX.DATAERR);
    this.name = 'UnsortedListingError';
  }
  override get line(): string {
    return `Unsorted listing: ${this.message}. Nothing was deleted; the server must list keys in UTF-8 byte order (S3 does; check the gateway or server in front of it).`;
  }
}

async function* checked(it: AsyncIterable<Entry>, side: string): AsyncGenerator<Entry> {
  let prev: string | undefined;
  for await (const e of it) {
    if (prev !== undefined && compareRelative(prev, e.relative) >= 0) {
      if (prev === e.relative) continue; // duplicate name (e.g. two sources): first wins
      throw new UnsortedListingError(side, prev, e.relative);
    }
    prev = e.relative;
    yield e;
  }
}

export async function* mergeJoin(src: AsyncIterable<Entry>, dst: AsyncIterable<Entry>): AsyncGenerator<Pair> {
  const a = checked(src, 'source')[Symbol.asyncIterator]();
  const b = checked(dst, 'destination')[Symbol.asyncIterator]();
  let x = await a.next();
  let y = await b.next();
  while (!x.done || !y.done) {
    if (y.done) {
      yield { src: x.value as Entry };
      x = await a.next();
    } else if (x.done) {
      yield { dst: y.value };
      y = await b.next();
    } else {
      const c = compareRelative(x.value.relative, y.value.relative);
      if (c === 0) {
        yield { src: x.value, dst: y.value };
        x = await a.next();
        y = await b.next();
      } else if (c < 0) {
        yield { src: x.value };
        x = await a.next();
      } else {
        yield { dst: y.value };
        y = await b.next();
      }
    }
  }
}

export type Decision = 'transfer' | 'skip' | 'check-md5' | 'delete';

export interface DecideOptions {
  checkMd5: boolean;
  skipExisting: boolean;
  deleteRemoved: boolean;
}

/** What to do with a pair, before any MD5 is computed (s3cmd's compare_filelists). */
export function decide(p: Pair, o: DecideOptions): Decision {
  if (p.src && !p.dst) return 'transfer';
  if (!p.src && p.dst) return o.deleteRemoved ? 'delete' : 'skip';
  if (o.skipExisting) return 'skip';
  // a directory on both sides: nothing to compare
  if (p.src!.dir && p.dst!.dir) return 'skip';
  if (p.src!.size !== p.dst!.size) return 'transfer';
  return o.checkMd5 ? 'check-md5' : 'skip';
}

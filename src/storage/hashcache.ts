// --cache-file: the MD5 of local files, keyed by (device, inode, mtime, size), so an unchanged file
// is not read again on the next sync. s3cmd keeps a Python pickle at that path; s3k keeps its own
// JSON there instead. A file that cannot be read or is not s3k's format (an s3cmd pickle) is
// treated as empty and overwritten. Saved with a temporary file and a rename, so a crash never
// leaves half a cache. Only files seen in this run are saved (s3cmd's purge).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

const FORMAT = 's3k-md5-cache';

interface Item {
  mtimeMs: number;
  size: number;
  md5: string;
}

export interface CacheKey {
  dev?: number;
  ino?: number;
  mtimeMs?: number;
  size: number;
}

export class HashCache {
  private old = new Map<string, Item>();
  private kept = new Map<string, Item>();

  private constructor(readonly path: string) {}

  /** Load `path`; `problem` is told why an existing file was ignored. */
  static load(path: string, problem: (why: string) => void): HashCache {
    const c = new HashCache(path);
    let raw: string;
    try {
      raw = readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') problem(`cannot read the cache file '${path}' (${(e as NodeJS.ErrnoException).code}); starting an empty cache`);
      return c;
    }
    try {
      const j = JSON.parse(raw) as { format?: string; entries?: Record<string, [number, number, string]> };
      if (j.format !== FORMAT || typeof j.entries !== 'object' || j.entries === null) throw new Error('not an s3k cache');
      for (const [k, v] of Object.entries(j.entries)) {
        if (Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'number' && typeof v[2] === 'string' && /^[0-9a-f]{32}$/.test(v[2])) c.old.set(k, { mtimeMs: v[0], size: v[1], md5: v[2] });
      }
    } catch {
      problem(`the cache file '${path}' is not an s3k MD5 cache (an s3cmd pickle?); it is ignored and will be overwritten`);
    }
    return c;
  }

  private static id(k: CacheKey): string | undefined {
    if (k.dev === undefined || k.ino === undefined || k.mtimeMs === undefined) return undefined;
    return `${k.dev}:${k.ino}`;
  }

  /** The cached MD5 of a file whose mtime and size have not changed. */
  get(k: CacheKey): string | undefined {
    const id = HashCache.id(k);
    if (!id) return undefined;
    const it = this.kept.get(id) ?? this.old.get(id);
    if (!it || it.mtimeMs !== Math.round(k.mtimeMs!) || it.size !== k.size) return undefined;
    this.kept.set(id, it);
    return it.md5;
  }

  set(k: CacheKey, md5: string): void {
    const id = HashCache.id(k);
    // mtime to the nearest millisecond (the float from stat is not exact)
    if (id) this.kept.set(id, { mtimeMs: Math.round(k.mtimeMs!), size: k.size, md5 });
  }

  /** A file seen in this run: its still-valid entry is kept. */
  seen(k: CacheKey): void {
    this.get(k);
  }

  save(): void {
    const entries: Record<string, [number, number, string]> = {};
    for (const [k, v] of this.kept) entries[k] = [v.mtimeMs, v.size, v.md5];
    const tmp = `${this.path}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify({ format: FORMAT, version: 1, entries }), { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}

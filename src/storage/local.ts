// Local files: a sorted, streamed walk of a directory (S3's key order), the expansion of put's
// local arguments, the sync location over a local directory or file (LocalTree), the MD5 of a
// file, and safe names for downloads (a key never writes outside the target directory).
import { readdir, stat, lstat, realpath, access, unlink, constants } from 'node:fs/promises';
import { createReadStream, readFileSync, type Stats } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { basename, join, relative, resolve, sep } from 'node:path';
import { ParameterError } from '../cli/exit-codes.ts';
import { strerror } from '../errors.ts';
import type { Entry, Removal, Target } from './location.ts';
import type { HashCache } from './hashcache.ts';
import { hashFile, OFF_THREAD_BYTES } from './hashing.ts';

export interface LocalFile {
  /** Path as the user would see it (the argument joined with the relative path). */
  path: string;
  /** Path relative to the walk root, '/'-separated. */
  relative: string;
  stat: Stats;
}

export interface WalkProblem {
  path: string;
  reason: string;
  /** An entry of a directory that may be listed but not entered (s3cmd says nothing about it). */
  quiet?: boolean;
}

export interface WalkOptions {
  followSymlinks: boolean;
  onProblem: (p: WalkProblem) => void;
  onSkip?: (path: string, why: string) => void;
  /**
   * Directories not to descend into (--exclude 'dir/'): asked with the directory's path built as
   * s3cmd builds it (the root as given, '/', the names below it, and a trailing '/').
   */
  pruneDir?: (walkedPath: string) => boolean;
  /** Yield directories too (--keep-dirs), each before its contents, as 'dir/'. */
  dirs?: boolean;
}

/**
 * s3cmd's replace_nonprintables (its default urlencoding_mode "normal"): a control character in a
 * local name becomes '^' and a letter (0x01 -> '^A', 0x7f -> '^?') in the relative name, so in the
 * key. Returns the new name and how many characters were replaced.
 */
export function replaceNonprintables(name: string): [string, number] {
  let n = 0;
  const out = name.replace(/[\x00-\x1f\x7f]/g, (c) => {
    n++;
    const o = c.charCodeAt(0);
    return o === 127 ? '^?' : '^' + String.fromCharCode(64 + o);
  });
  return [out, n];
}

/** What onSkip hears when names were changed by replaceNonprintables (s3cmd's warning, reworded by the printer). */
export const RENAMED = 'non-printable characters replaced';

/** Python's os.path.join(a, b): no normalisation, one '/' between. */
const pyJoin = (a: string, b: string) => (a === '' || a.endsWith('/') ? a + b : a + '/' + b);

/**
 * Files under `root`, in byte order of their relative path (S3 listing order), one directory
 * level in memory at a time. Symlinks are skipped unless followSymlinks; loops are detected.
 */
export async function* walk(root: string, prefix: string, o: WalkOptions, seen = new Set<string>(), walked = root, replaced = 0): AsyncGenerator<LocalFile> {
  if (o.followSymlinks) {
    try {
      const real = await realpath(root);
      if (seen.has(real)) {
        o.onProblem({ path: root, reason: 'symbolic link loop detected, skipping' });
        return;
      }
      seen = new Set(seen).add(real);
    } catch (e) {
      o.onProblem({ path: root, reason: (e as NodeJS.ErrnoException).code ?? String(e) });
      return;
    }
  }
  let names: string[];
  try {
    const raw = await readdir(root, { encoding: 'buffer' });
    names = [];
    for (const b of raw) {
      // S3 keys are UTF-8: a name that is not cannot be uploaded under its own name.
      if (!isUtf8(b)) {
        o.onProblem({ path: join(root, b.toString('latin1')), reason: 'file name is not valid UTF-8; rename it (e.g. convmv) to upload it' });
        continue;
      }
      names.push(b.toString('utf8'));
    }
  } catch (e) {
    o.onProblem({ path: root, reason: errText(e) });
    return;
  }
  // Sort by the relative path S3 would order by: a directory "a" sorts as "a/".
  const entries: { name: string; printable: string; n: number; st: Stats; isDir: boolean }[] = [];
  for (const name of names) {
    const full = join(root, name);
    let st: Stats;
    try {
      st = await lstat(full);
      if (st.isSymbolicLink()) {
        const target = await stat(full).catch(() => undefined);
        // A dangling link is passed over in silence, as s3cmd does.
        if (!target) continue;
        if (!o.followSymlinks) {
          // s3cmd warns about links to files; links to directories are simply not descended into.
          if (target.isFile()) o.onSkip?.(full, 'symbolic link');
          else o.onSkip?.(full, 'symbolic link to a directory');
          continue;
        }
        st = target;
      }
    } catch (e) {
      o.onProblem({ path: full, reason: errText(e), quiet: (e as NodeJS.ErrnoException).code === 'EACCES' });
      continue;
    }
    if (!st.isDirectory() && !st.isFile()) {
      o.onSkip?.(full, 'non regular file');
      continue;
    }
    const [printable, n] = replaceNonprintables(name);
    entries.push({ name, printable, n, st, isDir: st.isDirectory() });
  }
  // sorted by the name as it appears in keys (after s3cmd's replacement of control characters)
  const sortKey = (e: { printable: string; isDir: boolean }) => Buffer.from(e.isDir ? e.printable + '/' : e.printable, 'utf8');
  entries.sort((a, b) => Buffer.compare(sortKey(a), sortKey(b)));
  for (const e of entries) {
    const full = join(root, e.name);
    const rel = prefix + e.printable;
    const n = replaced + e.n;
    if (e.isDir) {
      const w = pyJoin(walked, e.name);
      if (o.pruneDir?.(w + '/')) continue;
      if (o.dirs) {
        if (n) o.onSkip?.(rel + '/', `${n} ${RENAMED}`);
        yield { path: full, relative: rel + '/', stat: e.st };
      }
      yield* walk(full, rel + '/', o, seen, w, n);
    } else {
      if (n) o.onSkip?.(rel, `${n} ${RENAMED}`);
      yield { path: full, relative: rel, stat: e.st };
    }
  }
}

/** Python's strerror() wording for a failed file operation (the one table is in src/errors.ts). */
export function errText(e: unknown): string {
  return strerror(e);
}

/** Files up to this size are hashed with one read. */
const WHOLE_READ = 1024 * 1024;

/** MD5 (hex) of a file: one read for small files, streamed for the rest. */
export async function md5File(path: string, size?: number): Promise<string> {
  if (size !== undefined && size <= WHOLE_READ) return createHash('md5').update(readFileSync(path)).digest('hex');
  // big files: read and hashed on a worker thread, so other transfers go on meanwhile
  if (size !== undefined && size >= OFF_THREAD_BYTES) return (await hashFile(path, 'md5', size)).digest.toString('hex');
  const h = createHash('md5');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Join a key under a directory, or explain why it would escape it. */
export function safeJoin(baseDir: string, relative: string): { path?: string; problem?: string } {
  const segs = relative.split('/');
  if (relative.startsWith('/')) return { problem: 'it is an absolute path' };
  if (segs.some((p) => p === '..')) return { problem: "it contains a '..' path segment" };
  if (relative.includes('\0')) return { problem: 'it contains a NUL byte' };
  const base = resolve(baseDir);
  const full = resolve(base, ...segs.filter((p) => p !== '' && p !== '.'));
  if (full !== base && !full.startsWith(base + sep)) return { problem: 'it resolves outside the target directory' };
  if (full === base) return { problem: 'it names the target directory itself' };
  return { path: join(baseDir, ...segs.filter((p) => p !== '' && p !== '.')) };
}

export interface ExpandLocalOptions {
  recursive: boolean;
  followSymlinks: boolean;
  /** Keep the file with this relative name (--exclude/--include). */
  keep: (relative: string) => boolean;
  pruneDir?: (walkedPath: string) => boolean;
  onProblem: (path: string, reason: string, quiet?: boolean) => void;
  onSkip?: (path: string, why: string) => void;
}

/**
 * The files put uploads for its local arguments (s3cmd's fetch_local_list): a file as its base
 * name, a directory (with -r) as 'dir/...' or, with a trailing '/', as its contents.
 */
export async function* expandLocal(sources: string[], o: ExpandLocalOptions): AsyncGenerator<LocalFile> {
  for (const src of sources) {
    let st: Stats;
    try {
      const l = await lstat(src);
      if (l.isSymbolicLink() && !o.followSymlinks && !src.endsWith('/')) {
        const target = await stat(src).catch(() => undefined);
        if (target?.isFile()) {
          o.onSkip?.(src, 'symbolic link');
          continue;
        }
      }
      st = await stat(src);
    } catch (e) {
      throw new ParameterError(`${errText(e)}: '${src}'. Check the path; nothing was uploaded from it.`);
    }
    if (st.isDirectory()) {
      if (!o.recursive) throw new ParameterError(`Use --recursive to upload a directory: ${src}`);
      const prefix = src.endsWith('/') ? '' : basename(src) + '/';
      const walkOpts = { followSymlinks: o.followSymlinks, onProblem: (p: WalkProblem) => o.onProblem(p.path, p.reason, p.quiet), onSkip: o.onSkip, pruneDir: o.pruneDir };
      for await (const f of walk(src, prefix, walkOpts)) if (o.keep(f.relative)) yield f;
    } else if (st.isFile()) {
      try {
        await access(src, constants.R_OK);
      } catch (e) {
        o.onProblem(src, errText(e));
        continue;
      }
      const [name, n] = replaceNonprintables(basename(src));
      if (n) o.onSkip?.(name, `${n} ${RENAMED}`);
      if (o.keep(name)) yield { path: src, relative: name, stat: st };
    } else o.onSkip?.(src, 'non regular file');
  }
}

export interface LocalTreeOptions {
  followSymlinks: boolean;
  /** Keep the entry with this relative name (--exclude/--include). */
  keep: (relative: string) => boolean;
  pruneDir?: (walkedPath: string) => boolean;
  /** An unreadable file or directory met while walking (counted in `problems` too). */
  onProblem: (p: WalkProblem) => void;
  /** A symbolic link or special file left out ('symbolic link', 'symbolic link to a directory', 'non regular file'). */
  onSkip?: (path: string, why: string) => void;
  /** --cache-file: MD5s of unchanged files are taken from it. */
  cache?: HashCache;
  /** List directories too (--keep-dirs), as 'dir/' entries. */
  dirs?: boolean;
}

export function localEntry(path: string, relative: string, st: Stats): Entry {
  if (st.isDirectory()) return { relative, size: 0, path, dir: true, mtimeMs: st.mtimeMs, atimeMs: st.atimeMs, ctimeMs: st.ctimeMs, mode: st.mode, uid: st.uid, gid: st.gid };
  return { relative, size: st.size, path, dev: st.dev, ino: st.ino, mtimeMs: st.mtimeMs, atimeMs: st.atimeMs, ctimeMs: st.ctimeMs, mode: st.mode, uid: st.uid, gid: st.gid };
}

/**
 * One side of a sync on the local disk: every file under `root` (a directory that may not exist
 * yet), or one named file. New entries are written below `root` under their relative name.
 */
export class LocalTree {
  readonly kind = 'local';
  /** Files or directories that could not be read while listing. */
  problems = 0;
  /** Their names relative to the root ('' the root itself), kept to hold the deletions they could explain. */
  readonly problemNames: string[] = [];
  /** The problems themselves (path and reason), for the run's tally of failures. */
  readonly problemList: WalkProblem[] = [];

  constructor(
    readonly root: string,
    private readonly o: LocalTreeOptions,
    /** One file (its stat when already known), or 'nothing' for a directory that does not exist yet. */
    private readonly only?: { path: string; relative: string; stat?: Stats } | 'nothing',
  ) {}

  async *list(): AsyncGenerator<Entry> {
    if (this.only === 'nothing') return;
    if (this.only) {
      const { path, relative } = this.only;
      const st = this.only.stat ?? (await stat(path).catch(() => undefined));
      if (st && (this.only.stat || st.isFile()) && this.o.keep(relative)) yield localEntry(path, relative, st);
      return;
    }
    const onProblem = (p: WalkProblem) => {
      this.problems++;
      this.problemNames.push(relative(this.root, p.path).split(sep).join('/'));
      this.problemList.push(p);
      this.o.onProblem(p);
    };
    for await (const f of walk(this.root, '', { followSymlinks: this.o.followSymlinks, onProblem, onSkip: this.o.onSkip, pruneDir: this.o.pruneDir, dirs: this.o.dirs }))
      if (this.o.keep(f.relative)) {
        const e = localEntry(f.path, f.relative, f.stat);
        this.o.cache?.seen(e);
        yield e;
      }
  }

  /** The --cache-file in use, saved by the sync when it ends. */
  get cache(): HashCache | undefined {
    return this.o.cache;
  }

  name(e: Entry): string {
    return e.path!;
  }

  async md5(e: Entry): Promise<string | undefined> {
    const cache = this.o.cache;
    const hit = cache?.get(e);
    if (hit) return hit;
    const md5 = await md5File(e.path!, e.size);
    cache?.set(e, md5);
    return md5;
  }

  target(relative: string): Target {
    const j = safeJoin(this.root, relative);
    return { name: join(this.root, relative), path: j.path, problem: j.problem };
  }

  async remove(batch: Entry[]): Promise<Removal[]> {
    const out: Removal[] = [];
    for (const entry of batch) {
      try {
        await unlink(entry.path!);
        out.push({ entry });
      } catch (e) {
        out.push({ entry, problem: errText(e) });
      }
    }
    return out;
  }
}

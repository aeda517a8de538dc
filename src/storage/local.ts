// Local tree walking: a sorted, streamed listing of regular files under a directory.
import { readdir, stat, lstat, realpath } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { strerror } from '../errors.ts';

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
}

/** Python's os.path.join(a, b): no normalisation, one '/' between. */
const pyJoin = (a: string, b: string) => (a === '' || a.endsWith('/') ? a + b : a + '/' + b);

/**
 * Files under `root`, in byte order of their relative path (S3 listing order), one directory
 * level in memory at a time. Symlinks are skipped unless followSymlinks; loops are detected.
 */
export async function* walk(root: string, prefix: string, o: WalkOptions, seen = new Set<string>(), walked = root): AsyncGenerator<LocalFile> {
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
  const entries: { name: string; st: Stats; isDir: boolean }[] = [];
  for (const name of names) {
    const full = join(root, name);
    let st: Stats;
    try {
      st = await lstat(full);
      if (st.isSymbolicLink()) {
        if (!o.followSymlinks) {
          o.onSkip?.(full, 'symbolic link');
          continue;
        }
        st = await stat(full);
      }
    } catch (e) {
      o.onProblem({ path: full, reason: errText(e) });
      continue;
    }
    if (!st.isDirectory() && !st.isFile()) {
      o.onSkip?.(full, 'not a regular file');
      continue;
    }
    entries.push({ name, st, isDir: st.isDirectory() });
  }
  const sortKey = (e: { name: string; isDir: boolean }) => Buffer.from(e.isDir ? e.name + '/' : e.name, 'utf8');
  entries.sort((a, b) => Buffer.compare(sortKey(a), sortKey(b)));
  for (const e of entries) {
    const full = join(root, e.name);
    const rel = prefix + e.name;
    if (e.isDir) {
      const w = pyJoin(walked, e.name);
      if (o.pruneDir?.(w + '/')) continue;
      yield* walk(full, rel + '/', o, seen, w);
    }
    else yield { path: full, relative: rel, stat: e.st };
  }
}

/** Python's strerror() wording for a failed file operation (the one table is in src/errors.ts). */
export function errText(e: unknown): string {
  return strerror(e);
}

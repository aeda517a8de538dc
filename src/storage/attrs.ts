// s3cmd's x-amz-meta-s3cmd-attrs header: `atime:..../ctime:..../gid:0/gname:root/md5:.../mode:33188/mtime:.../uid:0/uname:root`.
// Built on upload (put, sync --preserve), read on download (mode, times) and wherever an object's
// MD5 is needed but its ETag is not one (multipart uploads).
import { readFileSync, type Stats } from 'node:fs';

let users: Map<number, string> | undefined;
let groups: Map<number, string> | undefined;
function load(path: string): Map<number, string> {
  const m = new Map<number, string>();
  try {
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length >= 3 && /^\d+$/.test(f[2])) m.set(Number(f[2]), f[0]);
    }
  } catch {
    /* no passwd file (scratch image): fall back to numeric ids */
  }
  return m;
}

export function buildAttrs(st: Stats | undefined, md5: string | undefined): string | undefined {
  const attrs: Record<string, string | number> = {};
  if (st) {
    users ??= load('/etc/passwd');
    groups ??= load('/etc/group');
    attrs.uid = st.uid;
    attrs.gid = st.gid;
    const u = users.get(st.uid);
    const g = groups.get(st.gid);
    if (u) attrs.uname = encodeURIComponent(u);
    if (g) attrs.gname = encodeURIComponent(g);
    attrs.atime = Math.floor(st.atimeMs / 1000);
    attrs.mtime = Math.floor(st.mtimeMs / 1000);
    attrs.ctime = Math.floor(st.ctimeMs / 1000);
    attrs.mode = st.mode;
  }
  if (md5) attrs.md5 = md5;
  const keys = Object.keys(attrs).sort();
  if (!keys.length) return undefined;
  return keys.map((k) => `${k}:${attrs[k]}`).join('/');
}

export function parseAttrs(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split('/')) {
    const i = part.indexOf(':');
    if (i > 0) out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}

/** A plain MD5 in hex, as a single-part upload's ETag is. */
export const isMd5Hex = (s: string | undefined): s is string => !!s && /^[0-9a-f]{32}$/.test(s);

/** The MD5 an s3cmd-attrs header records, if it records a well-formed one. */
export function attrsMd5(header: string | undefined): string | undefined {
  const md5 = parseAttrs(header).md5;
  return isMd5Hex(md5) ? md5 : undefined;
}

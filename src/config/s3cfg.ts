// ~/.s3cfg reader with s3cmd's rules (S3/Config.py ConfigParser): `key = value` lines in any
// section, `#` comments, optional double quotes, `$VAR` values read from the environment.
import { readFileSync } from 'node:fs';

export interface S3cfgFile {
  path: string;
  values: Record<string, string>;
  /** Lines that were neither comments, sections nor `key = value` (s3cmd warns and ignores). */
  invalidLines: { line: number; text: string }[];
}

export function parseS3cfg(textIn: string, path: string, env: NodeJS.ProcessEnv): S3cfgFile {
  const values: Record<string, string> = {};
  const invalidLines: S3cfgFile['invalidLines'] = [];
  const lines = textIn.split(/\r?\n/);
  lines.forEach((raw, i) => {
    if (/^\s*#/.test(raw) || /^\s*;/.test(raw) || /^\s*$/.test(raw)) return;
    if (/^\[([^\]]+)\]/.test(raw)) return;
    const m = /^\s*(\w+)\s*=\s*(.*)$/.exec(raw);
    if (!m) {
      invalidLines.push({ line: i + 1, text: raw });
      return;
    }
    let value = m[2].replace(/\s+$/, '');
    const q = /^"(.*)"$/.exec(value);
    if (q) value = q[1];
    if (value.startsWith('$')) value = env[value.slice(1)] ?? '';
    values[m[1]] = value;
  });
  return { path, values, invalidLines };
}

export function readS3cfg(path: string, env: NodeJS.ProcessEnv): S3cfgFile {
  return parseS3cfg(readFileSync(path, 'utf8'), path, env);
}

const TRUE = new Set(['yes', 'true', 'on', '1']);
const FALSE = new Set(['no', 'false', 'off', '0', '']);

/** s3cmd's boolean parsing; undefined for values that are not booleans. */
export function parseBool(v: string): boolean | undefined {
  const s = v.trim().toLowerCase();
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  return undefined;
}

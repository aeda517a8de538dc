// --exclude/--include/--rexclude/--rinclude exactly as s3cmd applies them (s3cmd's
// process_patterns and FileLists.filter_exclude_include):
//  - a GLOB is turned into a regular expression the way Python's fnmatch.translate does, which
//    anchors it at the END only; s3cmd then uses re.search, so the glob may match anywhere that
//    reaches the end of the path: 'Atomic*' matches 'etc/AtomicClockRadio.ttf', '*.jpg' any .jpg
//    at any depth, 'keep*' matches 'sub/keep.db';
//  - a REGEXP (--rexclude/--rinclude) is searched as given;
//  - a path is left out when some exclude matches and no include matches;
//  - the string matched is s3cmd's "relative path" of a listing entry: the key or file path below
//    the argument's base, which keeps the argument's last name when it has no trailing '/'
//    ('sync dir s3://b/' matches 'dir/a/b.txt', 'sync dir/ s3://b/' matches 'a/b.txt');
//  - during a local directory walk, patterns that end in '/' (and only those) are also tried on
//    each directory as "<path as walked>/<name>/", and a matching directory is not descended.
import { globToRegExpSource } from '../storage/fnmatch.ts';
import { ParameterError } from '../cli/exit-codes.ts';

export interface FilterPatterns {
  exclude: string[];
  include: string[];
  rexclude: string[];
  rinclude: string[];
}

export interface PathFilter {
  /** Is there any exclude pattern at all (when not, everything passes). */
  readonly active: boolean;
  /** True when the entry with this relative path is kept. */
  keeps(relative: string): boolean;
  /** True when a local directory (its walked path, ending in '/') is pruned from the walk. */
  prunesDir(dirPath: string): boolean;
}

interface Rule {
  re: RegExp;
  /** The pattern as the user gave it (for --debug lines). */
  text: string;
  /** A glob ending in '/': also applies to directories during local walks. */
  dirRule: boolean;
}

/** A --rexclude/--rinclude pattern that does not compile: a Parameter problem (64). */
export class PatternError extends ParameterError {
  constructor(
    readonly pattern: string,
    reason: string,
  ) {
    super(`invalid regular expression '${pattern}': ${reason}`);
    this.name = 'PatternError';
  }
}

/** Python regular expression syntax that JavaScript spells differently. */
export function pythonRegExp(pattern: string): RegExp {
  let src = pattern;
  let flags = '';
  // leading inline flags: (?i), (?s), (?m), (?x) is not supported
  const m = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (m) {
    for (const f of m[1]) {
      if (f === 'i' || f === 's' || f === 'm') flags += flags.includes(f) ? '' : f;
      else if (f !== 'u' && f !== 'a' && f !== 'L') throw new PatternError(pattern, `inline flag (?${f}) is not supported`);
    }
    src = src.slice(m[0].length);
  }
  // \A and \Z (start and end of the string), named groups (?P<name>...) and (?P=name)
  src = src
    .replace(/(^|[^\\])((?:\\\\)*)\\A/g, '$1$2^')
    .replace(/(^|[^\\])((?:\\\\)*)\\Z/g, '$1$2$')
    .replace(/\(\?P</g, '(?<')
    .replace(/\(\?P=(\w+)\)/g, '\\k<$1>');
  try {
    return new RegExp(src, flags);
  } catch (e) {
    throw new PatternError(pattern, (e as Error).message.replace(/^Invalid regular expression: /, ''));
  }
}

function globRule(glob: string): Rule {
  return { re: new RegExp(`(?:${globToRegExpSource(glob)})$`, 's'), text: glob, dirRule: glob.endsWith('/') };
}

function regexRule(pattern: string): Rule {
  return { re: pythonRegExp(pattern), text: pattern, dirRule: false };
}

export function compileFilter(p: FilterPatterns, debug: (msg: () => string) => void = () => {}): PathFilter {
  const excludes = [...p.exclude.map(globRule), ...p.rexclude.map(regexRule)];
  const includes = [...p.include.map(globRule), ...p.rinclude.map(regexRule)];
  const decide = (path: string, rules: Rule[], incl: Rule[]): boolean => {
    const ex = rules.find((r) => r.re.test(path));
    if (!ex) return true;
    debug(() => `EXCL-MATCH: '${ex.text}'`);
    const inc = incl.find((r) => r.re.test(path));
    if (inc) {
      debug(() => `INCL-MATCH: '${inc.text}'`);
      return true;
    }
    debug(() => `EXCLUDE: '${path}'`);
    return false;
  };
  const dirExcludes = excludes.filter((r) => r.dirRule);
  const dirIncludes = includes.filter((r) => r.dirRule);
  return {
    active: excludes.length > 0,
    keeps: excludes.length ? (rel) => decide(rel, excludes, includes) : () => true,
    prunesDir: dirExcludes.length ? (dir) => !decide(dir, dirExcludes, dirIncludes) : () => false,
  };
}

/** os.path.join(root, name, '') as s3cmd builds a walked directory's path. */
export function walkedDirPath(root: string, name: string): string {
  return (root === '' || root.endsWith('/') ? root : root + '/') + name + '/';
}

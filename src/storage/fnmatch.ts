// Python fnmatch semantics (s3cmd's wildcards in s3:// arguments, and the globs of --exclude and
// --include): `*` matches any run of characters including '/', `?` one character, `[seq]` /
// `[!seq]` a set. globToRegExpSource follows Python's fnmatch.translate, without its anchors.

const cache = new Map<string, RegExp>();

/** The body of Python's fnmatch.translate(pattern): no anchors, to be used with the 's' flag. */
export function globToRegExpSource(pattern: string): string {
  let re = '';
  let lastStar = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (!lastStar) re += '.*'; // consecutive stars are one
      lastStar = true;
      continue;
    }
    lastStar = false;
    if (c === '?') re += '.';
    else if (c === '[') {
      let j = i + 1;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j++;
      if (j >= pattern.length) re += '\\[';
      else {
        let stuff = pattern.slice(i + 1, j).replace(/\\/g, '\\\\').replace(/\]/g, '\\]');
        i = j;
        if (!stuff) re += '(?!)'; // empty set: never matches
        else if (stuff === '!') re += '.'; // negated empty set: any character
        else {
          if (stuff.startsWith('!')) stuff = '^' + stuff.slice(1);
          else if (stuff.startsWith('^') || stuff.startsWith('[')) stuff = '\\' + stuff;
          re += `[${stuff}]`;
        }
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return re;
}

/** The whole name matches the pattern (Python's fnmatch.fnmatchcase). */
export function fnmatchToRegExp(pattern: string): RegExp {
  return new RegExp(`^(?:${globToRegExpSource(pattern)})$`, 's');
}

export function fnmatch(name: string, pattern: string): boolean {
  let re = cache.get(pattern);
  if (!re) {
    re = fnmatchToRegExp(pattern);
    cache.set(pattern, re);
  }
  return re.test(name);
}

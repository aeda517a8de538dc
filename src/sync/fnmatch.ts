// Python fnmatch semantics (s3cmd's --exclude/--include and wildcards): `*` matches any run of
// characters including '/', `?` one character, `[seq]` / `[!seq]` a set.

const cache = new Map<string, RegExp>();

export function fnmatchToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      let j = i + 1;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j++;
      if (j >= pattern.length) re += '\\[';
      else {
        let stuff = pattern.slice(i + 1, j).replace(/\\/g, '\\\\');
        if (stuff.startsWith('!')) stuff = '^' + stuff.slice(1);
        else if (stuff.startsWith('^')) stuff = '\\' + stuff;
        re += `[${stuff}]`;
        i = j;
      }
    } else re += c.replace(/[.+^${}()|\\/\]]/g, '\\$&');
  }
  return new RegExp(`^(?:${re})$`, 's');
}

export function fnmatch(name: string, pattern: string): boolean {
  let re = cache.get(pattern);
  if (!re) {
    re = fnmatchToRegExp(pattern);
    cache.set(pattern, re);
  }
  return re.test(name);
}

/** s3cmd treats only '*' and '?' as wildcards in s3:// arguments ('[' is common in real keys). */
export const hasWildcard = (s: string) => /[*?]/.test(s);

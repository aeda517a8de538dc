// --exclude/--include matching, checked against what Python's fnmatch.translate + re.search
// (s3cmd's filter) answers for the same pattern and path (values taken from Python 3.11).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter, pythonRegExp, walkedDirPath, PatternError } from '../../src/sync/filter.ts';
import { fnmatch } from '../../src/storage/fnmatch.ts';

const PYTHON: [glob: string, path: string, matches: boolean][] = [
  ['Atomic*', 'etc/AtomicClockRadio.ttf', true],
  ['Atomic*', 'Atomic', true],
  ['keep*', 'sub/keep.db', true],
  ['keep*', 'keep', true],
  ['*.jpg', 'a/b/c.jpg', true],
  ['*.jpg', 'a.jpg.txt', false],
  ['dir1/', 'x/dir1/', true],
  ['dir1/', 'dir1/file', false],
  ['a?c', 'xabc', true],
  ['a?c', 'a/c', true],
  ['[!a]b', 'xb', true],
  ['[!a]b', 'ab', false],
  ['[]]x', 'a]x', true],
  ['[a-c]z', 'bz', true],
  ['[^a]z', '^z', true],
  ['[^a]z', 'bz', false],
  ['x[', 'x[', true],
  ['**.txt', 'a.txt', true],
  ['a.b', 'axb', false],
  ['(x)', '(x)', true],
  ['+', 'a+', true],
  ['a\nb', 'a\nb', true],
  ['*', '', true],
  ['src/sub/*', 'src/sub/a', true],
];

describe('exclude globs match as s3cmd matches them', () => {
  for (const [glob, path, want] of PYTHON)
    it(`${JSON.stringify(glob)} ~ ${JSON.stringify(path)} -> ${want}`, () => {
      const f = compileFilter({ exclude: [glob], include: [], rexclude: [], rinclude: [] });
      assert.equal(!f.keeps(path), want);
    });

  it('an include rescues only what an exclude took; regular expressions are searched', () => {
    const f = compileFilter({ exclude: ['*'], include: ['*.txt'], rexclude: [], rinclude: ['^keep/'] });
    assert.equal(f.keeps('a/b.txt'), true);
    assert.equal(f.keeps('a/b.db'), false);
    assert.equal(f.keeps('keep/b.db'), true);
    const r = compileFilter({ exclude: [], include: [], rexclude: ['o[a-z]+\\.'], rinclude: [] });
    assert.equal(r.keeps('etc/logo.png'), false);
    assert.equal(r.keeps('a.txt'), true);
    assert.equal(r.keeps('top.txt'), false); // 'op.' is a match: searched, not anchored
    assert.equal(compileFilter({ exclude: [], include: ['x'], rexclude: [], rinclude: [] }).active, false);
  });

  it("only patterns ending in '/' prune directories, matched on the walked path", () => {
    const f = compileFilter({ exclude: ['more/', '*.db', 'Atomic*'], include: [], rexclude: [], rinclude: [] });
    assert.equal(f.prunesDir(walkedDirPath('src/etc', 'more')), true);
    assert.equal(f.prunesDir(walkedDirPath('src/', 'Atomic')), false);
    assert.equal(walkedDirPath('src/', 'a'), 'src/a/');
    assert.equal(walkedDirPath('src', 'a'), 'src/a/');
    const g = compileFilter({ exclude: ['more/'], include: ['src/more/'], rexclude: [], rinclude: [] });
    assert.equal(g.prunesDir('src/more/'), false);
  });

  it('Python regular expression spellings: \\A, \\Z, (?i), (?P<name>)', () => {
    assert.ok(pythonRegExp('\\Aetc/').test('etc/x'));
    assert.ok(!pythonRegExp('\\Aetc/').test('x/etc/x'));
    assert.ok(pythonRegExp('\\.txt\\Z').test('a.txt'));
    assert.ok(!pythonRegExp('\\.txt\\Z').test('a.txt.gz'));
    assert.ok(pythonRegExp('(?i)readme').test('README.md'));
    assert.ok(pythonRegExp('(?P<n>a)(?P=n)').test('xaa'));
    assert.throws(() => pythonRegExp('a('), PatternError);
  });

  it('wildcards in s3:// arguments match the whole key (fnmatch)', () => {
    assert.equal(fnmatch('dir/a.txt', 'dir/*.txt'), true);
    assert.equal(fnmatch('x/dir/a.txt', 'dir/*.txt'), false);
    assert.equal(fnmatch(']x', '[]]x'), true);
    assert.equal(fnmatch('a]x', '[]]x'), false);
  });
});

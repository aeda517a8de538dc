// The layering rules of DESIGN.md, checked on the source: an import only ever points down the
// floors (main, commands, transfer and sync, storage, s3, credentials, then cli, config and net,
// and errors.ts under them all), and no command imports another command (what two commands share
// lives a floor down). Type-only imports count like any other: `import type`, `import { type X }`,
// `export type ... from` and `import('...').X` in a type position all tie one module to another.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

const FLOOR: Record<string, number> = { 'main.ts': 0, commands: 1, transfer: 2, sync: 2, storage: 3, s3: 4, credentials: 5, cli: 6, config: 6, net: 6, 'errors.ts': 7 };
/**
 * Imports between different directories of one floor that are allowed, one direction only: sync/
 * drives transfer/; config/ resolves settings from cli/'s option table.
 */
const SIDEWAYS = new Set(['sync->transfer', 'config->cli']);

interface Import {
  from: string;
  to: string;
}

function sources(dir = SRC): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/**
 * Every module specifier a source file names, found by TypeScript's own pre-processor rather than a
 * regular expression: value and type-only imports, re-exports, side-effect imports, `import()` in
 * code or in a type, either quote style, and nothing inside comments or strings.
 */
function specifiers(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

function imports(): Import[] {
  const out: Import[] = [];
  for (const file of sources()) {
    for (const spec of specifiers(fs.readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      out.push({ from: path.relative(SRC, file), to: path.relative(SRC, path.resolve(path.dirname(file), spec)) });
    }
  }
  return out;
}

const top = (rel: string) => rel.split(path.sep)[0];

describe('layers', () => {
  const all = imports();

  it('sees every form of import, type-only ones included', () => {
    const text = [
      "import type { A } from '../a.ts';",
      'import { type B, c } from "../b.ts";',
      "import { d, type D } from '../d.ts';",
      "import '../side-effect.ts';",
      "export type { E } from '../e.ts';",
      "export * from '../f.ts';",
      "import {\n  g, // don't\n  type G,\n} from '../g.ts';",
      "type H = import('../h.ts').H;",
      "const i = await import('../i.ts');",
      "// import { no } from '../commented-out.ts';",
      "const s = \"import x from '../in-a-string.ts'\";",
    ].join('\n');
    assert.deepEqual(specifiers(text), ['../a.ts', '../b.ts', '../d.ts', '../side-effect.ts', '../e.ts', '../f.ts', '../g.ts', '../h.ts', '../i.ts']);
  });

  it('finds the imports it checks', () => {
    assert.ok(all.length > 100, `${all.length} imports`);
    for (const i of all) assert.ok(top(i.from) in FLOOR && top(i.to) in FLOOR, `unknown floor in ${i.from} -> ${i.to}`);
  });

  it('no import points up, or sideways except the pairs allowed', () => {
    const bad = all.filter((i) => {
      const a = top(i.from);
      const b = top(i.to);
      if (FLOOR[a] > FLOOR[b]) return true;
      return FLOOR[a] === FLOOR[b] && a !== b && !SIDEWAYS.has(`${a}->${b}`);
    });
    assert.deepEqual(bad, []);
  });

  it('no command imports another command', () => {
    const isCommand = (rel: string) => top(rel) === 'commands' && /\bexport (?:async function|const) cmd[A-Z]/.test(fs.readFileSync(path.join(SRC, rel), 'utf8'));
    const bad = all.filter((i) => top(i.from) === 'commands' && isCommand(i.to));
    assert.deepEqual(bad, []);
  });
});

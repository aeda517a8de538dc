// The layering rules of DESIGN.md, checked on the source: an import only ever points down the
// floors (main, commands, transfer and sync, storage, s3, credentials, then cli, config and net,
// and errors.ts under them all), and no command imports another command (what two commands share
// lives a floor down).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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

function imports(): Import[] {
  const out: Import[] = [];
  for (const file of sources()) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g)) {
      const spec = m[1] ?? m[2];
      out.push({ from: path.relative(SRC, file), to: path.relative(SRC, path.resolve(path.dirname(file), spec)) });
    }
  }
  return out;
}

const top = (rel: string) => rel.split(path.sep)[0];

describe('layers', () => {
  const all = imports();

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

// The CLI as one CommonJS script for a Node single executable application (SEA).
//
// Node 24's SEA runs a CommonJS main script only, and dist/s3k.mjs (scripts/build.mjs) is an ES module
// whose entry (src/main.ts) ends with a top-level await, which CommonJS cannot express. So this build
// takes the same entry, the same version define and the same dependencies, and, for src/main.ts alone,
// moves every statement except the imports (and `declare`s) into an async function that is called at
// once: the same order of side effects, and main.ts exports nothing. Any other top-level await is an
// esbuild error, so a change that breaks this fails the build instead of the image.
//
//   node deploy/image/bundle.mjs OUT.cjs
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const entry = path.join(root, 'src', 'main.ts');

/** main.ts with its body (all but imports and declares) wrapped in an immediately called async function. */
export function wrapTopLevelAwait(source, fileName = 'main.ts') {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const top = [];
  const body = [];
  for (const st of sf.statements) {
    const text = source.slice(st.getFullStart(), st.getEnd());
    const isDeclare = ts.canHaveModifiers(st) && (ts.getModifiers(st) ?? []).some((m) => m.kind === ts.SyntaxKind.DeclareKeyword);
    const isExport = ts.isExportDeclaration(st) || ts.isExportAssignment(st)
      || (ts.canHaveModifiers(st) && (ts.getModifiers(st) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword));
    if (isExport) throw new Error(`${fileName}: exports something (line ${sf.getLineAndCharacterOfPosition(st.getStart()).line + 1}); cannot wrap it for the SEA bundle`);
    if (ts.isImportDeclaration(st) || ts.isImportEqualsDeclaration(st) || isDeclare) top.push(text);
    else body.push(text);
  }
  return `${top.join('')}\nvoid (async () => {${body.join('')}\n})();\n`;
}

const wrapMain = {
  name: 's3k-sea-main',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]main\.ts$/ }, (args) => ({
      contents: wrapTopLevelAwait(readFileSync(args.path, 'utf8'), args.path),
      loader: 'ts',
      resolveDir: path.dirname(args.path),
    }));
  },
};

export async function bundleCjs(outfile) {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile: path.resolve(outfile),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    minify: true, // as scripts/build.mjs
    sourcemap: false,
    legalComments: 'none',
    define: { S3K_VERSION: JSON.stringify(pkg.version) },
    plugins: [wrapMain],
    logLevel: 'warning',
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node deploy/image/bundle.mjs OUT.cjs');
    process.exit(2);
  }
  await bundleCjs(out);
}

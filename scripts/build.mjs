// Bundle src/main.ts into one ES module file, dist/s3k.mjs, so start-up loads a single file.
import { build } from 'esbuild';
import { readFileSync, chmodSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/s3k.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  define: { S3K_VERSION: JSON.stringify(pkg.version) },
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __s3kCreateRequire } from 'node:module'; const require = __s3kCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
chmodSync('dist/s3k.mjs', 0o755);

// Bundle src/main.ts into one ES module file, dist/s3k.mjs, so start-up loads a single file, and write
// the man page, dist/s3k.1, from the command and option tables (src/cli/manpage.ts). npm's prepare
// script runs this too (npm ci, npm pack, npm publish, npm install from git), so it stays quick, and
// offline once node_modules is there.
import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readFileSync, realpathSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const { build } = await esbuild();

/**
 * esbuild, a dev dependency. When npm runs this as the prepare script and esbuild is missing, install
 * the package's own dev dependencies (not the workspace's) and go on. That happens in two cases: `npm
 * pack` in a fresh checkout, before any `npm ci`; and `npm install -g <git url>` with npm 11 or older,
 * which prepares its clone with the outer --global in the environment (npm/cli#8440, fixed in npm 12
 * by npm/pacote#494). That inner npm links the temporary clone into the global prefix and installs
 * nothing, and the outer npm would then unpack the package through that link into the clone, which
 * npm deletes afterwards: so the link is replaced by the empty directory the outer npm unpacks into.
 */
async function esbuild() {
  try {
    return await import('esbuild');
  } catch (e) {
    const npmCli = process.env.npm_execpath;
    if (e?.code !== 'ERR_MODULE_NOT_FOUND' || process.env.npm_lifecycle_event !== 'prepare' || !npmCli) throw e;
    process.stderr.write('scripts/build.mjs: esbuild is missing; installing the dev dependencies (npm install --workspaces=false)\n');
    if (process.env.npm_config_global === 'true' && process.env.npm_config_prefix) {
      for (const dir of ['lib/node_modules', 'node_modules']) {
        const link = path.join(process.env.npm_config_prefix, dir, pkg.name);
        if (lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink() && realpathSync(link) === realpathSync(root)) {
          unlinkSync(link);
          mkdirSync(link); // where the outer npm unpacks the package
        }
      }
    }
    // the outer npm's settings for the global install (global, prefix, allow-scripts, ...) are not this one's
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_(global|prefix|location|allow_scripts|workspaces?|include_workspace_root|install_links|omit|include|save.*)$/i.test(k)));
    const args = ['install', '--global=false', `--prefix=${root}`, '--workspaces=false', '--include=dev', '--ignore-scripts', '--no-save', '--no-audit', '--no-fund'];
    execFileSync(process.execPath, [npmCli, ...args], { stdio: ['ignore', 2, 2], env });
    return await import('esbuild');
  }
}

const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', legalComments: 'none', logLevel: 'warning' };
await build({
  ...common,
  entryPoints: ['src/main.ts'],
  outfile: 'dist/s3k.mjs',
  minify: true,
  sourcemap: false,
  define: { S3K_VERSION: JSON.stringify(pkg.version) },
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __s3kCreateRequire } from 'node:module'; const require = __s3kCreateRequire(import.meta.url);",
  },
});
chmodSync('dist/s3k.mjs', 0o755);

// The man page generator is bundled in memory and imported from a data: URL: no second build product.
const gen = await build({ ...common, entryPoints: ['src/cli/manpage.ts'], write: false });
const { manPage } = await import(`data:text/javascript;base64,${Buffer.from(gen.outputFiles[0].contents).toString('base64')}`);
// SOURCE_DATE_EPOCH (reproducible builds) dates the page; without it the page has no date.
const epoch = Number(process.env.SOURCE_DATE_EPOCH);
const date = Number.isFinite(epoch) && process.env.SOURCE_DATE_EPOCH ? new Date(epoch * 1000).toISOString().slice(0, 10) : '';
writeFileSync('dist/s3k.1', manPage(pkg.version, date));

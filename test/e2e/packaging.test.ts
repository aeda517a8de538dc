// End to end: the npm package as a user gets it. A copy of the checkout as git has it (no dist/, the
// way a fresh clone is) is packed with `npm pack`, whose prepare script builds the bundle and the man
// page; the tarball holds those and nothing of deploy/, lab/, bench/ or the tests; `npm install -g
// --prefix` installs it offline (no runtime dependencies: everything is in the bundle), the installed
// `s3k` runs against the lab and `man` shows its page. npm runs with the loopback guard preloaded, so
// a registry request would fail.
//
// `npm install -g git+file://...` builds in npm's clone of the repository, with the dev dependencies
// from the registry: that test runs only with S3K_TEST_NPM_REGISTRY=1.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  REPO_ROOT, adminCreateBucket, adminDeleteBucket, adminEnv, makeTempDir, run, uniqueBucket, type RunResult,
} from '../support/lab.ts';

const PKG = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
/** What the tarball holds, and all it holds. */
const PACKED = ['README.md', 'dist/s3k.1', 'dist/s3k.mjs', 'package.json'];
const MAX_TARBALL_BYTES = 400_000;

const tmp = makeTempDir('packaging');
const clone = path.join(tmp.path, 'clone');
const prefix = path.join(tmp.path, 'prefix');
const installed = path.join(prefix, 'bin', 's3k');

/** npm without the developer's config: a private cache and user config, no audit, no update notice. */
function npm(args: string[], cwd: string, timeoutMs = 120_000): Promise<RunResult> {
  return run('npm', args, {
    cwd,
    timeoutMs,
    guard: true,
    env: {
      npm_config_cache: path.join(tmp.path, 'npm-cache'),
      npm_config_userconfig: path.join(tmp.path, 'npmrc'),
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
    },
  });
}

function ok(r: RunResult, what: string): RunResult {
  assert.equal(r.timedOut, false, `${what}: timed out`);
  assert.equal(r.code, 0, `${what}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

interface PackResult {
  filename: string;
  size: number;
  files: { path: string; size: number; mode: number }[];
}

/** How this machine reaches the registry (a proxy, its CA), passed on to the one test that needs it. */
const REGISTRY_ACCESS = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy', 'npm_config_registry', 'npm_config_cafile'];

/** The checkout as a clone has it: tracked and new files, nothing ignored (no dist/, no node_modules). */
function copyCheckout(to: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f && fs.existsSync(path.join(REPO_ROOT, f)));
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(to, f)), { recursive: true });
    fs.copyFileSync(path.join(REPO_ROOT, f), path.join(to, f));
  }
}

describe('npm package: pack a fresh checkout, install the tarball, run s3k', { timeout: 5 * 60_000 }, () => {
  let pack: PackResult;
  let tarball = '';
  const bucket = uniqueBucket('pkg');

  before(async () => {
    copyCheckout(clone);
    assert.ok(!fs.existsSync(path.join(clone, 'dist')), 'the copy has no dist/');
    // the dev dependencies npm installs in a clone before it runs prepare (esbuild)
    fs.symlinkSync(fs.realpathSync(path.join(REPO_ROOT, 'node_modules')), path.join(clone, 'node_modules'));

    const out = path.join(tmp.path, 'out');
    fs.mkdirSync(out);
    const r = ok(await npm(['pack', '--json', '--pack-destination', out], clone), 'npm pack');
    [pack] = JSON.parse(r.stdout) as PackResult[];
    tarball = path.join(out, pack.filename);
    process.stderr.write(`# npm pack: ${pack.filename}, ${pack.size} bytes, ${pack.files.map((f) => `${f.path} (${f.size})`).join(', ')}\n`);
    await adminCreateBucket(bucket);
  });

  after(async () => {
    await adminDeleteBucket(bucket);
    tmp.cleanup();
  });

  it('npm pack runs the build (prepare) and packs the CLI and nothing else', () => {
    assert.equal(pack.filename, `${PKG.name}-${PKG.version}.tgz`);
    assert.deepEqual(pack.files.map((f) => f.path).sort(), PACKED);
    const bundle = pack.files.find((f) => f.path === 'dist/s3k.mjs')!;
    assert.ok(bundle.size > 100_000, `dist/s3k.mjs is ${bundle.size} bytes`);
    assert.equal(bundle.mode & 0o111, 0o111, 'dist/s3k.mjs is executable');
    assert.ok(pack.size <= MAX_TARBALL_BYTES, `tarball is ${pack.size} bytes`);
  });

  it('the package has no runtime dependencies: the bundle carries them', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(clone, 'package.json'), 'utf8'));
    assert.deepEqual(Object.keys(pkg.dependencies ?? {}), []);
    assert.equal(pkg.bin.s3k, 'dist/s3k.mjs');
    assert.deepEqual(pkg.man, ['./dist/s3k.1']);
  });

  it('npm install -g --prefix DIR <tarball> works offline and installs bin/s3k', async () => {
    ok(await npm(['install', '--global', '--prefix', prefix, '--offline', tarball], tmp.path), 'npm install -g');
    assert.ok(fs.existsSync(installed), `${installed} exists`);
    const r = ok(await run(installed, ['--version'], { guard: true }), 's3k --version');
    assert.equal(r.stdout.trim(), `s3k version ${PKG.version}`);
  });

  it('the installed s3k lists the lab', async () => {
    const r = ok(await run(installed, ['ls'], { env: adminEnv(), guard: true }), 's3k ls');
    assert.match(r.stdout, new RegExp(`  s3://${bucket}$`, 'm'));
  });

  it('man: the page is installed under PREFIX/share/man, and man -l renders it without warnings', async () => {
    const page = path.join(prefix, 'share', 'man', 'man1', 's3k.1');
    assert.ok(fs.existsSync(page), `${page} exists`);
    const env = { MANWIDTH: '100', LC_ALL: 'C.UTF-8' };
    const r = ok(await run('man', ['--warnings', '-E', 'UTF-8', '-P', 'cat', '-l', page], { env }), 'man -l');
    assert.equal(r.stderr, '', 'no groff warnings');
    assert.match(r.stdout, /^NAME\n {7}s3k - S3 command-line client/m);
    assert.match(r.stdout, new RegExp(`^s3k ${PKG.version.replace(/\./g, '\\.')} +S3K\\(1\\)$`, 'm'));
    for (const s of ['SYNOPSIS', 'COMMANDS', 'OPTIONS', 'ENVIRONMENT', 'SHELL COMPLETION', 'EXIT STATUS']) assert.match(r.stdout, new RegExp(`^${s}$`, 'm'));
    for (const s of ['s3k sync LOCAL_DIR', 's3k completion bash|zsh', '--parallel=N', '-c FILE, --config=FILE', '--install-s3cmd-link=DIR']) assert.ok(r.stdout.includes(s), s);
    // as a user finds it: man s3k, with the prefix's man directory on MANPATH
    const byName = ok(await run('man', ['-P', 'cat', 's3k'], { env: { ...env, MANPATH: path.join(prefix, 'share', 'man') } }), 'man s3k');
    assert.equal(byName.stdout, r.stdout);
  });

  it('no s3cmd is installed with the package; --install-s3cmd-link DIR makes one, never over another s3cmd', async () => {
    assert.ok(!fs.existsSync(path.join(prefix, 'bin', 's3cmd')), 'npm installs s3k only');
    // PATH: the link's directory, a directory with an s3cmd of its own, and one with only node (for #!/usr/bin/env node)
    const linkDir = path.join(tmp.path, 'links');
    const otherDir = path.join(tmp.path, 'other');
    const nodeDir = path.join(tmp.path, 'node-only');
    for (const d of [linkDir, otherDir, nodeDir]) fs.mkdirSync(d);
    fs.symlinkSync(process.execPath, path.join(nodeDir, 'node'));
    fs.writeFileSync(path.join(otherDir, 's3cmd'), '#!/bin/sh\necho the other s3cmd\n', { mode: 0o755 });
    const link = path.join(linkDir, 's3cmd');
    const withPath = (...dirs: string[]) => ({ PATH: dirs.join(path.delimiter) });

    let r = await run(installed, ['--install-s3cmd-link', linkDir], { env: withPath(linkDir, otherDir, nodeDir), guard: true });
    assert.equal(r.code, 64, r.stderr);
    assert.match(r.stderr, new RegExp(`another s3cmd is on PATH: ${otherDir}/s3cmd \\(the link would hide it\\); add --force`));
    assert.ok(!fs.existsSync(link), 'refused: no link');

    r = ok(await run(installed, ['--install-s3cmd-link', linkDir], { env: withPath(linkDir, nodeDir), guard: true }), '--install-s3cmd-link');
    assert.equal(r.stdout.trim(), `${link} -> ${installed}`);
    assert.equal(fs.readlinkSync(link), installed);
    r = ok(await run(installed, ['--install-s3cmd-link', linkDir], { env: withPath(linkDir, nodeDir), guard: true }), 'again');
    assert.match(r.stdout, /already runs s3k/);
    r = ok(await run('s3cmd', ['ls'], { env: { ...adminEnv(), ...withPath(linkDir, nodeDir) }, guard: true }), 's3cmd ls through the link');
    assert.match(r.stdout, new RegExp(`  s3://${bucket}$`, 'm'));

    // an s3cmd file already in DIR is replaced only with --force
    fs.rmSync(link);
    fs.copyFileSync(path.join(otherDir, 's3cmd'), link);
    r = await run(installed, ['--install-s3cmd-link', linkDir], { env: withPath(linkDir, nodeDir), guard: true });
    assert.equal(r.code, 64, r.stderr);
    assert.match(r.stderr, /exists and is not s3k/);
    ok(await run(installed, ['--install-s3cmd-link', linkDir, '--force'], { env: withPath(linkDir, nodeDir), guard: true }), '--force');
    assert.equal(fs.readlinkSync(link), installed);
  });

  it('npm install -g git+file://REPO builds in the clone and installs s3k and its man page', { skip: !process.env.S3K_TEST_NPM_REGISTRY && 'needs the npm registry (S3K_TEST_NPM_REGISTRY=1)' }, async () => {
    const repo = path.join(tmp.path, 'repo');
    copyCheckout(repo);
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@localhost', ...args], { cwd: repo, stdio: 'ignore' });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-q', '-m', 'checkout');
    const gitPrefix = path.join(tmp.path, 'git-prefix');
    const r = await run('npm', ['install', '--global', '--prefix', gitPrefix, `git+file://${repo}`], {
      cwd: tmp.path,
      timeoutMs: 600_000,
      guard: false,
      env: {
        ...Object.fromEntries(REGISTRY_ACCESS.flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : []))),
        npm_config_cache: path.join(tmp.path, 'npm-cache-git'),
        npm_config_update_notifier: 'false',
        npm_config_fund: 'false',
        npm_config_audit: 'false',
      },
    });
    ok(r, 'npm install -g git+file://');
    const v = ok(await run(path.join(gitPrefix, 'bin', 's3k'), ['--version'], { guard: true }), 'installed from git: s3k --version');
    assert.equal(v.stdout.trim(), `s3k version ${PKG.version}`);
    assert.ok(!fs.lstatSync(path.join(gitPrefix, 'lib', 'node_modules', 's3k')).isSymbolicLink(), 'a directory, not a link to npm\'s temporary clone');
    assert.ok(fs.existsSync(path.join(gitPrefix, 'share', 'man', 'man1', 's3k.1')), 'the man page');
  });
});

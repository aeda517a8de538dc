#!/usr/bin/env node
// s3k vs s3cmd / aws / rclone against the throwaway Ceph RGW lab. Started by bench/run.sh, which
// starts the lab, installs the peers and passes the settings below in the environment.
// See bench/README.md for what is measured and how to read it.
import { spawn, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync,
  rmSync, statSync, writeFileSync, createReadStream,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, totalmem } from 'node:os';
import { S3Mini, pmap } from './s3mini.mjs';
import { render, summarize, WORKLOAD_IDS } from './report.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const E = process.env;
const int = (v, d) => (v === undefined || v === '' ? d : Math.max(0, parseInt(v, 10) || 0));
const QUICK = E.BENCH_QUICK === '1';

const ALL_WORKLOADS = ['startup', 'upload', 'list', 'download', 'delete', 'big', 'sync', 'list100k', 'sync100k', 'tls'];
// sync100k (100,000 files synced by every client: about 25 extra minutes) runs only when named
const DEFAULT_WORKLOADS = ALL_WORKLOADS.filter((w) => w !== 'sync100k');
const cfg = {
  quick: QUICK,
  rounds: Math.max(1, int(E.BENCH_ROUNDS, QUICK ? 1 : 3)),
  smallCount: int(E.BENCH_SMALL_FILES, QUICK ? 200 : 2000),
  smallBytes: 4096,
  bigMB: Math.max(1, int(E.BENCH_BIG_MB, QUICK ? 32 : 512)),
  syncCount: int(E.BENCH_SYNC_FILES, QUICK ? 500 : 10000),
  syncBytes: 4096,
  sync100kCount: int(E.BENCH_SYNC100K_FILES, QUICK ? 2000 : 100000),
  manyCount: int(E.BENCH_LIST_OBJECTS, QUICK ? 5000 : 100000),
  manyPrefixCount: int(E.BENCH_LIST_PREFIX_OBJECTS, QUICK ? 1000 : 10000),
  startupReps: Math.max(1, int(E.BENCH_STARTUP_REPS, QUICK ? 3 : 15)),
  clients: (E.BENCH_CLIENTS || 's3cmd,aws,rclone,s3k').split(',').map((s) => s.trim()).filter(Boolean),
  workloads: (E.BENCH_WORKLOADS || DEFAULT_WORKLOADS.join(',')).split(',').map((s) => s.trim()).filter(Boolean),
  timeoutS: int(E.BENCH_CMD_TIMEOUT_S, 900),
  seedConcurrency: int(E.BENCH_SEED_CONCURRENCY, 48),
};
for (const w of cfg.workloads) {
  if (!ALL_WORKLOADS.includes(w)) die(`unknown workload '${w}' in BENCH_WORKLOADS (known: ${ALL_WORKLOADS.join(',')})`);
}
for (const c of cfg.clients) {
  if (!['s3cmd', 'aws', 'rclone', 's3k'].includes(c)) die(`unknown client '${c}' in BENCH_CLIENTS`);
}
if (cfg.manyPrefixCount > cfg.manyCount) cfg.manyPrefixCount = cfg.manyCount;
const want = (w) => cfg.workloads.includes(w);
const PEERS = cfg.clients.filter((c) => c !== 's3k');

function die(msg) {
  console.error(`bench: ${msg}`);
  process.exit(2);
}
const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

// --- lab ---------------------------------------------------------------------------------------
const labEnvPath = E.BENCH_LAB_ENV || die('BENCH_LAB_ENV (the lab env.json) is not set; run via bench/run.sh');
const LAB = JSON.parse(readFileSync(labEnvPath, 'utf8'));
const EP = LAB.LAB_ENDPOINT;
const HOSTPORT = new URL(EP).host;
if (!/^(127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d+$/.test(HOSTPORT)) die(`lab endpoint ${EP} is not on loopback`);
const s3 = new S3Mini({ endpoint: EP, accessKeyId: LAB.LAB_ADMIN_ACCESS_KEY, secretAccessKey: LAB.LAB_ADMIN_SECRET_KEY });
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const SERVER_PIDFILES = ['mon.a.pid', 'osd.0.pid', 'client.rgw.a.pid'].map((f) => join(LAB.LAB_DIR, 'run', f));
const SERVER_PIDS = SERVER_PIDFILES.map((f) => Number(readFileSync(f, 'utf8').trim()));

/** utime+stime of the lab's mon + osd + rgw, in clock ticks */
function serverTicks() {
  let t = 0;
  for (const pid of SERVER_PIDS) {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    t += Number(f[11]) + Number(f[12]); // fields 14 and 15 of proc(5): utime, stime
  }
  return t;
}
const serverRss = () =>
  SERVER_PIDS.map((pid) => {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
    return m ? Number(m[1]) : 0;
  });

// --- work dir and data -------------------------------------------------------------------------
const WORK = E.BENCH_WORK || die('BENCH_WORK (a scratch directory) is not set; run via bench/run.sh');
mkdirSync(WORK, { recursive: true });
const DATA = join(WORK, 'data');
const HOME = join(WORK, 'home');
mkdirSync(HOME, { recursive: true });

function makeTree(dir, count, bytes, perDir = 100) {
  const md5 = new Map();
  rmSync(dir, { recursive: true, force: true });
  for (let i = 0; i < count; i++) {
    const d = `d${String(Math.floor(i / perDir)).padStart(3, '0')}`;
    const rel = `${d}/f${String(i).padStart(6, '0')}.bin`;
    if (i % perDir === 0) mkdirSync(join(dir, d), { recursive: true });
    const buf = randomBytes(bytes);
    writeFileSync(join(dir, rel), buf);
    md5.set(rel, createHash('md5').update(buf).digest('hex'));
  }
  return md5;
}

async function hashFile(path, algo = 'sha256') {
  const h = createHash(algo);
  for await (const c of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(c);
  return h.digest('hex');
}

// --- the clients -------------------------------------------------------------------------------
const S3K_BIN = E.BENCH_S3K_BIN || join(ROOT, 'dist', 's3k.mjs');
const which = (name, fallback) => {
  for (const d of ['/usr/bin', '/usr/local/bin', '/bin']) if (existsSync(join(d, name))) return join(d, name);
  return fallback;
};
const BIN = {
  s3cmd: E.BENCH_S3CMD || which('s3cmd', 's3cmd'),
  aws: E.BENCH_AWS || '/usr/bin/aws', // not a pyenv/v1 aws that may come first on PATH
  rclone: E.BENCH_RCLONE || which('rclone', 'rclone'),
};
const TIME = E.BENCH_TIME || '/usr/bin/time';

const S3CFG = join(WORK, 's3cfg');
const AWS_CONFIG = join(WORK, 'aws-config');
const AWS_CREDS = join(WORK, 'aws-credentials');
const RCLONE_CONF = join(WORK, 'rclone.conf');
const secretFile = (p, text) => writeFileSync(p, text, { mode: 0o600 });
secretFile(
  S3CFG,
  [
    '[default]',
    `access_key = ${LAB.LAB_ADMIN_ACCESS_KEY}`,
    `secret_key = ${LAB.LAB_ADMIN_SECRET_KEY}`,
    `host_base = ${HOSTPORT}`,
    `host_bucket = ${HOSTPORT}`,
    'use_https = False',
    'signature_v2 = False',
    'bucket_location = us-east-1',
    '',
  ].join('\n'),
);
secretFile(AWS_CONFIG, '[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n');
secretFile(
  AWS_CREDS,
  `[default]\naws_access_key_id = ${LAB.LAB_ADMIN_ACCESS_KEY}\naws_secret_access_key = ${LAB.LAB_ADMIN_SECRET_KEY}\n`,
);
secretFile(
  RCLONE_CONF,
  [
    '[lab]',
    'type = s3',
    'provider = Ceph',
    'env_auth = false',
    `access_key_id = ${LAB.LAB_ADMIN_ACCESS_KEY}`,
    `secret_access_key = ${LAB.LAB_ADMIN_SECRET_KEY}`,
    `endpoint = ${EP}`,
    'region = us-east-1',
    'force_path_style = true',
    '',
  ].join('\n'),
);

// HTTPS (the `tls` workload): the lab's TLS endpoint, its certificate signed by a throwaway CA that
// each client is given explicitly (s3cmd and s3k --ca-certs, aws --ca-bundle, rclone --ca-cert).
const TLS_EP = LAB.LAB_HTTPS_ENDPOINT;
const TLS_CA = LAB.LAB_CA_FILE;
const S3CFG_TLS = join(WORK, 's3cfg-tls');
const RCLONE_CONF_TLS = join(WORK, 'rclone-tls.conf');
if (TLS_EP && TLS_CA) {
  const tlsHost = new URL(TLS_EP).host;
  secretFile(S3CFG_TLS, readFileSync(S3CFG, 'utf8').replaceAll(HOSTPORT, tlsHost).replace('use_https = False', 'use_https = True'));
  secretFile(RCLONE_CONF_TLS, readFileSync(RCLONE_CONF, 'utf8').replace(`endpoint = ${EP}`, `endpoint = ${TLS_EP}`));
}
/** The same command against the HTTPS endpoint, trusting the lab's CA. */
function tlsArgv(client, argv) {
  const a = [...argv];
  if (client === 's3cmd' || client === 's3k') {
    const i = a.indexOf(S3CFG);
    a.splice(i, 1, S3CFG_TLS, `--ca-certs=${TLS_CA}`);
  } else if (client === 'aws') {
    a[a.indexOf('--endpoint-url') + 1] = TLS_EP;
    a.push('--ca-bundle', TLS_CA);
  } else if (client === 'rclone') {
    const i = a.indexOf(RCLONE_CONF);
    a.splice(i, 1, RCLONE_CONF_TLS, '--ca-cert', TLS_CA);
  }
  return a;
}

// A clean environment for every client: nothing of the caller's AWS / CA / s3cmd set-up leaks in
// (rclone 1.60 fails outright when AWS_CA_BUNDLE is set; the lab is plain http anyway).
const BASE_ENV = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  HOME,
  LANG: 'C.UTF-8',
  TMPDIR: join(WORK, 'tmp'),
  AWS_EC2_METADATA_DISABLED: 'true',
};
mkdirSync(BASE_ENV.TMPDIR, { recursive: true });

const s3u = (b, p = '') => `s3://${b}/${p}`;
const s3cmdLike = (exe) => (args) => [...exe, '-c', S3CFG, ...args];
const CLIENTS = {
  s3cmd: {
    exe: [BIN.s3cmd],
    env: { ...BASE_ENV },
    flags: 'defaults: one transfer at a time, 15 MiB multipart chunks, DeleteObjects batches of 1000',
  },
  s3k: {
    exe: [process.execPath, S3K_BIN],
    env: { ...BASE_ENV },
    flags: 'defaults: --parallel 16, 15 MiB multipart chunks',
  },
  aws: {
    exe: [BIN.aws],
    env: {
      ...BASE_ENV,
      AWS_CONFIG_FILE: AWS_CONFIG,
      AWS_SHARED_CREDENTIALS_FILE: AWS_CREDS,
      AWS_PAGER: '',
      AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'when_required',
    },
    flags: `--endpoint-url ${EP}, path-style (config), --only-show-errors on cp/rm/sync; defaults: max_concurrent_requests 10, 8 MiB multipart chunks`,
  },
  rclone: {
    exe: [BIN.rclone],
    env: { ...BASE_ENV },
    flags: '--config (provider=Ceph, path style); defaults: --transfers 4, --checkers 8, 5 MiB chunks, --s3-upload-concurrency 4',
  },
};
for (const name of ['s3cmd', 's3k']) {
  const a = s3cmdLike(CLIENTS[name].exe);
  Object.assign(CLIENTS[name], {
    version: () => [...CLIENTS[name].exe, '--version'],
    lsEmpty: (b) => a(['ls', s3u(b)]),
    upload: (dir, b, p) => a(['put', '-r', `${dir}/`, s3u(b, p)]),
    list: (b, p) => a(['ls', '-r', s3u(b, p)]),
    download: (b, p, dest) => a(['get', '-r', s3u(b, p), `${dest}/`]),
    del: (b, p) => a(['del', '-r', '--force', s3u(b, p)]),
    putFile: (f, b, k) => a(['put', f, s3u(b, k)]),
    getFile: (b, k, dest) => a(['get', s3u(b, k), dest]),
    sync: (dir, b, p) => a(['sync', `${dir}/`, s3u(b, p)]),
  });
}
{
  const c = CLIENTS.aws;
  const a = (args) => [...c.exe, ...args, '--endpoint-url', EP];
  const q = '--only-show-errors';
  Object.assign(c, {
    version: () => [...c.exe, '--version'],
    lsEmpty: (b) => a(['s3', 'ls', s3u(b)]),
    upload: (dir, b, p) => a(['s3', 'cp', '--recursive', dir, s3u(b, p), q]),
    list: (b, p) => a(['s3', 'ls', '--recursive', s3u(b, p)]),
    download: (b, p, dest) => a(['s3', 'cp', '--recursive', s3u(b, p), dest, q]),
    del: (b, p) => a(['s3', 'rm', '--recursive', s3u(b, p), q]),
    putFile: (f, b, k) => a(['s3', 'cp', f, s3u(b, k), q]),
    getFile: (b, k, dest) => a(['s3', 'cp', s3u(b, k), dest, q]),
    sync: (dir, b, p) => a(['s3', 'sync', dir, s3u(b, p), q]),
  });
}
{
  const c = CLIENTS.rclone;
  const a = (args) => [...c.exe, '--config', RCLONE_CONF, ...args];
  const r = (b, p = '') => `lab:${b}/${p}`.replace(/\/$/, '');
  Object.assign(c, {
    version: () => a(['version']),
    lsEmpty: (b) => a(['ls', r(b)]),
    upload: (dir, b, p) => a(['copy', dir, r(b, p)]),
    list: (b, p) => a(['ls', r(b, p)]),
    download: (b, p, dest) => a(['copy', r(b, p), dest]),
    del: (b, p) => a(['delete', r(b, p)]),
    putFile: (f, b, k) => a(['copyto', f, r(b, k)]),
    getFile: (b, k, dest) => a(['copyto', r(b, k), dest]),
    sync: (dir, b, p) => a(['sync', dir, r(b, p)]),
  });
}

// --- measuring ---------------------------------------------------------------------------------
const samples = [];
const TIME_OUT = join(WORK, 'time.out');
const ERR_OUT = join(WORK, 'stderr.out');
const OUT_DEFAULT = join(WORK, 'stdout.out');

function tail(path, n = 3) {
  try {
    const lines = readFileSync(path, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
    return lines.slice(-n).join(' | ').slice(0, 400);
  } catch {
    return '';
  }
}

/** Run argv under /usr/bin/time; returns { rc, wall, user, sys, cpu, rssKB, serverCpu, err } */
async function measure(client, argv, { stdout = OUT_DEFAULT } = {}) {
  rmSync(TIME_OUT, { force: true });
  const so = openSync(stdout, 'w');
  const se = openSync(ERR_OUT, 'w');
  const s0 = serverTicks();
  const t0 = process.hrtime.bigint();
  const child = spawn(TIME, ['-f', '%e %U %S %M', '-o', TIME_OUT, ...argv], {
    env: CLIENTS[client].env,
    stdio: ['ignore', so, se],
    detached: true, // own process group, so a timeout can stop the whole tree
    cwd: WORK,
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  }, cfg.timeoutS * 1000);
  const rc = await new Promise((res) => {
    child.on('error', (e) => res(`spawn: ${e.message}`));
    child.on('exit', (code, sig) => res(code ?? `signal ${sig}`));
  });
  clearTimeout(timer);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const serverCpu = (serverTicks() - s0) / CLK_TCK;
  closeSync(so);
  closeSync(se);
  let user = NaN, sys = NaN, rssKB = NaN;
  try {
    const last = readFileSync(TIME_OUT, 'utf8').trim().split('\n').pop().trim().split(/\s+/);
    if (last.length === 4) [, user, sys, rssKB] = last.map(Number);
  } catch {}
  const res = { rc: timedOut ? `timeout ${cfg.timeoutS}s` : rc, wall, user, sys, cpu: user + sys, rssKB, serverCpu };
  if (res.rc !== 0) res.err = `exit ${res.rc}: ${tail(ERR_OUT) || tail(stdout)}`;
  return res;
}

/** measure + record; check(res) returns undefined (ok) or an error string. */
async function bench(workload, client, round, argv, { stdout, check } = {}) {
  const res = await measure(client, argv, { stdout });
  if (res.rc === 0 && check) {
    try {
      const bad = await check(res);
      if (bad) res.err = `check failed: ${bad}`;
    } catch (e) {
      res.err = `check failed: ${e.message}`;
    }
  }
  res.ok = !res.err;
  const s = { workload, client, round, cmd: argv.map(redactArg).join(' '), load1: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]), ...res };
  samples.push(s);
  const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '?');
  log(
    `${workload.padEnd(10)} ${client.padEnd(6)} r${round} wall ${fmt(res.wall)}s cpu ${fmt(res.cpu)}s rss ${fmt(res.rssKB / 1024, 0)}MiB srv ${fmt(res.serverCpu)}s` +
      (res.ok ? (res.note ? `  (${res.note})` : '') : `  FAILED ${res.err}`),
  );
  return res;
}
const redactArg = (a) => String(a).replace(WORK, '$W');

const order = (r) => {
  const n = cfg.clients.length;
  return cfg.clients.map((_, i) => cfg.clients[(i + r - 1) % n]);
};

// --- checks and repairs ------------------------------------------------------------------------
const bucketOf = (c) => `bench-${c}`;

async function checkRemoteTree(bucket, prefix, md5) {
  const objs = await s3.list(bucket, prefix);
  let good = 0;
  for (const o of objs) if (md5.get(o.key.slice(prefix.length)) === o.etag && o.size) good++;
  if (objs.length !== md5.size || good !== md5.size) return `${objs.length} objects under ${prefix}, ${good} of ${md5.size} with the right key and MD5`;
}

async function seedTree(bucket, prefix, dir, md5) {
  await s3.deletePrefix(bucket, prefix);
  await pmap([...md5.keys()], cfg.seedConcurrency, (rel) => s3.putObject(bucket, prefix + rel, readFileSync(join(dir, rel))));
}

function walk(dir) {
  const out = [];
  const rec = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) rec(p);
      else if (e.isFile()) out.push(p);
    }
  };
  if (existsSync(dir)) rec(dir);
  return out;
}

function checkLocalTree(dest, md5) {
  const files = walk(dest);
  let good = 0;
  for (const f of files) {
    const rel = relative(dest, f).split('/').slice(-2).join('/');
    if (md5.get(rel) === createHash('md5').update(readFileSync(f)).digest('hex')) good++;
  }
  if (files.length !== md5.size || good !== md5.size) return `${files.length} files downloaded, ${good} of ${md5.size} match the source`;
}

function countLines(path) {
  const t = readFileSync(path, 'utf8');
  let n = 0;
  for (const l of t.split('\n')) if (l.trim()) n++;
  return n;
}

function gcProcess() {
  try {
    execFileSync('radosgw-admin', ['-c', LAB.CEPH_CONF, 'gc', 'process', '--include-all'], {
      stdio: 'ignore',
      env: { ...process.env, CEPH_CONF: LAB.CEPH_CONF },
      timeout: 120000,
    });
  } catch (e) {
    log(`radosgw-admin gc process failed: ${e.message}`);
  }
}

// --- workloads ---------------------------------------------------------------------------------
const info = { notes: [], seed: {} };
let smallMd5, syncMd5, sync100kMd5, bigSha, bigBytes;
const SMALL_DIR = join(DATA, 'small');
const SYNC_DIR = join(DATA, 'sync');
const SYNC100K_DIR = join(DATA, 'sync100k');
const BIG_FILE = join(DATA, 'big.bin');
const DL = join(WORK, 'dl');
const broken = new Map(); // client -> reason it cannot run at all

async function startupRound(r) {
  const reps = Math.ceil(cfg.startupReps / cfg.rounds);
  for (let i = 0; i < reps; i++) {
    for (const c of order(r + i)) await bench('version', c, r, CLIENTS[c].version(), { check: (res) => undefined });
    for (const c of order(r + i)) {
      await bench('ls_empty', c, r, CLIENTS[c].lsEmpty('bench-empty'), {
        stdout: join(WORK, 'ls.out'),
        check: () => (countLines(join(WORK, 'ls.out')) === 0 ? undefined : 'output from an empty bucket'),
      });
    }
  }
}

/** Small files: upload, list, download, delete (over HTTPS, with `tls`: upload and download only). */
async function smallRound(r, tls = false) {
  const p = `${tls ? 'tls-small' : 'small'}/r${r}/`;
  const N = smallMd5.size;
  const cl = order(r).filter((c) => !broken.has(c));
  const id = (w) => (tls ? `tls_${w}` : w);
  const argv = (c, a) => (tls ? tlsArgv(c, a) : a);
  const want = (w) => (tls ? w === 'upload' || w === 'download' : cfg.workloads.includes(w));
  if (want('upload')) {
    for (const c of cl) {
      const b = bucketOf(c);
      const res = await bench(id('upload'), c, r, argv(c, CLIENTS[c].upload(SMALL_DIR, b, p)), { check: () => checkRemoteTree(b, p, smallMd5) });
      if (!res.ok) await seedTree(b, p, SMALL_DIR, smallMd5); // so list/download/delete still run
    }
  } else if (want('list') || want('download') || want('delete')) {
    for (const c of cl) await seedTree(bucketOf(c), p, SMALL_DIR, smallMd5);
  }
  if (want('list')) {
    const out = join(WORK, 'list.out');
    for (const c of cl) {
      await bench('list', c, r, CLIENTS[c].list(bucketOf(c), p), {
        stdout: out,
        check: () => (countLines(out) === N ? undefined : `${countLines(out)} lines listed, expected ${N}`),
      });
    }
  }
  if (want('download')) {
    for (const c of cl) {
      const dest = join(DL, c);
      rmSync(dest, { recursive: true, force: true });
      mkdirSync(dest, { recursive: true });
      await bench(id('download'), c, r, argv(c, CLIENTS[c].download(bucketOf(c), p, dest)), { check: () => checkLocalTree(dest, smallMd5) });
      rmSync(dest, { recursive: true, force: true });
    }
  }
  if (want('delete')) {
    for (const c of cl) {
      const b = bucketOf(c);
      await bench('delete', c, r, CLIENTS[c].del(b, p), {
        check: async () => {
          const left = (await s3.list(b, p)).length;
          return left ? `${left} objects left under ${p}` : undefined;
        },
      });
    }
  }
  for (const c of cl) await s3.deletePrefix(bucketOf(c), p);
}

async function bigRound(r, tls = false) {
  const dir = `${tls ? 'tls-big' : 'big'}/r${r}/`;
  const key = `${dir}big.bin`;
  const cl = order(r).filter((c) => !broken.has(c));
  const id = (w) => (tls ? `tls_${w}` : w);
  const argv = (c, a) => (tls ? tlsArgv(c, a) : a);
  for (const c of cl) {
    const b = bucketOf(c);
    const res = await bench(id('bigup'), c, r, argv(c, CLIENTS[c].putFile(BIG_FILE, b, key)), {
      check: async () => {
        const h = await s3.headObject(b, key);
        if (!h) return 'object missing after upload';
        if (h.size !== bigBytes) return `object is ${h.size} bytes, expected ${bigBytes}`;
      },
    });
    if (!res.ok) {
      // seed it ourselves so the download can still be measured
      await s3.putObject(b, key, readFileSync(BIG_FILE));
    }
  }
  for (const c of cl) {
    const dest = join(DL, `big-${c}.bin`);
    rmSync(dest, { force: true });
    mkdirSync(DL, { recursive: true });
    await bench(id('bigdown'), c, r, argv(c, CLIENTS[c].getFile(bucketOf(c), key, dest)), {
      check: async () => {
        if (!existsSync(dest)) return 'no file written';
        const st = statSync(dest);
        if (st.size !== bigBytes) return `file is ${st.size} bytes, expected ${bigBytes}`;
        if ((await hashFile(dest)) !== bigSha) return 'content differs from the source (SHA-256)';
      },
    });
    rmSync(dest, { force: true });
  }
  for (const c of cl) await s3.deletePrefix(bucketOf(c), dir);
  gcProcess(); // RGW frees multipart tails only through its GC; memstore keeps them in RAM until then
}

// The initial sync of a tree (timed once per client, its own row) and then the no-change sync of
// the same tree every round. `sync` is the 10,000-file tree; `sync100k` the 100,000-file one.
const syncSeeded = new Map(); // `${seedId}/${client}` -> true | error
async function syncRound(r, { seedId = 'sync_seed', id = 'sync', dir = SYNC_DIR, md5 = syncMd5, p = 'sync/' } = {}) {
  const cl = order(r).filter((c) => !broken.has(c));
  for (const c of cl) {
    if (syncSeeded.has(`${seedId}/${c}`)) continue;
    const b = bucketOf(c);
    await s3.deletePrefix(b, p);
    const res = await bench(seedId, c, r, CLIENTS[c].sync(dir, b, p), { check: () => checkRemoteTree(b, p, md5) });
    syncSeeded.set(`${seedId}/${c}`, res.ok ? true : res.err);
  }
  for (const c of cl) {
    const b = bucketOf(c);
    const seeded = syncSeeded.get(`${seedId}/${c}`);
    if (seeded !== true) {
      samples.push({ workload: id, client: c, round: r, ok: false, err: `not run: the initial sync failed (${seeded})` });
      log(`${id.padEnd(10)} ${c.padEnd(6)} r${r} not run: the initial sync failed`);
      continue;
    }
    const before = new Map((await s3.list(b, p)).map((o) => [o.key, `${o.etag} ${o.lastModified}`]));
    await bench(id, c, r, CLIENTS[c].sync(dir, b, p), {
      check: async (res) => {
        const after = await s3.list(b, p);
        let changed = 0;
        for (const o of after) if (before.get(o.key) !== `${o.etag} ${o.lastModified}`) changed++;
        if (after.length !== md5.size) return `${after.length} objects after the sync, expected ${md5.size}`;
        if (changed) res.note = `rewrote ${changed} of ${after.length} objects although nothing changed`;
      },
    });
  }
}

const MANY = 'bench-many';
async function seedMany() {
  const keys = [];
  for (let i = 0; i < cfg.manyCount; i++) {
    const inA = i < cfg.manyPrefixCount;
    const j = inA ? i : i - cfg.manyPrefixCount;
    keys.push(`${inA ? 'a' : 'b'}/d${String(Math.floor(j / 1000)).padStart(3, '0')}/o${String(j).padStart(6, '0')}`);
  }
  const t0 = Date.now();
  const s0 = serverTicks();
  let done = 0;
  await pmap(keys, cfg.seedConcurrency, async (k) => {
    await s3.putObject(MANY, k, 'x');
    if (++done % 20000 === 0) log(`  seeded ${done} of ${keys.length}`);
  });
  const n = (await s3.list(MANY, '')).length;
  info.seed.many = { objects: n, seconds: (Date.now() - t0) / 1000, serverCpu: (serverTicks() - s0) / CLK_TCK, concurrency: cfg.seedConcurrency };
  log(`seeded ${n} objects into ${MANY} in ${info.seed.many.seconds.toFixed(1)} s (server CPU ${info.seed.many.serverCpu.toFixed(1)} s)`);
  if (n !== cfg.manyCount) throw new Error(`seeding ${MANY}: ${n} objects, expected ${cfg.manyCount}`);
}

async function list100kRound(r) {
  const cl = order(r).filter((c) => !broken.has(c));
  const out = join(WORK, 'many.out');
  for (const [w, p, n] of [['ls_many', '', cfg.manyCount], ['ls_prefix', 'a/', cfg.manyPrefixCount]]) {
    for (const c of cl) {
      await bench(w, c, r, CLIENTS[c].list(MANY, p), {
        stdout: out,
        check: () => {
          const got = countLines(out);
          return got === n ? undefined : `${got} lines listed, expected ${n}`;
        },
      });
    }
  }
  rmSync(out, { force: true });
}

// --- main --------------------------------------------------------------------------------------
const versions = {};
const tStart = Date.now();
const load0 = readFileSync('/proc/loadavg', 'utf8').trim();

async function main() {
  log(`settings: ${JSON.stringify({ ...cfg, lab: EP })}`);
  // versions (not measured)
  const v = (c) => {
    try {
      const [exe, ...args] = CLIENTS[c].version();
      return execFileSync(exe, args, { env: CLIENTS[c].env, stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim().split('\n')[0];
    } catch (e) {
      return `unavailable: ${String(e.message).split('\n')[0]}`;
    }
  };
  for (const c of cfg.clients) versions[c] = v(c);
  versions.node = process.version;
  versions.s3kBuild = E.BENCH_S3K_DESC || S3K_BIN;
  log(`versions: ${JSON.stringify(versions)}`);

  // data
  const t0 = Date.now();
  if (want('upload') || want('list') || want('download') || want('delete') || want('tls')) smallMd5 = makeTree(SMALL_DIR, cfg.smallCount, cfg.smallBytes);
  if (want('sync')) syncMd5 = makeTree(SYNC_DIR, cfg.syncCount, cfg.syncBytes);
  if (want('sync100k')) sync100kMd5 = makeTree(SYNC100K_DIR, cfg.sync100kCount, cfg.syncBytes);
  if (want('big') || want('tls')) {
    bigBytes = cfg.bigMB * 1048576;
    const fd = openSync(BIG_FILE, 'w');
    const h = createHash('sha256');
    for (let left = bigBytes; left > 0; ) {
      const n = Math.min(left, 8 << 20);
      const buf = randomBytes(n);
      h.update(buf);
      writeFileSync(fd, buf);
      left -= n;
    }
    closeSync(fd);
    bigSha = h.digest('hex');
  }
  log(`test data made in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // buckets and a client check (also the warm-up for every client)
  for (const b of ['bench-empty', ...cfg.clients.map(bucketOf)]) await s3.createBucket(b);
  if (want('list100k')) await s3.createBucket(MANY);
  for (const c of cfg.clients) {
    const res = await measure(c, CLIENTS[c].lsEmpty('bench-empty'));
    if (res.rc !== 0) {
      broken.set(c, res.err);
      log(`client ${c} cannot list the lab: ${res.err}`);
    }
  }
  // idle server CPU, for scale
  {
    const s0 = serverTicks();
    const i0 = Date.now();
    await new Promise((r) => setTimeout(r, 3000));
    info.idleServerCpuPerSec = (serverTicks() - s0) / CLK_TCK / ((Date.now() - i0) / 1000);
    log(`idle server CPU: ${info.idleServerCpuPerSec.toFixed(3)} s/s`);
  }
  if (want('list100k')) await seedMany();

  for (let r = 1; r <= cfg.rounds; r++) {
    log(`=== round ${r} of ${cfg.rounds}: order ${order(r).join(', ')}`);
    if (want('startup')) await startupRound(r);
    if (['upload', 'list', 'download', 'delete'].some(want)) await smallRound(r);
    if (want('big')) await bigRound(r);
    if (want('sync')) await syncRound(r);
    if (want('list100k')) await list100kRound(r);
    if (want('tls')) {
      if (TLS_EP && TLS_CA) {
        await smallRound(r, true);
        await bigRound(r, true);
      } else if (r === 1) {
        info.notes.push('tls: the lab has no HTTPS endpoint (LAB_HTTPS_ENDPOINT / LAB_CA_FILE in its env.json); no HTTPS rows');
        log('tls: the lab has no HTTPS endpoint; skipped');
      }
    }
    if (want('sync100k')) await syncRound(r, { seedId: 'sync100k_seed', id: 'sync100k', dir: SYNC100K_DIR, md5: sync100kMd5, p: 'sync100k/' });
  }
  for (const [c, why] of broken) {
    for (const w of WORKLOAD_IDS) samples.push({ workload: w, client: c, round: 0, ok: false, err: `client unusable: ${why}` });
  }
}

function report() {
  const now = new Date();
  const stamp = now.toISOString().slice(0, 16).replace(':', '').replace('T', '-') + (cfg.quick ? '-quick' : '');
  const outDir = E.BENCH_OUT_DIR || join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const data = {
    date: now.toISOString(),
    settings: cfg,
    lab: { endpoint: EP, memstoreBytes: E.LAB_MEMSTORE_BYTES, idleServerCpuPerSec: info.idleServerCpuPerSec },
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memGiB: Math.round(totalmem() / 2 ** 30),
      loadStart: load0.split(' ').slice(0, 3).join(' '),
      loadEnd: readFileSync('/proc/loadavg', 'utf8').trim().split(' ').slice(0, 3).join(' '),
    },
    versions,
    clientFlags: Object.fromEntries(cfg.clients.map((c) => [c, CLIENTS[c].flags])),
    info,
    harnessSeconds: (Date.now() - tStart) / 1000,
    samples,
  };
  const { md, text } = render(data);
  data.rows = summarize(data);
  const base = join(outDir, stamp);
  writeFileSync(`${base}.md.tmp`, md);
  writeFileSync(`${base}.json.tmp`, JSON.stringify(data, null, 1) + '\n');
  renameSync(`${base}.md.tmp`, `${base}.md`);
  renameSync(`${base}.json.tmp`, `${base}.json`);
  console.log('\n' + text);
  console.log(`results: ${relative(process.cwd(), `${base}.md`)} and .json (${(data.harnessSeconds / 60).toFixed(1)} min)`);
}

let exitCode = 0;
try {
  await main();
} catch (e) {
  console.error(`bench: aborted: ${e.stack ?? e}`);
  info.notes.push(`aborted: ${e.message}`);
  exitCode = 1;
}
try {
  if (samples.length) report();
} catch (e) {
  console.error(`bench: report failed: ${e.stack ?? e}`);
  exitCode = 1;
}
s3.close();
process.exit(exitCode);

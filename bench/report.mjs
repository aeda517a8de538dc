// Turns a benchmark's samples into tables. No side effects on import; bench.mjs uses it at the end
// of a run, and `node bench/report.mjs bench/results/X.json` re-renders X.md from a saved run.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const WORKLOAD_IDS = ['version', 'ls_empty', 'upload', 'list', 'download', 'delete', 'bigup', 'bigdown', 'sync_seed', 'sync', 'ls_many', 'ls_prefix', 'sync100k_seed', 'sync100k', 'tls_upload', 'tls_download', 'tls_bigup', 'tls_bigdown'];

export const labels = (cfg) => ({
  version: '`--version`',
  ls_empty: '`ls` empty bucket',
  upload: `upload ${cfg.smallCount}×4 KiB`,
  list: `list ${cfg.smallCount}`,
  download: `download ${cfg.smallCount}×4 KiB`,
  delete: `delete ${cfg.smallCount}`,
  bigup: `upload 1×${cfg.bigMB} MiB`,
  bigdown: `download 1×${cfg.bigMB} MiB`,
  sync_seed: `sync ${cfg.syncCount} files, initial (1 run)`,
  sync: `sync ${cfg.syncCount} files, nothing changed`,
  ls_many: `ls -r ${cfg.manyCount} objects`,
  ls_prefix: `ls -r ${cfg.manyPrefixCount}-object prefix`,
  sync100k_seed: `sync ${cfg.sync100kCount ?? 100000} files, initial (1 run)`,
  sync100k: `sync ${cfg.sync100kCount ?? 100000} files, nothing changed`,
  tls_upload: `upload ${cfg.smallCount}×4 KiB, HTTPS`,
  tls_download: `download ${cfg.smallCount}×4 KiB, HTTPS`,
  tls_bigup: `upload 1×${cfg.bigMB} MiB, HTTPS`,
  tls_bigdown: `download 1×${cfg.bigMB} MiB, HTTPS`,
});

export const median = (xs) => {
  const a = xs.filter(Number.isFinite).sort((x, y) => x - y);
  if (!a.length) return NaN;
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
};
const min = (xs) => Math.min(...xs.filter(Number.isFinite));
const max = (xs) => Math.max(...xs.filter(Number.isFinite));

/** One row per (workload, client): medians of the successful runs and ratios to the best peer. */
export function summarize({ settings: cfg, samples }) {
  const peers = cfg.clients.filter((c) => c !== 's3k');
  const rows = [];
  for (const w of WORKLOAD_IDS) {
    const stats = {};
    for (const c of cfg.clients) {
      const ss = samples.filter((s) => s.workload === w && s.client === c);
      if (!ss.length) continue;
      const ok = ss.filter((s) => s.ok);
      stats[c] = {
        workload: w,
        client: c,
        n: ok.length,
        runs: ss.length,
        wall: median(ok.map((s) => s.wall)),
        wallMin: min(ok.map((s) => s.wall)),
        wallMax: max(ok.map((s) => s.wall)),
        cpu: median(ok.map((s) => s.cpu)),
        cpuMin: min(ok.map((s) => s.cpu)),
        cpuMax: max(ok.map((s) => s.cpu)),
        user: median(ok.map((s) => s.user)),
        sys: median(ok.map((s) => s.sys)),
        rssMiB: ok.length ? max(ok.map((s) => s.rssKB)) / 1024 : NaN,
        rssMedMiB: median(ok.map((s) => s.rssKB)) / 1024,
        serverCpu: median(ok.map((s) => s.serverCpu)),
        errors: [...new Set(ss.filter((s) => !s.ok).map((s) => s.err))],
        notes: [...new Set(ok.map((s) => s.note).filter(Boolean))],
      };
    }
    const ps = peers.map((c) => stats[c]).filter((s) => s && s.n > 0);
    const bestWall = ps.length ? ps.reduce((a, b) => (b.wall < a.wall ? b : a)) : undefined;
    const bestCpu = ps.length ? ps.reduce((a, b) => (b.cpu < a.cpu ? b : a)) : undefined;
    for (const c of cfg.clients) {
      const s = stats[c];
      if (!s) continue;
      s.wallRatio = s.n && bestWall ? s.wall / bestWall.wall : NaN;
      s.cpuRatio = s.n && bestCpu ? s.cpu / bestCpu.cpu : NaN;
      s.bestWallPeer = bestWall?.client;
      s.bestCpuPeer = bestCpu?.client;
      rows.push(s);
    }
  }
  return rows;
}

const f2 = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const fr = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '–');
const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

function resultsTable(rows, L) {
  const out = [
    '| workload | client | n | wall s median [min–max] | client CPU s median [min–max] (user/sys) | peak RSS MiB | server CPU s | wall ÷ fastest peer | CPU ÷ leanest peer | check |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of rows) {
    const name = s.client === 's3k' ? '**s3k**' : s.client;
    const check = s.n === s.runs ? (s.notes.length ? s.notes.join('; ') : 'ok') : `${s.runs - s.n} of ${s.runs} failed: ${s.errors.join('; ')}`;
    if (!s.n) {
      out.push(`| ${L[s.workload]} | ${name} | 0/${s.runs} | n/a | n/a | n/a | n/a | n/a | n/a | ${cell(check)} |`);
      continue;
    }
    const range = (a, b) => (s.n > 1 ? ` [${f2(a)}–${f2(b)}]` : '');
    out.push(
      `| ${L[s.workload]} | ${name} | ${s.n}${s.n !== s.runs ? `/${s.runs}` : ''} | ${f2(s.wall)}${range(s.wallMin, s.wallMax)} | ` +
        `${f2(s.cpu)}${range(s.cpuMin, s.cpuMax)} (${f2(s.user)}/${f2(s.sys)}) | ${f2(s.rssMiB, 0)} | ${f2(s.serverCpu)} | ${fr(s.wallRatio)} | ${fr(s.cpuRatio)} | ${cell(check)} |`,
    );
  }
  return out.join('\n');
}

function s3kTable(rows, L) {
  const out = [
    '| workload | s3k wall s | fastest peer, wall s | wall ratio | s3k CPU s | leanest peer, CPU s | CPU ratio | s3k peak RSS MiB |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const by = new Map(rows.map((s) => [`${s.workload}/${s.client}`, s]));
  for (const w of WORKLOAD_IDS) {
    const k = by.get(`${w}/s3k`);
    if (!k) continue;
    const bw = by.get(`${w}/${k.bestWallPeer}`);
    const bc = by.get(`${w}/${k.bestCpuPeer}`);
    const peerW = bw ? `${bw.client} ${f2(bw.wall)}` : '–';
    const peerC = bc ? `${bc.client} ${f2(bc.cpu)}` : '–';
    if (!k.n) {
      out.push(`| ${L[w]} | n/a | ${peerW} | n/a | n/a | ${peerC} | n/a | n/a: ${cell(k.errors[0] ?? '')} |`);
      continue;
    }
    out.push(`| ${L[w]} | ${f2(k.wall)} | ${peerW} | ${fr(k.wallRatio)} | ${f2(k.cpu)} | ${peerC} | ${fr(k.cpuRatio)} | ${f2(k.rssMiB, 0)} |`);
  }
  return out.join('\n');
}

function rssTable(rows, cfg) {
  const by = new Map(rows.map((s) => [`${s.workload}/${s.client}`, s]));
  const out = [
    `| client | ls -r ${cfg.manyPrefixCount}: RSS MiB | ls -r ${cfg.manyCount}: RSS MiB | slope, bytes per object | ls -r ${cfg.manyCount}: wall s, CPU s |`,
    '|---|---|---|---|---|',
  ];
  let any = false;
  for (const c of cfg.clients) {
    const a = by.get(`ls_prefix/${c}`);
    const b = by.get(`ls_many/${c}`);
    if (!a || !b) continue;
    any = true;
    const slope = a.n && b.n ? ((b.rssMedMiB - a.rssMedMiB) * 1048576) / (cfg.manyCount - cfg.manyPrefixCount) : NaN;
    out.push(`| ${c} | ${f2(a.rssMedMiB, 0)} | ${f2(b.rssMedMiB, 0)} | ${f2(slope, 0)} | ${f2(b.wall)}, ${f2(b.cpu)} |`);
  }
  return any ? out.join('\n') : '';
}

/** Peak RSS of sync at two tree sizes: the growth shows whether sync holds per-file state. */
function syncRssTable(rows, cfg) {
  const by = new Map(rows.map((s) => [`${s.workload}/${s.client}`, s]));
  const n100 = cfg.sync100kCount ?? 100000;
  const out = [
    `| client | initial sync ${cfg.syncCount}: RSS MiB | initial sync ${n100}: RSS MiB | ratio | no-change sync ${cfg.syncCount}: RSS MiB | no-change sync ${n100}: RSS MiB | ratio |`,
    '|---|---|---|---|---|---|---|',
  ];
  let any = false;
  for (const c of cfg.clients) {
    const cells = [];
    for (const [a, b] of [['sync_seed', 'sync100k_seed'], ['sync', 'sync100k']]) {
      const x = by.get(`${a}/${c}`);
      const y = by.get(`${b}/${c}`);
      const rx = x?.n ? x.rssMedMiB : NaN;
      const ry = y?.n ? y.rssMedMiB : NaN;
      cells.push(f2(rx, 0), f2(ry, 0), fr(ry / rx));
    }
    if (!by.get(`sync100k/${c}`) && !by.get(`sync100k_seed/${c}`)) continue;
    any = true;
    out.push(`| ${c} | ${cells.join(' | ')} |`);
  }
  return any ? out.join('\n') : '';
}

/** Bytes moved per CPU-second and per wall second for the big object, both ways. */
function bigTable(rows, cfg) {
  const by = new Map(rows.map((s) => [`${s.workload}/${s.client}`, s]));
  const gib = cfg.bigMB / 1024;
  const out = ['| client | upload GiB per CPU-s | upload GiB/s wall | download GiB per CPU-s | download GiB/s wall |', '|---|---|---|---|---|'];
  let any = false;
  for (const [pre, proto] of [['', 'http'], ['tls_', 'HTTPS']]) {
    for (const c of cfg.clients) {
      const u = by.get(`${pre}bigup/${c}`);
      const d = by.get(`${pre}bigdown/${c}`);
      if (!u && !d) continue;
      any = true;
      const per = (s, k) => (s?.n ? f2(gib / s[k]) : 'n/a');
      out.push(`| ${c} (${proto}) | ${per(u, 'cpu')} | ${per(u, 'wall')} | ${per(d, 'cpu')} | ${per(d, 'wall')} |`);
    }
  }
  return any ? out.join('\n') : '';
}

/** -> { md: the whole report, text: the tables printed at the end of a run } */
export function render(data) {
  const cfg = data.settings;
  const L = labels(cfg);
  const rows = summarize(data);
  const m = data.machine ?? {};
  const md = [];
  md.push(`# s3k benchmark, ${data.date.slice(0, 16).replace('T', ' ')} UTC${cfg.quick ? ' (BENCH_QUICK smoke run)' : ''}`, '');
  md.push(
    `Machine: ${m.cpus ?? '?'} vCPUs (${m.cpuModel ?? '?'}), ${m.memGiB ?? '?'} GiB RAM, shared: load average ${m.loadStart ?? '?'} at the start and ${m.loadEnd ?? '?'} at the end ` +
      `(other engineers' builds, tests and labs share the same 2 cores${data.samples.some((x) => x.load1 !== undefined) ? "; each sample's 1-minute load is in the JSON" : ''}). ` +
      `Server: Ceph RGW 16.2 lab (lab/start.sh: 1 mon + 1 memstore OSD + radosgw beast, tcp_nodelay=1) at ${data.lab.endpoint}; all traffic on 127.0.0.1. ` +
      `Idle server CPU: ${f2(data.lab.idleServerCpuPerSec, 3)} CPU-s per second.`,
    '',
  );
  const reps = Math.ceil(cfg.startupReps / cfg.rounds) * cfg.rounds;
  md.push(`Rounds: ${cfg.rounds}, clients interleaved and their order rotated each round; start-up commands ${reps} runs each. Harness time: ${(data.harnessSeconds / 60).toFixed(1)} min (plus about 1 min for the build and the lab).`, '');
  md.push('Versions:', '');
  for (const [k, v] of Object.entries(data.versions)) md.push(`- ${k}: ${v}`);
  md.push('', "Client settings (flags passed; everything else is the tool's default):", '');
  for (const [c, f] of Object.entries(data.clientFlags ?? {})) md.push(`- ${c}: ${f}`);
  if (data.info?.seed?.many) {
    const s = data.info.seed.many;
    md.push('', `The ${s.objects}-object listing bucket was seeded by the harness (${s.concurrency} PUTs in flight) in ${f2(s.seconds, 1)} s, server CPU ${f2(s.serverCpu, 1)} s.`);
  }
  for (const n of data.info?.notes ?? []) md.push('', `**Note:** ${n}`);
  md.push('', '## Results', '', resultsTable(rows, L), '');
  md.push(
    'Wall and CPU: medians of the successful runs, with min–max. Client CPU = user + sys of the whole client process tree (GNU time). ' +
      'Peak RSS: the largest `%M` of any run (the largest single process). Server CPU: ceph-mon + ceph-osd + radosgw, median. ' +
      'Ratios divide by the best *peer* (s3cmd, aws, rclone) in this run for that workload: the fastest for wall, the leanest for CPU; below 1.00× is better than every peer.',
    '',
  );
  md.push('## s3k against the best peer', '', s3kTable(rows, L), '');
  const rss = rssTable(rows, cfg);
  if (rss) md.push('## Listing memory (median peak RSS)', '', rss, '');
  const srss = syncRssTable(rows, cfg);
  if (srss) md.push('## Sync memory (median peak RSS)', '', srss, '');
  const big = bigTable(rows, cfg);
  if (big) md.push(`## ${cfg.bigMB} MiB object: GiB per client CPU-second and per wall second (medians)`, '', big, '');
  const fails = new Map();
  for (const s of data.samples.filter((x) => !x.ok)) {
    const k = `${s.workload}\u0000${s.client}\u0000${s.err}`;
    if (!fails.has(k)) fails.set(k, { ...s, rounds: [] });
    fails.get(k).rounds.push(s.round);
  }
  if (fails.size) {
    md.push('## Failed runs', '');
    for (const s of fails.values()) {
      md.push(`- ${L[s.workload] ?? s.workload} / ${s.client} / round ${s.rounds.join(', ')}: ${s.cmd ? `\`${cell(s.cmd)}\` → ` : ''}${cell(s.err)}`);
    }
    md.push('');
  }
  md.push('## Commands (round 1; $W is the scratch directory)', '');
  const seen = new Set();
  for (const s of data.samples) {
    const k = `${s.workload}/${s.client}`;
    if (!s.cmd || seen.has(k)) continue;
    seen.add(k);
    md.push(`- ${L[s.workload] ?? s.workload} / ${s.client}: \`${cell(s.cmd)}\``);
  }
  md.push('');
  const text = [resultsTable(rows, L), '', s3kTable(rows, L), '', rss, '', srss, '', big].join('\n');
  return { md: md.join('\n'), text };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file || !file.endsWith('.json')) {
    console.error('usage: node bench/report.mjs bench/results/<run>.json   (rewrites <run>.md)');
    process.exit(64);
  }
  const data = JSON.parse(readFileSync(file, 'utf8'));
  const { md, text } = render(data);
  writeFileSync(file.replace(/\.json$/, '.md'), md);
  console.log(text);
}

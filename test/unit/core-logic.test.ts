// Pure logic: fnmatch, .s3cfg parsing, settings precedence, path safety, formats, redaction, shards.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fnmatch } from '../../src/storage/fnmatch.ts';
import { parseS3cfg, parseBool } from '../../src/config/s3cfg.ts';
import { resolveSettings, parseRate, ConfigError } from '../../src/config/settings.ts';
import { safeJoin } from '../../src/storage/local.ts';
import { formatSize, formatDateTime, transferStats } from '../../src/cli/output.ts';
import { redact, addSecret } from '../../src/cli/redact.ts';
import { shardOf } from '../../src/sync/select.ts';
import { parseUrl, encodeKey, bucketNameProblem } from '../../src/s3/uri.ts';
import { parseCommandLine } from '../../src/cli/options.ts';
import { chunkSizeFor } from '../../src/transfer/upload.ts';
import { buildAttrs, parseAttrs } from '../../src/storage/attrs.ts';

describe('fnmatch (Python semantics)', () => {
  it('* crosses slashes, ? is one char, sets and negated sets', () => {
    assert.ok(fnmatch('a/b/c.txt', '*.txt'));
    assert.ok(fnmatch('a/b/c.txt', 'a/*'));
    assert.ok(!fnmatch('a/b/c.txt', '*.log'));
    assert.ok(fnmatch('x1', 'x?'));
    assert.ok(!fnmatch('x12', 'x?'));
    assert.ok(fnmatch('b', '[abc]'));
    assert.ok(!fnmatch('b', '[!abc]'));
    assert.ok(fnmatch('a.b+c(d)', 'a.b+c(d)'));
    assert.ok(!fnmatch('aXb', 'a.b'));
    assert.ok(fnmatch('[', '['));
  });
});

describe('.s3cfg parsing', () => {
  it('reads key = value from any section, strips quotes, resolves $VAR, reports invalid lines', () => {
    const f = parseS3cfg('[default]\naccess_key = AK\nsecret_key="S K"\n# comment\n\ngarbage line\nhost_base = $MYHOST\n[other]\nuse_https = No\n', '/x', { MYHOST: 'h:1' });
    assert.deepEqual(f.values, { access_key: 'AK', secret_key: 'S K', host_base: 'h:1', use_https: 'No' });
    assert.deepEqual(f.invalidLines, [{ line: 6, text: 'garbage line' }]);
  });
  it('booleans as s3cmd accepts them', () => {
    for (const t of ['yes', 'True', 'ON', '1']) assert.equal(parseBool(t), true);
    for (const t of ['no', 'False', 'off', '0']) assert.equal(parseBool(t), false);
    assert.equal(parseBool('maybe'), undefined);
  });
});

describe('settings precedence', () => {
  const base = { HOME: '/nonexistent-home-s3k' };
  it('AWS default endpoint and virtual-host style without config', () => {
    const s = resolveSettings({}, base);
    assert.equal(s.endpoint.href, 'https://s3.amazonaws.com/');
    assert.equal(s.hostBucketTemplate, '%(bucket)s.s3.amazonaws.com');
    assert.equal(s.region, 'us-east-1');
    assert.equal(s.bucketLocation, undefined);
  });
  it('AWS_ENDPOINT_URL_S3 beats AWS_ENDPOINT_URL and gives path style; --host beats both', () => {
    let s = resolveSettings({}, { ...base, AWS_ENDPOINT_URL: 'http://a:1', AWS_ENDPOINT_URL_S3: 'http://b:2' });
    assert.equal(s.endpoint.href, 'http://b:2/');
    assert.equal(s.hostBucketTemplate, undefined);
    s = resolveSettings({ host: 'c:3', 'no-ssl': true }, { ...base, AWS_ENDPOINT_URL: 'http://a:1' });
    assert.equal(s.endpoint.href, 'http://c:3/');
  });
  it('region: --region > AWS_REGION > bucket_location; EU/US map to regions', () => {
    assert.equal(resolveSettings({ region: 'eu-central-1' }, { ...base, AWS_REGION: 'us-west-2' }).region, 'eu-central-1');
    assert.equal(resolveSettings({}, { ...base, AWS_REGION: 'us-west-2' }).region, 'us-west-2');
    assert.equal(resolveSettings({ region: 'EU' }, base).region, 'eu-west-1');
    assert.throws(() => resolveSettings({ region: 'not a region' }, base), ConfigError);
  });
  it('numbers are validated with the option named', () => {
    assert.throws(() => resolveSettings({ 'multipart-chunk-size-mb': '4' }, base), /Chunk size 4 MB is too small, must be >= 5 MB/);
    assert.throws(() => resolveSettings({ parallel: 'x' }, base), /option --parallel: invalid integer value: 'x'/);
    assert.throws(() => resolveSettings({ shard: '3/3' }, base), /option --shard: invalid value: '3\/3' \(must be K\/N/);
    assert.deepEqual(resolveSettings({ shard: '1/4' }, base).shard, { index: 1, count: 4 });
  });
  it('an explicit missing config file is an error; a missing default one is not', () => {
    assert.throws(() => resolveSettings({ config: '/no/such/file' }, base), /config file not found/);
    assert.equal(resolveSettings({}, base).configLoaded, false);
  });
  it('limit-rate suffixes', () => {
    assert.equal(parseRate('512'), 512);
    assert.equal(parseRate('10k'), 10240);
    assert.equal(parseRate('2M'), 2 * 1024 * 1024);
    assert.throws(() => parseRate('fast'));
  });
});

describe('download path safety', () => {
  it('refuses .., absolute keys and the directory itself; accepts ordinary keys', () => {
    assert.equal(safeJoin('/d', 'a/b.txt').path, '/d/a/b.txt');
    assert.equal(safeJoin('dest', 'a//b.txt').path, 'dest/a/b.txt');
    assert.match(safeJoin('/d', '../x').problem!, /'\.\.'/);
    assert.match(safeJoin('/d', 'a/../../x').problem!, /'\.\.'/);
    assert.match(safeJoin('/d', '/etc/passwd').problem!, /absolute/);
    assert.match(safeJoin('/d', './').problem!, /target directory itself/);
    assert.equal(safeJoin('/d', '..foo/bar').path, '/d/..foo/bar');
  });
});

describe('s3cmd formats', () => {
  it('formatSize like s3cmd (divide while > 2048)', () => {
    assert.deepEqual(formatSize(2048, true), [2048, '']);
    assert.deepEqual(formatSize(2049, true), [2, 'K']);
    assert.deepEqual(formatSize(5 * 1024 * 1024, true), [5, 'M']);
    assert.deepEqual(formatSize(123, false), [123, '']);
  });
  it('UTC timestamps and transfer stats', () => {
    assert.equal(formatDateTime(new Date('2026-11-28T20:05:59Z')), '2026-11-28 20:05');
    assert.equal(transferStats(6, 0.0135), '(6 bytes in 0.0 seconds, 444.44 B/s)');
    assert.equal(transferStats(5 * 1024 * 1024, 1), '(5242880 bytes in 1.0 seconds, 5.00 MB/s)');
  });
  it('s3cmd-attrs round trip', () => {
    const a = buildAttrs(undefined, 'abc');
    assert.equal(a, 'md5:abc');
    assert.deepEqual(parseAttrs('atime:1/md5:x/mode:33188'), { atime: '1', md5: 'x', mode: '33188' });
  });
});

describe('redaction', () => {
  it('removes registered secrets, JWTs, signatures and STS secrets', () => {
    addSecret('SuperSecretValue123');
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2ln';
    const text = `key SuperSecretValue123 token ${jwt} Signature=0123456789abcdef0123 <SecretAccessKey>abc</SecretAccessKey> X-Amz-Security-Token=FQoG123&x=1`;
    const out = redact(text);
    assert.ok(!out.includes('SuperSecretValue123'));
    assert.ok(!out.includes(jwt));
    assert.ok(!out.includes('0123456789abcdef0123'));
    assert.ok(!out.includes('<SecretAccessKey>abc'));
    assert.ok(!out.includes('FQoG123'));
  });
});

describe('urls, keys, names, options, shards, chunk sizes', () => {
  it('parses s3:// URLs and encodes keys for paths', () => {
    assert.deepEqual(parseUrl('s3://b/k/x'), { type: 's3', bucket: 'b', key: 'k/x' });
    assert.deepEqual(parseUrl('s3://b'), { type: 's3', bucket: 'b', key: '' });
    assert.deepEqual(parseUrl('./f'), { type: 'file', path: './f' });
    assert.equal(encodeKey("a b/c+d/ü!'()*"), 'a%20b/c%2Bd/%C3%BC%21%27%28%29%2A');
  });
  it('bucket names', () => {
    assert.equal(bucketNameProblem('good-name.1'), undefined);
    assert.ok(bucketNameProblem('Bad_Name'));
    assert.ok(bucketNameProblem('ab'));
    assert.equal(bucketNameProblem('s3k-autotest-EU'), "Bucket name 's3k-autotest-EU' contains disallowed character 'E'. The only supported ones are: lowercase us-ascii letters (a-z), digits (0-9), dot (.) and hyphen (-).");
    assert.equal(bucketNameProblem('Bad_Name', false), undefined);
    assert.match(bucketNameProblem('a b', false)!, /disallowed character ' '/);
    assert.equal(bucketNameProblem('ab', false), "Bucket name 'ab' is too short (min 3 characters)");
    assert.equal(bucketNameProblem('a..b'), "Bucket name 'a..b' must not contain sequence '..' for DNS compatibility");
  });
  it('options before and after the command, combined short flags', () => {
    const p = parseCommandLine(['-r', 'ls', '-lH', 's3://b', '--exclude', '*.tmp', '--exclude=*.bak']);
    assert.deepEqual(p.positionals, ['ls', 's3://b']);
    assert.equal(p.values.recursive, true);
    assert.equal(p.values['long-listing'], true);
    assert.deepEqual(p.values.exclude, ['*.tmp', '*.bak']);
    assert.throws(() => parseCommandLine(['--nope']), /no such option: --nope/);
  });
  it('shards partition keys with no overlap and no gap', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `k/${i}`);
    const counts = [0, 0, 0, 0];
    for (const k of keys) counts[shardOf(k, 4)]++;
    assert.equal(counts.reduce((a, b) => a + b), 1000);
    for (const c of counts) assert.ok(c > 150, `balanced: ${counts}`);
    assert.equal(shardOf('same', 7), shardOf('same', 7));
  });
  it('chunk size grows to stay within 10,000 parts', () => {
    assert.equal(chunkSizeFor(100 * 2 ** 20, 15 * 2 ** 20), 15 * 2 ** 20);
    const c = chunkSizeFor(200 * 2 ** 30, 15 * 2 ** 20);
    assert.ok(Math.ceil((200 * 2 ** 30) / c) <= 10000);
  });
});

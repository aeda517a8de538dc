// doctor: one run checks what a pod needs (credential source, IRSA role ARN, token file and token,
// STS reachable and the AssumeRoleWithWebIdentity answer, S3 reachable, clock skew, the bucket) and
// prints a checklist with the fix for each failure. The checks live a floor down
// (credentials/diagnose.ts, s3/diagnose.ts, net/reach.ts); this only orders and prints them.
// Exit 0 when no check failed (warnings allowed), else the exit code of the first failure.
import type { Context } from './context.ts';
import { diagnoseCredentials, type Check } from '../credentials/diagnose.ts';
import { authCheck, bucketCheck, clockCheck, s3ReachCheck } from '../s3/diagnose.ts';
import { result } from '../cli/output.ts';
import { addSecret, redact } from '../cli/redact.ts';
import { EX, ParameterError } from '../cli/exit-codes.ts';
import { s3Arg } from '../storage/url.ts';

export async function cmdDoctor(ctx: Context, args: string[]): Promise<number> {
  if (args.length > 1) throw new ParameterError(`doctor takes at most one argument (s3://BUCKET), got ${args.length}`);
  let bucket: string | undefined;
  if (args[0] !== undefined) {
    const u = s3Arg(args[0]);
    if (!u.bucket || u.key) throw new ParameterError(`doctor checks a bucket: expected s3://BUCKET, got ${args[0]}`);
    bucket = u.bucket;
  }
  const s = ctx.settings;
  const checks: Check[] = [];

  let provider;
  if (s.noSignRequest) {
    checks.push({ name: 'credentials.source', status: 'ok', detail: 'none: --no-sign-request sends every request unsigned' });
    provider = ctx.credentials();
  } else {
    const d = await diagnoseCredentials(ctx.chainInput(), { tls: ctx.tls() });
    checks.push(...d.checks);
    provider = d.provider;
    if (provider) {
      const c = await provider.get();
      addSecret(c.secretAccessKey);
      addSecret(c.sessionToken);
    }
  }

  const reach = await s3ReachCheck(s.endpoint, ctx.tls());
  checks.push(reach);
  const s3Name = bucket ? 's3.bucket' : 's3.auth';
  if (reach.status === 'fail') {
    checks.push({ name: 'clock.skew', status: 'skip', detail: 'not tried: the S3 endpoint is not reachable' });
    checks.push({ name: s3Name, status: 'skip', detail: 'not tried: the S3 endpoint is not reachable' });
  } else {
    checks.push(await clockCheck(s.endpoint, ctx.tls()));
    if (!provider) checks.push({ name: s3Name, status: 'skip', detail: 'not tried: no working credentials (see above)' });
    else checks.push(bucket ? await bucketCheck(ctx.s3With(provider), bucket, s.region) : await authCheck(ctx.s3With(provider)));
  }

  const failed = checks.find((c) => c.status === 'fail');
  const code = failed ? (failed.exitCode ?? EX.GENERAL) : EX.OK;
  if (s.json) {
    result(redact(JSON.stringify({ ok: !failed, exitCode: code, endpoint: s.endpoint.href, region: s.region, ...(bucket ? { bucket } : {}), checks })));
    return code;
  }
  const width = Math.max(...checks.map((c) => c.name.length));
  const tag = { ok: '[ ok ]', warn: '[WARN]', fail: '[FAIL]', skip: '[skip]' } as const;
  for (const c of checks) {
    result(redact(`${tag[c.status]} ${c.name.padEnd(width)}  ${c.detail}`));
    if (!c.fix || c.status === 'ok' || c.status === 'skip') continue;
    for (const line of c.fix.split('\n')) {
      // a trust policy's JSON lines go under their fix line
      const cont = /^[\s{}\]]/.test(line);
      result(redact(`${' '.repeat(7)}${cont ? '       ' : 'fix: '}${line}`));
    }
  }
  const n = (st: Check['status']) => checks.filter((c) => c.status === st).length;
  result(`doctor: ${n('ok')} ok, ${n('warn')} warning${n('warn') === 1 ? '' : 's'}, ${n('fail')} failed, ${n('skip')} skipped; exit ${code}`);
  return code;
}

// ls, la: s3cmd's listing formats.
import type { Context } from './context.ts';
import { listBuckets, headObject } from '../s3/ops.ts';
import { s3uri } from '../s3/uri.ts';
import { result, resultLines, warning, formatDateTime, formatSize } from '../cli/output.ts';
import { EX, ParameterError } from '../cli/exit-codes.ts';
import { parseArg, s3Url, type S3Url } from '../storage/url.ts';
import { listView } from '../storage/s3.ts';
import { attrsMd5 } from '../storage/attrs.ts';
import { reportBucketError } from './report.ts';

export async function cmdLs(ctx: Context, args: string[]): Promise<number> {
  if (args.length > 0) {
    const u = parseArg(args[0]);
    if (u.type === 's3' && u.bucket) {
      await listBucket(ctx, u);
      return EX.OK;
    }
    if (u.type === 'file') throw new ParameterError(`Expecting S3 URI instead of '${args[0]}'`);
  }
  const buckets = (await listBuckets(ctx.s3())).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (ctx.settings.json) {
    result(JSON.stringify(buckets.map((b) => ({ bucket: b.name, created: b.creationDate.toISOString() }))));
    return EX.OK;
  }
  for (const b of buckets) result(`${formatDateTime(b.creationDate)}  s3://${b.name}`);
  return EX.OK;
}

export async function cmdLa(ctx: Context, _args: string[]): Promise<number> {
  const buckets = await listBuckets(ctx.s3());
  for (const b of buckets) {
    await listBucket(ctx, s3Url(b.name));
    if (!ctx.settings.json) result('');
  }
  return EX.OK;
}

async function listBucket(ctx: Context, u: S3Url): Promise<void> {
  const s = ctx.settings;
  const c = ctx.s3();
  const human = s.humanReadable;
  const dirStr = 'DIR'.padStart(human ? 6 : 12);
  const fmtSize = (n: number) => {
    const [v, c2] = formatSize(n, human);
    return human ? String(v).padStart(5) + c2.padEnd(1) : String(v).padStart(12);
  };
  const line = (ts: string, size: string, md5: string, sc: string, uri: string) => {
    if (s.longListing) return `${ts.padStart(16)} ${size}  ${md5.padEnd(35)}  ${sc.padEnd(11)}  ${uri}`;
    if (s.listMd5) return `${ts.padStart(16)} ${size}  ${md5.padEnd(35)}  ${uri}`;
    return `${ts.padStart(16)} ${size}  ${uri}`;
  };
  // --json streams one array, a page at a time, so memory stays flat on big listings
  let jsonStarted = false;
  const json: object[] = [];
  const flushJson = (final: boolean) => {
    if (!s.json) return;
    let text = json.map((j) => JSON.stringify(j)).join(',');
    if (!jsonStarted) text = '[' + text;
    else if (text) text = ',' + text;
    jsonStarted = true;
    if (final) text += ']';
    json.length = 0;
    if (text) process.stdout.write(text + (final ? '\n' : ''));
  };
  let count = 0;
  // s3cmd lists every page before it prints, DIR lines first: without -r the object lines wait
  // for the last page (one level of a bucket); with -r there are no DIR lines and pages stream.
  const held: string[] = [];
  try {
    for await (const page of listView(c, u, { recursive: s.recursive, limit: s.limit })) {
      const out: string[] = [];
      for (const p of page.prefixes) {
        if (s.json) json.push({ type: 'dir', uri: s3uri(u.bucket, p) });
        else out.push(line('', dirStr, '', '', s3uri(u.bucket, p)));
        count++;
      }
      for (const o of page.objects) {
        let md5 = o.etag;
        if ((s.listMd5 || s.longListing) && md5.includes('-')) {
          try {
            const h = await headObject(c, u.bucket, o.key);
            md5 = attrsMd5(h.metadata['s3cmd-attrs']) ?? md5;
          } catch {
            /* keep the ETag */
          }
        }
        if (s.json)
          json.push({ type: 'object', uri: s3uri(u.bucket, o.key), key: o.key, size: o.size, lastModified: o.lastModified.toISOString(), etag: o.etag, md5, storageClass: o.storageClass });
        else out.push(line(formatDateTime(o.lastModified), fmtSize(o.size), md5, o.storageClass, s3uri(u.bucket, o.key)));
        count++;
      }
      if (s.recursive) resultLines(out);
      else {
        const firstObject = out.length - page.objects.length;
        resultLines(out.slice(0, firstObject));
        for (const l of out.slice(firstObject)) held.push(l);
      }
      if (json.length) flushJson(false);
    }
    resultLines(held);
  } catch (e) {
    reportBucketError(e);
    throw e;
  }
  flushJson(true);
  if (s.limit > 0 && count >= s.limit) warning('The list is truncated because the settings limit was reached.');
}


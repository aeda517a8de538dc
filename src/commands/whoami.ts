// whoami: which credentials s3k uses, from where, until when. Never a secret or the token itself.
import type { Context } from './context.ts';
import { describeCredentials } from '../credentials/describe.ts';
import { result } from '../cli/output.ts';
import { EX } from '../cli/exit-codes.ts';

export async function cmdWhoami(ctx: Context, _args: string[]): Promise<number> {
  const d = await describeCredentials(ctx.credentials());
  const s = ctx.settings;
  if (s.json) {
    result(JSON.stringify({ ...d, endpoint: s.endpoint.href, region: s.region }));
    return EX.OK;
  }
  const row = (k: string, v: string) => result(`${(k + ':').padEnd(18)} ${v}`);
  row('Source', d.source);
  row('Access key', d.accessKeyIdMasked);
  row('Temporary', d.temporary ? 'yes (session token)' : 'no');
  if (d.expiration) {
    const mins = Math.round((Date.parse(d.expiration) - Date.now()) / 60000);
    row('Expires', `${d.expiration} (in ${mins} min)`);
  }
  for (const [k, v] of Object.entries(d.details)) row(k, Array.isArray(v) ? v.join(', ') : String(v));
  row('Endpoint', s.endpoint.href);
  row('Region', s.region);
  return EX.OK;
}

// signurl: a SigV4 presigned GET URL (s3cmd makes SigV2 URLs without the session token, useless with
// IRSA); with signature_v2, s3cmd's SigV2 URL (carrying the session token when there is one). Same
// endpoint and addressing style as every other request. sign: s3cmd's HMAC-SHA1 signature.
import type { Context } from './context.ts';
import { parseUrl } from '../s3/uri.ts';
import { presignUrl, presignUrlV2, signStringV2, MAX_PRESIGN_SECONDS } from '../s3/presign.ts';
import { output, warning, debug } from '../cli/output.ts';
import { EX, ParameterError } from '../cli/exit-codes.ts';

/** `+SECONDS` from now or an epoch time -> epoch seconds (s3cmd's time_to_epoch). */
export function parseExpiry(arg: string, nowMs: number): number {
  const t = arg.trim();
  if (/^\+\d+$/.test(t)) return Math.floor(nowMs / 1000) + Number(t.slice(1));
  if (/^\d+$/.test(t)) return Number(t);
  throw new ParameterError(
    `Unable to convert '${arg}' to an epoch time. Pass an epoch time or +SECONDS from now (at most ${MAX_PRESIGN_SECONDS}, 7 days). Try \`date -d 'now + 1 day' +%s\` (shell).`,
  );
}

export async function cmdSignurl(ctx: Context, argsIn: string[]): Promise<number> {
  const args = [...argsIn];
  const expiryArg = args.pop()!;
  const target = args.pop()!;
  const u = parseUrl(target);
  if (u.type !== 's3' || !u.bucket) throw new ParameterError(`Must be S3Uri. Got: ${target}`);
  const now = Date.now();
  const expiry = parseExpiry(expiryArg, now);
  const expiresIn = expiry - Math.floor(now / 1000);
  if (expiresIn < 1) throw new ParameterError(`expiry ${expiryArg} (${new Date(expiry * 1000).toISOString()}) is not in the future.`);
  const v2 = ctx.settings.signatureV2; // SigV2 URLs carry an epoch time and have no 7-day cap
  if (expiresIn > MAX_PRESIGN_SECONDS && !v2)
    throw new ParameterError(
      `a SigV4 presigned URL is valid for at most ${MAX_PRESIGN_SECONDS} seconds (7 days); ${expiryArg} is ${expiresIn} seconds from now. Use +${MAX_PRESIGN_SECONDS} or less.`,
    );
  debug(`Expiry interpreted as epoch time ${expiry}`);
  const creds = await ctx.credentials().get();
  const t = ctx.s3().target(u.bucket, u.key);
  const query: Record<string, string> = {};
  if (ctx.settings.contentDisposition) query['response-content-disposition'] = ctx.settings.contentDisposition;
  if (ctx.settings.contentType) query['response-content-type'] = ctx.settings.contentType;
  const url = v2
    ? presignUrlV2({ ...t, accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, sessionToken: creds.sessionToken, expires: expiry, query })
    : presignUrl({
        protocol: t.protocol,
        host: t.host,
        path: t.path,
        region: ctx.settings.region,
        accessKeyId: creds.accessKeyId,
        secretAccessKey: creds.secretAccessKey,
        sessionToken: creds.sessionToken,
        expiresIn,
        now: new Date(now),
        query,
      });
  if (creds.expiration && creds.expiration.getTime() < expiry * 1000)
    warning(
      `the URL is signed with temporary credentials that expire at ${creds.expiration.toISOString()}; it stops working then, before its own expiry (${new Date(expiry * 1000).toISOString()}).`,
    );
  output(url);
  return EX.OK;
}

export async function cmdSign(ctx: Context, args: string[]): Promise<number> {
  const stringToSign = args[args.length - 1];
  debug(`string-to-sign: ${JSON.stringify(stringToSign)}`);
  const creds = await ctx.credentials().get();
  output(`Signature: ${signStringV2(creds.secretAccessKey, stringToSign)}`);
  return EX.OK;
}

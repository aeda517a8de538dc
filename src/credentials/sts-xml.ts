// Parse STS AssumeRoleWithWebIdentity and AssumeRole answers. Errors come in two shapes: AWS STS's
// `<ErrorResponse><Error><Code>…` and, from S3-compatible servers such as Ceph RGW, S3's `<Error><Code>…`.
import { XMLParser } from 'fast-xml-parser';

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
});

export interface StsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration?: Date;
  /** AssumedRoleUser.Arn, e.g. arn:aws:sts::111122223333:assumed-role/role/session. */
  assumedRoleArn?: string;
}

export interface StsError {
  code?: string;
  message?: string;
  requestId?: string;
}

type Node = Record<string, unknown>;

function parse(text: string): Node | undefined {
  if (!text.trim()) return undefined;
  try {
    const doc = parser.parse(text) as unknown;
    return doc && typeof doc === 'object' ? (doc as Node) : undefined;
  } catch {
    return undefined;
  }
}

function child(n: unknown, key: string): unknown {
  return n && typeof n === 'object' && !Array.isArray(n) ? (n as Node)[key] : undefined;
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

/** The credentials in a successful answer to `action`, or undefined when the body does not hold them. */
export function parseAssumeRoleResponse(text: string, action: 'AssumeRoleWithWebIdentity' | 'AssumeRole' = 'AssumeRoleWithWebIdentity'): StsCredentials | undefined {
  const doc = parse(text);
  const result = child(child(doc, `${action}Response`), `${action}Result`);
  const c = child(result, 'Credentials');
  const accessKeyId = str(child(c, 'AccessKeyId'));
  const secretAccessKey = str(child(c, 'SecretAccessKey'));
  const sessionToken = str(child(c, 'SessionToken'));
  if (!accessKeyId || !secretAccessKey || !sessionToken) return undefined;
  const exp = str(child(c, 'Expiration'));
  const expiration = exp ? new Date(exp) : undefined;
  return {
    accessKeyId,
    secretAccessKey,
    sessionToken,
    expiration: expiration && !Number.isNaN(expiration.getTime()) ? expiration : undefined,
    assumedRoleArn: str(child(child(result, 'AssumedRoleUser'), 'Arn')),
  };
}

/** Code and message from an STS-format or S3-format error body; empty when neither. */
export function parseStsError(text: string): StsError {
  const doc = parse(text);
  const sts = child(doc, 'ErrorResponse');
  const err = sts !== undefined ? child(sts, 'Error') : child(doc, 'Error');
  return {
    code: str(child(err, 'Code')),
    message: str(child(err, 'Message')),
    requestId: str(child(sts, 'RequestId')) ?? str(child(err, 'RequestId')),
  };
}

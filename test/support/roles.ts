// Role chaining in the lab: a role that other principals may assume with sts:AssumeRole, and
// AssumeRole itself, SigV4-signed with aws4 (independent of s3k) to set up and clean up state.
// RGW has one "account": a second role with its own policy stands in for a role in another account.
import http from 'node:http';
import aws4 from 'aws4';
import * as irsa from '../../lab/irsa.mjs';
import { labEnv, REGION, type SigningCredentials } from './lab.ts';

const decodeXml = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
const xmlTag = (xml: string, tag: string) => {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return m ? decodeXml(m[1]!) : undefined;
};

/** The lab admin user's ARN (a principal a trust policy can name). */
export const ADMIN_USER_ARN = 'arn:aws:iam:::user/admin';

/**
 * Creates (or updates) role `name` that the given principals (role or user ARNs) may assume with
 * sts:AssumeRole, with `policy` as its inline policy. Idempotent. Returns the role ARN.
 * RGW 16.2: compact JSON only, no '_' in role names.
 */
export async function setupAssumableRole(name: string, principals: string[], policy: object): Promise<string> {
  const env = labEnv();
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: principals }, Action: ['sts:AssumeRole'] }] });
  let arn: string | undefined;
  try {
    arn = xmlTag((await irsa.iam('CreateRole', { RoleName: name, Path: '/', AssumeRolePolicyDocument: trust }, env)).body, 'Arn');
  } catch (e) {
    const err = e as { status?: number; code?: string };
    if (!(err.status === 409 || err.code === 'EntityAlreadyExists')) throw e;
    await irsa.iam('UpdateAssumeRolePolicy', { RoleName: name, PolicyDocument: trust }, env);
  }
  arn ??= xmlTag((await irsa.iam('GetRole', { RoleName: name }, env)).body, 'Arn');
  if (!arn) throw new Error(`could not read the ARN of role ${name}`);
  await irsa.iam('PutRolePolicy', { RoleName: name, PolicyName: 'chain-policy', PolicyDocument: JSON.stringify(policy) }, env);
  return arn;
}

/** STS AssumeRole at the lab, signed with `creds`. Throws with the status on anything but 200. */
export async function stsAssumeRole(creds: SigningCredentials, roleArn: string, sessionName = `lab-${Date.now()}`): Promise<SigningCredentials> {
  const u = new URL(labEnv().LAB_ENDPOINT);
  const body = [['Action', 'AssumeRole'], ['Version', '2011-06-15'], ['RoleArn', roleArn], ['RoleSessionName', sessionName]].map(([k, v]) => `${k}=${encodeURIComponent(v!)}`).join('&');
  const req = { host: u.host, path: '/', method: 'POST', service: 'sts', region: REGION, body, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } as Record<string, string | number> };
  aws4.sign(req, creds);
  const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const r = http.request({ hostname: u.hostname, port: u.port, path: '/', method: 'POST', headers: req.headers as http.OutgoingHttpHeaders, agent: false }, (rs) => {
      let t = '';
      rs.on('data', (c: Buffer) => (t += c));
      rs.on('end', () => resolve({ status: rs.statusCode ?? 0, text: t }));
    });
    r.on('error', reject);
    r.end(body);
  });
  if (res.status !== 200) throw new Error(`STS AssumeRole ${roleArn}: HTTP ${res.status} ${xmlTag(res.text, 'Code') ?? ''}`);
  const accessKeyId = xmlTag(res.text, 'AccessKeyId');
  const secretAccessKey = xmlTag(res.text, 'SecretAccessKey');
  const sessionToken = xmlTag(res.text, 'SessionToken');
  if (!accessKeyId || !secretAccessKey || !sessionToken) throw new Error(`STS AssumeRole ${roleArn}: 200 without credentials`);
  return { accessKeyId, secretAccessKey, sessionToken };
}

// Access control lists: a lenient parser (any namespace, missing xsi:type, DisplayName anywhere),
// s3cmd's edit rules (grant first, revoke wins; ALL = FULL_CONTROL) and the XML S3 takes back.
import type { S3Client } from './client.ts';
import { S3Error } from './errors.ts';
import { parseXml, text, escapeXml, type XmlNode } from './xml.ts';

export const ALL_USERS_URI = 'http://acs.amazonaws.com/groups/global/AllUsers';

export type GranteeType = 'CanonicalUser' | 'Group' | 'AmazonCustomerByEmail';

export interface AclGrant {
  type: GranteeType;
  /** The canonical ID, group URI or e-mail address. */
  name: string;
  displayName: string;
  permission: string;
}

export interface Acl {
  ownerId: string;
  ownerName: string;
  grants: AclGrant[];
}

const arr = <T>(v: T | T[] | undefined): T[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

/** Parse an AccessControlPolicy document. Unknown elements are ignored; a broken document throws S3Error. */
export function parseAcl(body: Buffer | string): Acl {
  let doc: XmlNode;
  try {
    doc = parseXml(body);
  } catch (e) {
    throw new S3Error(500, 'MalformedXML', `could not parse the ACL answer from the server: ${(e as Error).message.split('\n')[0]}`);
  }
  const root: XmlNode = doc.AccessControlPolicy ?? doc;
  const owner: XmlNode = root.Owner ?? {};
  const grants: AclGrant[] = [];
  const list: XmlNode = root.AccessControlList ?? {};
  for (const g of arr<XmlNode>(list.Grant)) {
    const ge: XmlNode = g.Grantee ?? {};
    let type: GranteeType = 'CanonicalUser';
    let name = '';
    if (ge.URI !== undefined) {
      type = 'Group';
      name = text(ge.URI).trim();
    } else if (ge.EmailAddress !== undefined) {
      type = 'AmazonCustomerByEmail';
      name = text(ge.EmailAddress).trim();
    } else name = text(ge.ID).trim();
    grants.push({ type, name, displayName: text(ge.DisplayName).trim(), permission: text(g.Permission).trim().toUpperCase() });
  }
  return { ownerId: text(owner.ID).trim(), ownerName: text(owner.DisplayName).trim(), grants };
}

const isAllUsers = (g: AclGrant) => g.type === 'Group' && g.name === ALL_USERS_URI;
const anonRead = (g: AclGrant) => isAllUsers(g) && (g.permission === 'READ' || g.permission === 'FULL_CONTROL');
const anonWrite = (g: AclGrant) => isAllUsers(g) && (g.permission === 'WRITE' || g.permission === 'FULL_CONTROL');

export const isAnonRead = (acl: Acl) => acl.grants.some(anonRead);
export const isAnonWrite = (acl: Acl) => acl.grants.some(anonWrite);

export function grantAnonRead(acl: Acl): void {
  if (!isAnonRead(acl)) acl.grants.push({ type: 'Group', name: ALL_USERS_URI, displayName: '', permission: 'READ' });
}
export function revokeAnon(acl: Acl): void {
  acl.grants = acl.grants.filter((g) => !anonRead(g) && !anonWrite(g));
}

function hasGrant(acl: Acl, name: string, permission: string): boolean {
  const n = name.toLowerCase();
  return acl.grants.some((g) => g.name.toLowerCase() === n && (g.permission === 'FULL_CONTROL' || g.permission === permission.toUpperCase()));
}

/** s3cmd's ACL.grant(): e-mail, group URI or canonical ID; ALL means FULL_CONTROL and replaces the grantee's other grants. */
export function grant(acl: Acl, name: string, permissionIn: string): void {
  if (hasGrant(acl, name, permissionIn)) return;
  let permission = permissionIn.toUpperCase();
  if (permission === 'ALL') permission = 'FULL_CONTROL';
  if (permission === 'FULL_CONTROL') revoke(acl, name, 'ALL');
  let type: GranteeType = 'CanonicalUser';
  let n = name;
  if (name.includes('@')) {
    type = 'AmazonCustomerByEmail';
    n = name.toLowerCase();
  } else if (name.includes('http://acs.amazonaws.com/groups/')) type = 'Group';
  else n = name.toLowerCase();
  acl.grants.push({ type, name: n, displayName: '', permission });
}

/** s3cmd's ACL.revoke(): by name or display name, one permission or ALL. */
export function revoke(acl: Acl, name: string, permissionIn: string): void {
  const n = name.toLowerCase();
  const permission = permissionIn.toUpperCase();
  const matches = (g: AclGrant) => g.name.toLowerCase() === n || (g.displayName !== '' && g.displayName.toLowerCase() === n);
  acl.grants = acl.grants.filter((g) => !(matches(g) && (permission === 'ALL' || g.permission === permission)));
}

/** Lines as s3cmd prints them: display name, `*anon*` for everyone, else the ID/URI/e-mail. */
export function grantList(acl: Acl): { grantee: string; permission: string }[] {
  return acl.grants.map((g) => ({ grantee: g.displayName || (isAllUsers(g) ? '*anon*' : g.name), permission: g.permission }));
}

/** True when the ACL gives nothing beyond the owner's own FULL_CONTROL (what a new object gets anyway). */
export function isOwnerOnly(acl: Acl): boolean {
  return acl.grants.every((g) => g.type === 'CanonicalUser' && g.name === acl.ownerId && g.permission === 'FULL_CONTROL');
}

const TAGS: Record<GranteeType, string> = { CanonicalUser: 'ID', Group: 'URI', AmazonCustomerByEmail: 'EmailAddress' };

export function aclToXml(acl: Acl): string {
  const grants = acl.grants
    .map(
      (g) =>
        `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="${g.type}"><${TAGS[g.type]}>${escapeXml(g.name)}</${TAGS[g.type]}></Grantee>` +
        `<Permission>${escapeXml(g.permission)}</Permission></Grant>`,
    )
    .join('');
  return `<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>${escapeXml(acl.ownerId)}</ID></Owner><AccessControlList>${grants}</AccessControlList></AccessControlPolicy>`;
}

/** GET ?acl of a bucket (key undefined) or an object. */
export async function getAcl(c: S3Client, bucket: string, key?: string): Promise<Acl> {
  const res = await c.send({ method: 'GET', bucket, key: key || undefined, query: { acl: '' } });
  return parseAcl(res.body);
}

/** PUT ?acl with a full AccessControlPolicy document. */
export async function putAcl(c: S3Client, bucket: string, key: string | undefined, acl: Acl): Promise<void> {
  await c.send({ method: 'PUT', bucket, key: key || undefined, query: { acl: '' }, body: aclToXml(acl), headers: { 'Content-Type': 'application/xml' } });
}

// Options that the breadth commands (cp/mv/modify, setacl, expire, restore, signurl, ...) need but
// that the shared Settings object does not carry: the tri-state ACL (-P / --acl-private / unset),
// --acl-grant/--acl-revoke, --remove-header, --expiry-*, --restore-*, --content-*. They are read from
// the command line and config file values that Settings keeps (cliValues, fileValues).
import type { OptionValues } from '../cli/options.ts';
import { ParameterError } from '../cli/exit-codes.ts';
import { parseBool } from '../config/s3cfg.ts';
import type { Settings } from '../config/settings.ts';

export interface AclChange {
  name: string;
  /** READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL or ALL */
  permission: string;
}

export interface ExtraOptions {
  /** true: -P / acl_public = True; false: --acl-private / acl_public = False; undefined: neither. */
  aclPublic?: boolean;
  aclGrants: AclChange[];
  aclRevokes: AclChange[];
  /** Lower-case header names (--remove-header). */
  removeHeaders: string[];
  /** --add-header as lower-case name -> value, in the order given. */
  addHeaders: [string, string][];
  expiryDate?: string;
  expiryDays?: string;
  expiryPrefix: string;
  restoreDays: number;
  restorePriority: string;
  contentDisposition?: string;
  contentType?: string;
  /** Raw config file values (empty when no file was read). */
  file: Record<string, string>;
}

const PERMISSIONS = ['read', 'write', 'read_acp', 'write_acp', 'full_control', 'all'];

/** s3cmd's OptionS3ACL: `PERMISSION:GRANTEE`. */
export function parseAclOption(opt: string, value: string): AclChange {
  const m = /^(\w+):(.+)$/.exec(value);
  if (!m) throw new ParameterError(`option ${opt}: invalid S3 ACL format: '${value}' (expected PERMISSION:GRANTEE, e.g. read:user@example.com)`);
  const perm = m[1].toLowerCase();
  if (!PERMISSIONS.includes(perm)) throw new ParameterError(`option ${opt}: invalid S3 ACL permission: ${m[1]} (valid values: ${PERMISSIONS.join(', ')})`);
  return { name: m[2], permission: perm.toUpperCase() };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const list = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : []);

export function extraOptionsFrom(values: OptionValues, file: Record<string, string>): ExtraOptions {
  let aclPublic: boolean | undefined;
  if (values['acl-public'] === true) aclPublic = true;
  else if (values['acl-private'] === true) aclPublic = false;
  else if (file.acl_public !== undefined && file.acl_public.trim() !== '' && file.acl_public.trim().toLowerCase() !== 'none') aclPublic = parseBool(file.acl_public);

  const addHeaders: [string, string][] = [];
  for (const h of list(values['add-header'])) {
    const i = h.indexOf(':');
    if (i <= 0) throw new ParameterError(`Invalid header format: ${h}`);
    const name = h.slice(0, i).trim();
    const bad = name.replace(/[a-zA-Z0-9\-.!#$%&*+^_|]/g, '');
    if (bad) throw new ParameterError(`Invalid character(s) in header name '${name}': "${bad.replace(/ /g, '<space>').replace(/\t/g, '<tab>')}"`);
    addHeaders.push([name.toLowerCase(), h.slice(i + 1).trim()]);
  }

  const daysStr = str(values['restore-days']) ?? file.restore_days ?? '1';
  if (!/^-?\d+$/.test(daysStr.trim())) throw new ParameterError(`--restore-days must be a whole number, not '${daysStr}'`);
  const priority = str(values['restore-priority']) ?? file.restore_priority ?? 'Standard';

  return {
    aclPublic,
    aclGrants: list(values['acl-grant']).map((g) => parseAclOption('--acl-grant', g)),
    aclRevokes: list(values['acl-revoke']).map((g) => parseAclOption('--acl-revoke', g)),
    removeHeaders: list(values['remove-header']).map((h) => h.trim().toLowerCase()),
    addHeaders,
    expiryDate: str(values['expiry-date']) || file.expiry_date || undefined,
    expiryDays: str(values['expiry-days']) || file.expiry_days || undefined,
    expiryPrefix: str(values['expiry-prefix']) ?? file.expiry_prefix ?? '',
    restoreDays: Number(daysStr),
    restorePriority: priority,
    contentDisposition: str(values['content-disposition']) || file.content_disposition || undefined,
    contentType: str(values['content-type']) || file.content_type || undefined,
    file,
  };
}

let cached: ExtraOptions | undefined;

/** The extra options of this process (the command line main.ts parsed, and the config file it read). */
export function extraOptions(settings: Settings, _env?: NodeJS.ProcessEnv): ExtraOptions {
  if (cached) return cached;
  cached = extraOptionsFrom(settings.cliValues, settings.fileValues);
  return cached;
}

// AWS shared files: ~/.aws/credentials ([name]) and ~/.aws/config ([default], [profile name]).
// One profile is read: AWS_PROFILE, default "default". Keys in the credentials file win over the same
// keys in the config file. Supported: static keys (aws_access_key_id, aws_secret_access_key,
// aws_session_token) and web identity (role_arn + web_identity_token_file [+ role_session_name,
// duration_seconds]).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ENV_CONFIG_FILE, ENV_PROFILE, ENV_SHARED_CREDENTIALS_FILE, envValue } from './env.ts';
import { CredentialsError } from './types.ts';

export type Ini = Map<string, Record<string, string>>;

/** Parse an INI file the way botocore reads the shared files (sections, key = value, # and ; comments). */
export function parseIni(text: string): Ini {
  const out: Ini = new Map();
  let current: Record<string, string> | undefined;
  let lastKey: string | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.replace(/^\uFEFF/, '');
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    const section = /^\[\s*([^\]]*?)\s*\]\s*(?:[#;].*)?$/.exec(trimmed);
    if (section) {
      const name = section[1]!;
      current = out.get(name) ?? {};
      out.set(name, current);
      lastKey = undefined;
      continue;
    }
    if (!current) continue;
    // Indented lines continue a nested block (e.g. `s3 =` followed by `  addressing_style = path`); skip.
    if (/^\s/.test(line) && lastKey !== undefined && current[lastKey] === '') continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) continue;
    const key = trimmed.slice(0, eq).trim().toLowerCase();
    const value = trimmed.slice(eq + 1).trim();
    current[key] = value;
    lastKey = key;
  }
  return out;
}

/** ~ and ~/x expanded against HOME. */
export function expandHome(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(home, p.slice(2));
  return p;
}

export function homeDir(env: NodeJS.ProcessEnv): string {
  return envValue(env, 'HOME') ?? envValue(env, 'USERPROFILE') ?? os.homedir();
}

export interface SharedProfile {
  name: string;
  /** HOME used for ~ in paths. */
  home: string;
  /** AWS_PROFILE was set (a missing profile is then an error). */
  explicit: boolean;
  credentialsFile: string;
  configFile: string;
  /** Merged keys (credentials file over config file); undefined when neither file has the profile. */
  values?: Record<string, string>;
  /** Which files had the profile. */
  foundIn: string[];
}

function readIni(file: string): Ini | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new CredentialsError(`cannot read AWS shared file ${file} (${code ?? 'EIO'}); fix its permissions or point ${file.endsWith('config') ? ENV_CONFIG_FILE : ENV_SHARED_CREDENTIALS_FILE} elsewhere`, 78);
  }
  return parseIni(text);
}

/** Load the selected profile from both shared files. Reads files; call only when resolving. */
export function loadSharedProfile(env: NodeJS.ProcessEnv): SharedProfile {
  const home = homeDir(env);
  const explicitName = envValue(env, ENV_PROFILE)?.trim();
  const name = explicitName || 'default';
  const credentialsFile = expandHome(envValue(env, ENV_SHARED_CREDENTIALS_FILE) ?? path.join(home, '.aws', 'credentials'), home);
  const configFile = expandHome(envValue(env, ENV_CONFIG_FILE) ?? path.join(home, '.aws', 'config'), home);
  const creds = readIni(credentialsFile);
  const config = readIni(configFile);
  const fromCreds = creds?.get(name);
  const fromConfig = config?.get(`profile ${name}`) ?? (name === 'default' ? config?.get('default') : undefined);
  const foundIn: string[] = [];
  if (fromConfig) foundIn.push(configFile);
  if (fromCreds) foundIn.push(credentialsFile);
  const values = fromCreds || fromConfig ? { ...fromConfig, ...fromCreds } : undefined;
  return { name, home, explicit: !!explicitName, credentialsFile, configFile, values, foundIn };
}

/** What a profile provides. */
export type ProfileCredentials =
  | { kind: 'static'; accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  | { kind: 'web-identity'; roleArn: string; tokenFile: string; sessionName?: string; durationSeconds?: string }
  | { kind: 'none' };

/**
 * Interpret a loaded profile. Throws (78) for an explicitly selected profile that does not exist,
 * half-set static keys, and kinds s3k does not handle (source_profile, credential_source, SSO,
 * credential_process), so those never silently fall through to another identity.
 */
export function profileCredentials(p: SharedProfile): ProfileCredentials {
  const files = `${p.credentialsFile} or ${p.configFile}`;
  if (!p.values) {
    if (p.explicit)
      throw new CredentialsError(
        `${ENV_PROFILE} selects profile "${p.name}", which is not in ${files}; add a [${p.name}] section to the credentials file (or [profile ${p.name}] to the config file), or unset ${ENV_PROFILE}`,
        78,
      );
    return { kind: 'none' };
  }
  const v = p.values;
  const where = `profile "${p.name}" (${p.foundIn.join(', ')})`;
  const ak = v.aws_access_key_id;
  const sk = v.aws_secret_access_key;
  if (ak && sk) return { kind: 'static', accessKeyId: ak, secretAccessKey: sk, sessionToken: v.aws_session_token || undefined };
  if (ak || sk)
    throw new CredentialsError(`${where} has ${ak ? 'aws_access_key_id but no aws_secret_access_key' : 'aws_secret_access_key but no aws_access_key_id'}; set both`, 78);
  if (v.role_arn && v.web_identity_token_file)
    return {
      kind: 'web-identity',
      roleArn: v.role_arn,
      tokenFile: expandHome(v.web_identity_token_file, p.home),
      sessionName: v.role_session_name || undefined,
      durationSeconds: v.duration_seconds || undefined,
    };
  if (v.web_identity_token_file)
    throw new CredentialsError(`${where} has web_identity_token_file but no role_arn; add role_arn = arn:aws:iam::<account-id>:role/<name>`, 78);
  if (v.role_arn)
    throw new CredentialsError(
      `${where} uses role_arn with ${v.source_profile ? 'source_profile' : v.credential_source ? 'credential_source' : 'neither web_identity_token_file nor source_profile'}, which s3k does not support; use web_identity_token_file, static keys, or AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE`,
      78,
    );
  const unsupported = ['credential_process', 'sso_session', 'sso_start_url'].find((k) => v[k]);
  if (unsupported)
    throw new CredentialsError(
      `${where} uses ${unsupported}, which s3k does not support; export static keys (e.g. eval "$(aws configure export-credentials --format env)") or use another source`,
      78,
    );
  return { kind: 'none' };
}

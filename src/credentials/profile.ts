// AWS shared files: ~/.aws/credentials ([name]) and ~/.aws/config ([default], [profile name],
// [sso-session name]). The profile in use is AWS_PROFILE, default "default"; role profiles name
// others (source_profile). Keys in the credentials file win over the same keys in the config file.
// This module reads the files and says what kind of credentials a profile describes; the providers
// for each kind are built in profile-provider.ts.
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

export interface SharedFiles {
  /** HOME used for ~ in paths. */
  home: string;
  credentialsFile: string;
  configFile: string;
  /** Undefined when the file does not exist. */
  credentials?: Ini;
  config?: Ini;
}

/** Read both shared files (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE). Call only when resolving. */
export function loadSharedFiles(env: NodeJS.ProcessEnv): SharedFiles {
  const home = homeDir(env);
  const credentialsFile = expandHome(envValue(env, ENV_SHARED_CREDENTIALS_FILE) ?? path.join(home, '.aws', 'credentials'), home);
  const configFile = expandHome(envValue(env, ENV_CONFIG_FILE) ?? path.join(home, '.aws', 'config'), home);
  return { home, credentialsFile, configFile, credentials: readIni(credentialsFile), config: readIni(configFile) };
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
  /** Both files, for the profiles and sso-sessions this one names. */
  files: SharedFiles;
}

/** One profile out of the loaded files. `explicit`: it was asked for by name (a missing one is an error). */
export function profileFromFiles(files: SharedFiles, name: string, explicit: boolean): SharedProfile {
  const fromCreds = files.credentials?.get(name);
  const fromConfig = files.config?.get(`profile ${name}`) ?? (name === 'default' ? files.config?.get('default') : undefined);
  const foundIn: string[] = [];
  if (fromConfig) foundIn.push(files.configFile);
  if (fromCreds) foundIn.push(files.credentialsFile);
  const values = fromCreds || fromConfig ? { ...fromConfig, ...fromCreds } : undefined;
  return { name, home: files.home, explicit, credentialsFile: files.credentialsFile, configFile: files.configFile, values, foundIn, files };
}

/** Load the selected profile (AWS_PROFILE, default "default") from both shared files. */
export function loadSharedProfile(env: NodeJS.ProcessEnv): SharedProfile {
  const explicitName = envValue(env, ENV_PROFILE)?.trim();
  return profileFromFiles(loadSharedFiles(env), explicitName || 'default', !!explicitName);
}

/** The sources credential_source may name (as the AWS CLI spells them). */
export const CREDENTIAL_SOURCES = ['Environment', 'Ec2InstanceMetadata', 'EcsContainer'] as const;
export type CredentialSourceName = (typeof CREDENTIAL_SOURCES)[number];

/** What a profile provides. */
export type ProfileCredentials =
  | { kind: 'static'; accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  | { kind: 'web-identity'; roleArn: string; tokenFile: string; sessionName?: string; durationSeconds?: string }
  | {
      kind: 'assume-role';
      roleArn: string;
      sourceProfile?: string;
      credentialSource?: CredentialSourceName;
      externalId?: string;
      sessionName?: string;
      durationSeconds?: string;
      mfaSerial?: string;
    }
  | {
      kind: 'sso';
      /** sso_session, when the profile uses an [sso-session] section (else the legacy keys). */
      session?: string;
      startUrl: string;
      region: string;
      accountId: string;
      roleName: string;
    }
  | { kind: 'process'; command: string }
  | { kind: 'none' };

const SSO_PROFILE_KEYS = ['sso_session', 'sso_start_url', 'sso_region', 'sso_account_id', 'sso_role_name'];

/** The profile's static keys, when it has both (half-set keys are an error). */
export function staticKeys(p: SharedProfile): Extract<ProfileCredentials, { kind: 'static' }> | undefined {
  const v = p.values ?? {};
  const ak = v.aws_access_key_id;
  const sk = v.aws_secret_access_key;
  if (ak && sk) return { kind: 'static', accessKeyId: ak, secretAccessKey: sk, sessionToken: v.aws_session_token || undefined };
  if (ak || sk)
    throw new CredentialsError(
      `${where(p)} has ${ak ? 'aws_access_key_id but no aws_secret_access_key' : 'aws_secret_access_key but no aws_access_key_id'}; set both`,
      78,
    );
  return undefined;
}

function where(p: SharedProfile): string {
  return `profile "${p.name}" (${p.foundIn.join(', ')})`;
}

/**
 * Interpret a loaded profile, in the AWS CLI's order: role_arn with source_profile or credential_source
 * (assume role), role_arn with web_identity_token_file, SSO, static keys, credential_process. Throws
 * (78) for an explicitly selected profile that does not exist, half-set keys and incomplete settings,
 * so a profile that was meant to be used never silently falls through to another identity.
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
  const at = where(p);
  if (v.role_arn && !v.web_identity_token_file) {
    if (v.source_profile && v.credential_source)
      throw new CredentialsError(`${at} has both source_profile and credential_source; a role profile takes its source credentials from one of them, remove the other`, 78);
    if (!v.source_profile && !v.credential_source)
      throw new CredentialsError(
        `${at} has role_arn but no source_profile, credential_source or web_identity_token_file; add source_profile = <profile with the credentials that may assume the role>, credential_source = ${CREDENTIAL_SOURCES.join(' | ')}, or web_identity_token_file = <token file>`,
        78,
      );
    let credentialSource: CredentialSourceName | undefined;
    if (v.credential_source) {
      credentialSource = CREDENTIAL_SOURCES.find((s) => s === v.credential_source);
      if (!credentialSource)
        throw new CredentialsError(`${at} has credential_source = ${v.credential_source}, which is not one of ${CREDENTIAL_SOURCES.join(', ')} (spelled as shown)`, 78);
    }
    return {
      kind: 'assume-role',
      roleArn: v.role_arn,
      sourceProfile: v.source_profile || undefined,
      credentialSource,
      externalId: v.external_id || undefined,
      sessionName: v.role_session_name || undefined,
      durationSeconds: v.duration_seconds || undefined,
      mfaSerial: v.mfa_serial || undefined,
    };
  }
  if (v.role_arn && v.web_identity_token_file)
    return {
      kind: 'web-identity',
      roleArn: v.role_arn,
      tokenFile: expandHome(v.web_identity_token_file, p.home),
      sessionName: v.role_session_name || undefined,
      durationSeconds: v.duration_seconds || undefined,
    };
  if (v.web_identity_token_file)
    throw new CredentialsError(`${at} has web_identity_token_file but no role_arn; add role_arn = arn:aws:iam::<account-id>:role/<name>`, 78);
  if (SSO_PROFILE_KEYS.some((k) => v[k])) return ssoSettings(p);
  const keys = staticKeys(p);
  if (keys) return keys;
  if (v.credential_process) return { kind: 'process', command: v.credential_process };
  if (v.source_profile || v.credential_source)
    throw new CredentialsError(`${at} has ${v.source_profile ? 'source_profile' : 'credential_source'} but no role_arn; add role_arn = arn:aws:iam::<account-id>:role/<name> (the role to assume)`, 78);
  return { kind: 'none' };
}

/** SSO settings of a profile: sso_session (with its [sso-session name] section) or the legacy keys. */
function ssoSettings(p: SharedProfile): Extract<ProfileCredentials, { kind: 'sso' }> {
  const v = p.values!;
  const at = where(p);
  let startUrl = v.sso_start_url;
  let region = v.sso_region;
  const session = v.sso_session || undefined;
  if (session) {
    const s = p.files.config?.get(`sso-session ${session}`);
    if (!s)
      throw new CredentialsError(`${at} has sso_session = ${session}, but ${p.configFile} has no [sso-session ${session}] section; add it with sso_start_url and sso_region (aws configure sso writes it)`, 78);
    for (const [key, own] of [['sso_start_url', startUrl], ['sso_region', region]] as const)
      if (own && s[key] && own !== s[key])
        throw new CredentialsError(`${at} has ${key} = ${own}, but its [sso-session ${session}] says ${s[key]}; remove ${key} from the profile or make them equal`, 78);
    startUrl = s.sso_start_url || startUrl;
    region = s.sso_region || region;
  }
  const missing = [
    ...(!startUrl ? ['sso_start_url'] : []),
    ...(!region ? ['sso_region'] : []),
    ...(!v.sso_account_id ? ['sso_account_id'] : []),
    ...(!v.sso_role_name ? ['sso_role_name'] : []),
  ];
  if (missing.length)
    throw new CredentialsError(
      `${at} is an SSO profile without ${missing.join(', ')}${session ? ` (in the profile or its [sso-session ${session}] section)` : ''}; run aws configure sso --profile ${p.name}, or add the missing keys`,
      78,
    );
  return { kind: 'sso', session, startUrl: startUrl!, region: region!, accountId: v.sso_account_id!, roleName: v.sso_role_name! };
}

/**
 * A key of the selected profile (AWS_PROFILE, default "default"), read from the shared files only
 * when first asked: for the settings the AWS SDKs take from the profile when the environment does
 * not set them (use_fips_endpoint, use_dualstack_endpoint).
 */
export function sharedConfigKey(env: NodeJS.ProcessEnv): (key: string) => string | undefined {
  let profile: SharedProfile | undefined;
  return (key) => {
    profile ??= loadSharedProfile(env);
    return profile.values?.[key];
  };
}

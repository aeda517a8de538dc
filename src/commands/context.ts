// What every command gets: resolved settings, a lazily built S3 client and credential chain, and
// the tally of what a transfer command did (its --stats, exit code and --json summary read it).
import type { Settings } from '../config/settings.ts';
import { S3Client } from '../s3/client.ts';
import { buildCredentialChain, type ChainInput } from '../credentials/chain.ts';
import { anonymousProvider } from '../credentials/anonymous.ts';
import type { CredentialProvider } from '../credentials/types.ts';
import { debug, info } from '../cli/output.ts';
import { addSecret } from '../cli/redact.ts';
import { CliError, EX } from '../cli/exit-codes.ts';
import type { TlsOptions } from '../net/http.ts';
import { configureProxy, proxyConfig, redactProxyUrl } from '../net/proxy.ts';
import { Tally } from '../transfer/summary.ts';
import { expandHome, loadSharedProfile } from '../credentials/profile.ts';

export interface Context {
  settings: Settings;
  env: NodeJS.ProcessEnv;
  credentials(): CredentialProvider;
  /** What the credential chain is built from (for a diagnosis that walks it itself). */
  chainInput(): ChainInput;
  s3(): S3Client;
  /** An S3 client like s3() that signs with the given credentials. */
  s3With(credentials: CredentialProvider): S3Client;
  tls(): TlsOptions;
  /** What put, get, sync and del did: counts, bytes and failures. */
  tally: Tally;
}

export function createContext(settings: Settings, env: NodeJS.ProcessEnv): Context {
  let provider: CredentialProvider | undefined;
  let client: S3Client | undefined;
  let tls: TlsOptions | undefined;
  // The proxy for S3 and STS (never for IMDS or the container agents): .s3cfg proxy_host, else
  // HTTP(S)_PROXY, ALL_PROXY as their fallback; NO_PROXY applies to all.
  try {
    const proxy = proxyConfig(env, { host: settings.proxyHost, port: settings.proxyPort });
    for (const u of [proxy.http, proxy.https]) if (u?.password) addSecret(decodeURIComponent(u.password));
    configureProxy(proxy);
    if (proxy.http || proxy.https)
      debug(() => `proxy: http ${proxy.http ? redactProxyUrl(proxy.http) : 'direct'}, https ${proxy.https ? redactProxyUrl(proxy.https) : 'direct'}, no_proxy ${proxy.noProxy.join(',') || '(none)'}`);
  } catch (e) {
    throw new CliError(redactProxyUrl((e as Error).message), EX.CONFIG);
  }
  const ctx: Context = {
    settings,
    env,
    tally: new Tally(),
    tls() {
      if (!tls) {
        // --ca-certs > AWS_CA_BUNDLE > .s3cfg ca_certs_file > ca_bundle of the AWS profile (the aws cli's
        // setting); read on the first https request (net/http.ts), so plain http never needs the file.
        const ca = caSource(settings, env);
        tls = { rejectUnauthorized: settings.checkCertificate, checkHostname: settings.checkHostname, caFile: ca?.file, caFileFrom: ca?.from };
        if (ca) debug(() => `TLS: CA certificates from ${ca.file} (${ca.from}), instead of the system's`);
        if (!settings.checkCertificate) debug('TLS: not checking server certificates (--no-check-certificate / check_ssl_certificate = False)');
        else if (!settings.checkHostname) debug('TLS: not checking that certificates match the host name (--no-check-hostname / check_ssl_hostname = False)');
      }
      return tls;
    },
    credentials() {
      // --no-sign-request: no source is consulted, not even the environment.
      if (settings.noSignRequest) provider ??= anonymousProvider();
      provider ??= buildCredentialChain(ctx.chainInput());
      return provider;
    },
    chainInput() {
      return {
        cli: settings.cliKeys,
        s3cfg: settings.fileKeys,
        env,
        region: settings.region,
        endpointFlags: settings.endpointFlags,
        tls: ctx.tls(),
        debug: (m: string) => debug(m),
        secret: addSecret,
      };
    },
    s3() {
      client ??= ctx.s3With(ctx.credentials());
      return client;
    },
    s3With(credentials) {
      return new S3Client({
        endpoint: settings.endpoint,
        hostBucketTemplate: settings.hostBucketTemplate,
        region: settings.region,
        credentials,
        tls: ctx.tls(),
        retry: { maxRetries: settings.maxRetries },
        timeoutMs: settings.socketTimeoutMs,
        requesterPays: settings.requesterPays,
        signatureV2: settings.signatureV2,
        anonymous: settings.noSignRequest,
        awsHost: settings.awsS3Host,
        // s3cmd's -v lines for a bucket in another region
        onRegionRedirect: (_bucket, to, host) => {
          if (to.kind === 'signing') return info(`Forwarding request to ${to.region}`);
          if (host) info(`Redirected to: ${host}`);
          info(`Redirected to region: ${to.region}`);
        },
        sseCustomerKey: settings.sseCustomerKey,
        sseCopySourceKey: settings.sseCopySourceKey,
        debug,
        onRetry: (what, attempt, reason, delay) => info(`Retrying ${what} (attempt ${attempt}) after ${reason}, waiting ${(delay / 1000).toFixed(1)} s`),
      });
    },
  };
  return ctx;
}

/** Where the CA bundle comes from, if anywhere: the option table's order, then the AWS profile's ca_bundle. */
function caSource(settings: Settings, env: NodeJS.ProcessEnv): { file: string; from: string } | undefined {
  if (settings.caCertsFile) {
    const r = settings.options.ca_certs_file;
    const from = r?.source === 's3cfg' ? `ca_certs_file in ${settings.configPath ?? '.s3cfg'}` : (r?.from ?? '--ca-certs');
    return { file: settings.caCertsFile, from };
  }
  let profile;
  try {
    profile = loadSharedProfile(env);
  } catch {
    return undefined; // an unreadable shared file is reported where credentials are looked up
  }
  const bundle = profile.values?.ca_bundle?.trim();
  if (!bundle) return undefined;
  return { file: expandHome(bundle, profile.home), from: `ca_bundle of AWS profile "${profile.name}"` };
}

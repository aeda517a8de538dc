// AWS's own endpoint names for S3 and STS, as the AWS SDKs resolve them: the partition of a region
// (aws, aws-cn, aws-us-gov, the ISO partitions), FIPS (AWS_USE_FIPS_ENDPOINT / use_fips_endpoint)
// and dual-stack (AWS_USE_DUALSTACK_ENDPOINT / use_dualstack_endpoint). Used only where the endpoint
// is AWS's: a custom endpoint (--host, host_base, AWS_ENDPOINT_URL*) is taken as given.
//
// Facts from the SDKs' partitions.json and the S3 and STS endpoint rule sets:
//   S3:  s3.R.<dns>, s3-fips.R.<dns>, s3.dualstack.R.<dns>, s3-fips.dualstack.R.<dns>
//        (us-east-1 without either flag: the global s3.amazonaws.com, as s3cmd and .s3cfg use it)
//   STS: sts.R.<dns>, sts-fips.R.<dns>, sts.R.<dual-stack dns>, sts-fips.R.<dual-stack dns>;
//        GovCloud's FIPS endpoint is sts.R.amazonaws.com; AWS_STS_REGIONAL_ENDPOINTS=legacy sends
//        the aws partition's first 16 regions to the global sts.amazonaws.com (no flag set).
import { EX, S3kError } from '../errors.ts';

export interface Partition {
  id: string;
  dnsSuffix: string;
  dualStackDnsSuffix: string;
  supportsFips: boolean;
  supportsDualStack: boolean;
}

const PARTITIONS: { re: RegExp; p: Partition }[] = [
  { re: /^cn-\w+-\d+$/, p: { id: 'aws-cn', dnsSuffix: 'amazonaws.com.cn', dualStackDnsSuffix: 'api.amazonwebservices.com.cn', supportsFips: true, supportsDualStack: true } },
  { re: /^us-gov-\w+-\d+$/, p: { id: 'aws-us-gov', dnsSuffix: 'amazonaws.com', dualStackDnsSuffix: 'api.aws', supportsFips: true, supportsDualStack: true } },
  { re: /^us-iso-\w+-\d+$/, p: { id: 'aws-iso', dnsSuffix: 'c2s.ic.gov', dualStackDnsSuffix: 'c2s.ic.gov', supportsFips: true, supportsDualStack: false } },
  { re: /^us-isob-\w+-\d+$/, p: { id: 'aws-iso-b', dnsSuffix: 'sc2s.sgov.gov', dualStackDnsSuffix: 'sc2s.sgov.gov', supportsFips: true, supportsDualStack: false } },
  { re: /^eu-isoe-\w+-\d+$/, p: { id: 'aws-iso-e', dnsSuffix: 'cloud.adc-e.uk', dualStackDnsSuffix: 'cloud.adc-e.uk', supportsFips: true, supportsDualStack: false } },
  { re: /^us-isof-\w+-\d+$/, p: { id: 'aws-iso-f', dnsSuffix: 'csp.hci.ic.gov', dualStackDnsSuffix: 'csp.hci.ic.gov', supportsFips: true, supportsDualStack: false } },
];
/** The aws partition: its regions, and (as in the SDKs) any region no other partition claims. */
const AWS: Partition = { id: 'aws', dnsSuffix: 'amazonaws.com', dualStackDnsSuffix: 'api.aws', supportsFips: true, supportsDualStack: true };

export function partitionOf(region: string): Partition {
  return PARTITIONS.find((x) => x.re.test(region))?.p ?? AWS;
}

export interface EndpointFlags {
  /** AWS_USE_FIPS_ENDPOINT / use_fips_endpoint */
  fips: boolean;
  /** AWS_USE_DUALSTACK_ENDPOINT / use_dualstack_endpoint */
  dualstack: boolean;
}

export const NO_FLAGS: EndpointFlags = { fips: false, dualstack: false };

/** A flag combination the region's partition has no endpoint for: exit 78 (EX_CONFIG). */
export class EndpointConfigError extends S3kError {
  constructor(message: string) {
    super(message, EX.CONFIG);
    this.name = 'EndpointConfigError';
  }
}

function check(service: string, region: string, p: Partition, f: EndpointFlags): void {
  if (f.fips && !p.supportsFips)
    throw new EndpointConfigError(`AWS_USE_FIPS_ENDPOINT (use_fips_endpoint) is set, but the ${p.id} partition of region ${region} has no FIPS ${service} endpoint; unset it or give the endpoint explicitly`);
  if (f.dualstack && !p.supportsDualStack)
    throw new EndpointConfigError(
      `AWS_USE_DUALSTACK_ENDPOINT (use_dualstack_endpoint) is set, but the ${p.id} partition of region ${region} has no dual-stack ${service} endpoint; unset it or give the endpoint explicitly`,
    );
}

/** The S3 host name (no scheme, no bucket) of `region`. */
export function s3Host(region: string, f: EndpointFlags = NO_FLAGS): string {
  const p = partitionOf(region);
  check('S3', region, p, f);
  if (!f.fips && !f.dualstack && region === 'us-east-1') return 's3.amazonaws.com';
  return `${f.fips ? 's3-fips' : 's3'}${f.dualstack ? '.dualstack' : ''}.${region}.${p.dnsSuffix}`;
}

/** Regions AWS_STS_REGIONAL_ENDPOINTS=legacy sends to the global endpoint (the STS rule set's list). */
const STS_LEGACY_GLOBAL = new Set([
  'ap-northeast-1', 'ap-south-1', 'ap-southeast-1', 'ap-southeast-2', 'aws-global', 'ca-central-1', 'eu-central-1', 'eu-north-1',
  'eu-west-1', 'eu-west-2', 'eu-west-3', 'sa-east-1', 'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2',
]);

/**
 * The STS endpoint URL of `region` (undefined: no region known, the global endpoint). `legacy`:
 * AWS_STS_REGIONAL_ENDPOINTS=legacy.
 */
export function stsUrl(region: string | undefined, f: EndpointFlags = NO_FLAGS, legacy = false): string {
  if (!region || region === 'aws-global') {
    if (f.fips || f.dualstack) region = 'us-east-1';
    else return 'https://sts.amazonaws.com/';
  }
  if (legacy && !f.fips && !f.dualstack && STS_LEGACY_GLOBAL.has(region)) return 'https://sts.amazonaws.com/';
  const p = partitionOf(region);
  check('STS', region, p, f);
  if (f.fips && !f.dualstack && p.id === 'aws-us-gov') return `https://sts.${region}.amazonaws.com/`;
  const suffix = f.dualstack ? p.dualStackDnsSuffix : p.dnsSuffix;
  return `https://${f.fips ? 'sts-fips' : 'sts'}.${region}.${suffix}/`;
}

/** An AWS S3 or STS host name (any partition): the endpoint is AWS's own. */
export function isAwsHost(host: string): boolean {
  const h = host.toLowerCase().replace(/:\d+$/, '');
  return /(^|\.)(amazonaws\.com(\.cn)?|api\.aws|api\.amazonwebservices\.com\.cn|c2s\.ic\.gov|sc2s\.sgov\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$/.test(h);
}

/** "true" / "false" (any case, as the SDKs read these settings); anything else is a config error. */
export function parseEndpointFlag(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new EndpointConfigError(`${name} must be true or false, not '${value}'`);
}

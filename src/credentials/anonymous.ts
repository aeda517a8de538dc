// --no-sign-request: requests go out unsigned and no source is ever asked for credentials. Code that
// needs a key anyway (signurl, whoami) gets one line saying why there is none.
import { CredentialsError, type CredentialProvider } from './types.ts';

export function anonymousProvider(): CredentialProvider {
  return {
    get: async () => {
      throw new CredentialsError('--no-sign-request is set: s3k sends unsigned requests and looks up no credentials, so there are none to sign or show; run without --no-sign-request for that', 78);
    },
    source: () => ({ name: 'none (--no-sign-request)' }),
  };
}

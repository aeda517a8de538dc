// One error base class (src/errors.ts): every error s3k throws carries its exit code and its line;
// errno names map to exit codes in one function.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { S3kError, asS3kError, exitCodeForErrno, SystemError } from '../../src/errors.ts';
import { ParameterError, UsageError } from '../../src/cli/exit-codes.ts';
import { ConfigError } from '../../src/config/settings.ts';
import { S3Error, TransferError, RetriesExhaustedError } from '../../src/s3/errors.ts';
import { NetworkError } from '../../src/net/http.ts';
import { CredentialsError } from '../../src/credentials/types.ts';
import { UnsortedListingError } from '../../src/sync/merge.ts';
import { PatternError } from '../../src/sync/filter.ts';
import { FileChangedError } from '../../src/transfer/upload.ts';

describe('one error base class', () => {
  it('every error class s3k throws is an S3kError with its exit code', () => {
    const cases: [S3kError, number, string][] = [
      [new ParameterError('bad'), 64, 'ERROR: Parameter problem: bad'],
      [new UsageError('no such option: --x'), 2, 'Usage: s3k [options] COMMAND [parameters]'],
      [new ConfigError('cfg'), 78, 'ERROR: cfg'],
      [new CredentialsError('no creds', 78), 78, 'ERROR: no creds'],
      [new S3Error(404, 'NoSuchKey', 'gone'), 12, 'ERROR: S3 error: 404 (NoSuchKey): gone'],
      [new S3Error(403, 'InvalidAccessKeyId', 'x'), 77, "ERROR: S3 error: 403 (InvalidAccessKeyId): x - check the access key and secret key (~/.s3cfg, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or the role s3k assumed); 's3k whoami' shows which were used"],
      [new TransferError('slow'), 75, 'ERROR: S3 Temporary Error: slow.  Please try again later.'],
      [new RetriesExhaustedError('GET /b/k', 6, '503 (SlowDown)', undefined), 75, 'ERROR: S3 Temporary Error: GET /b/k failed 6 times (last: 503 (SlowDown)).  Please try again later.'],
      [new NetworkError('connect ECONNREFUSED', 'ECONNREFUSED', 'http://127.0.0.1:1'), 111, 'ERROR: [Errno 111] Connection refused: http://127.0.0.1:1. Check host_base / --host / AWS_ENDPOINT_URL and that the server is running.'],
      [new NetworkError('getaddrinfo ENOTFOUND nowhere', 'ENOTFOUND', 'http://nowhere'), 74, 'ERROR: getaddrinfo ENOTFOUND nowhere. Check host_base / --host / AWS_ENDPOINT_URL.'],
      [new NetworkError('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'https://x'), 77, "ERROR: SSL certificate verification failure: https://x: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT); trust the server's CA with --ca-certs FILE (.s3cfg ca_certs_file) or AWS_CA_BUNDLE, or skip the check with --no-check-certificate (insecure)"],
      [new NetworkError("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID', 'https://x'), 77, "ERROR: SSL certificate verification failure: https://x: Hostname/IP does not match certificate's altnames (ERR_TLS_CERT_ALTNAME_INVALID); connect by a name the certificate holds (host_base / --host / AWS_ENDPOINT_URL), or skip the name check with --no-check-hostname (insecure)"],
      [new NetworkError('socket hang up', 'ECONNRESET', 'http://x'), 75, 'ERROR: S3 Temporary Error: socket hang up (http://x).  Please try again later.'],
      [new UnsortedListingError('destination', 'b', 'a'), 65, "ERROR: Unsorted listing: the destination listing is not in sorted order ('a' came after 'b'); s3k cannot merge it safely. Nothing was deleted; the server must list keys in UTF-8 byte order (S3 does; check the gateway or server in front of it)."],
      [new PatternError('(', 'missing )'), 64, "ERROR: Parameter problem: invalid regular expression '(': missing )"],
      [new FileChangedError('file changed while reading'), 74, 'ERROR: file changed while reading'],
    ];
    for (const [e, code, first] of cases) {
      assert.ok(e instanceof S3kError, e.name);
      assert.equal(e.exitCode, code, e.name);
      assert.equal(e.render()[0], first, e.name);
    }
  });
  it('errno errors map in one place; a broken pipe exits quietly; anything else is one line, exit 1', () => {
    const errno = (code: string, message: string) => Object.assign(new Error(message), { code });
    assert.equal(exitCodeForErrno('EACCES'), 71);
    assert.equal(exitCodeForErrno('ENOSPC'), 74);
    assert.equal(exitCodeForErrno('EPIPE'), 74);
    assert.equal(exitCodeForErrno('ECONNREFUSED', 'network'), 111);
    assert.equal(exitCodeForErrno('ECONNRESET', 'network'), 75);
    const full = asS3kError(errno('ENOSPC', 'ENOSPC: no space left on device, write'));
    assert.ok(full instanceof SystemError);
    assert.deepEqual([full.exitCode, full.render()], [74, ['ERROR: ENOSPC: no space left on device, write. Free some space and retry (use --continue to resume).']]);
    assert.deepEqual(asS3kError(errno('EPIPE', 'write EPIPE')).render(), []);
    const other = asS3kError(new TypeError('x is not a function'));
    assert.deepEqual([other.exitCode, other.render()], [1, ['ERROR: unexpected problem: x is not a function. Re-run with --debug for details and report it if it persists.']]);
  });
});

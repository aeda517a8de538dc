// Test safety net: refuse any connection that is not to loopback, before DNS or a packet leaves.
// Imported for its side effect by unit tests, and preloaded into every s3k child the e2e tests
// start (NODE_OPTIONS=--import=<this file>, see cleanEnv in lab.ts). A blocked attempt prints
// S3K-TEST-GUARD on stderr and fails the process.
import net from 'node:net';

export const GUARD_MARK = 'S3K-TEST-GUARD';

const loopback = (h) => {
  const s = String(h).replace(/^\[|\]$/g, '').toLowerCase();
  return s === 'localhost' || s === '::1' || (net.isIPv4(s) && s.startsWith('127.'));
};

const real = net.Socket.prototype.connect;
if (!real.s3kGuard) {
  const guarded = function (...args) {
    // net.createConnection passes its normalized [options, callback] array as the first argument.
    const first = Array.isArray(args[0]) ? args[0][0] : args[0];
    let host = 'localhost';
    if (first && typeof first === 'object') {
      if (!first.path) host = first.host ?? 'localhost';
    } else if (typeof args[1] === 'string') host = args[1];
    if (!loopback(host)) {
      process.exitCode = 1;
      process.stderr.write(`${GUARD_MARK}: blocked a connection to ${host}\n`);
      process.nextTick(() => this.destroy(Object.assign(new Error(`test guard: no connections to ${host}`), { code: 'ECONNREFUSED' })));
      return this;
    }
    return real.apply(this, args);
  };
  guarded.s3kGuard = true;
  net.Socket.prototype.connect = guarded;
}

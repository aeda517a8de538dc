#!/usr/bin/env node
// Tiny local OIDC issuer that mints RS256 tokens shaped like Kubernetes projected
// service-account tokens (what EKS mounts at /var/run/secrets/eks.amazonaws.com/serviceaccount/token).
// No third-party dependencies: keys and signatures come from node:crypto, the self-signed
// certificate (Ceph Pacific needs x5c in the JWKS) from the openssl CLI. Listens on 127.0.0.1 only.
//
//   GET /.well-known/openid-configuration   discovery (jwks_uri -> /keys)
//   GET /keys  (also /openid/v1/jwks)       JWKS with n/e AND x5c
//   GET /thumbprint                         SHA-1 hex of the certificate (for CreateOpenIDConnectProvider)
//   GET /token?sub=&aud=&ttl=&ns=&sa=&iss=&forge=1
//        ns default "default", sa default "s3-full-access", sub default system:serviceaccount:<ns>:<sa>,
//        aud default sts.amazonaws.com, ttl seconds (default 3600; < 0 gives an already expired token),
//        iss overrides the issuer claim, forge=1 signs with a key that is NOT in the JWKS.
//   GET /healthz                            "ok"
//
// Env: OIDC_PORT (default 8999), OIDC_DIR (key/cert location, default /tmp/s3k-lab/oidc),
//      OIDC_ISSUER (default http://127.0.0.1:<port>), OIDC_PIDFILE (optional), OIDC_LOG=1 (log requests).
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';

const PORT = Number(process.env.OIDC_PORT || 8999);
const DIR = process.env.OIDC_DIR || '/tmp/s3k-lab/oidc';
const ISSUER = process.env.OIDC_ISSUER || `http://127.0.0.1:${PORT}`;

fs.mkdirSync(DIR, { recursive: true, mode: 0o700 });
const keyPath = path.join(DIR, 'key.pem');
const certPath = path.join(DIR, 'cert.pem');
if (!fs.existsSync(keyPath) || !fs.existsSync(certPath)) {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath,
    '-out', certPath, '-days', '3650', '-subj', '/CN=s3k-lab-oidc-issuer'], { stdio: 'ignore' });
}
const privateKey = crypto.createPrivateKey(fs.readFileSync(keyPath, 'utf8'));
const x509 = new crypto.X509Certificate(fs.readFileSync(certPath, 'utf8'));
const thumbprint = x509.fingerprint.replace(/:/g, '').toLowerCase(); // SHA-1 of the DER certificate
const pub = crypto.createPublicKey(privateKey).export({ format: 'jwk' });
const kid = thumbprint.slice(0, 16);
const jwks = {
  keys: [{ kty: pub.kty, n: pub.n, e: pub.e, kid, alg: 'RS256', use: 'sig', x5c: [x509.raw.toString('base64')] }],
};
fs.writeFileSync(path.join(DIR, 'thumbprint'), thumbprint + '\n');
// Key for forged tokens (same kid and iss, signature that cannot verify).
const forgeKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

function signJwt(header, payload, key) {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const sig = crypto.sign('sha256', Buffer.from(input), key); // RSASSA-PKCS1-v1_5 with SHA-256 = RS256
  return `${input}.${sig.toString('base64url')}`;
}

function mint(q) {
  const ns = q.get('ns') || 'default';
  const sa = q.get('sa') || 's3-full-access';
  const sub = q.get('sub') || `system:serviceaccount:${ns}:${sa}`;
  const aud = q.get('aud') || 'sts.amazonaws.com';
  const ttl = Number(q.get('ttl') || 3600);
  if (!Number.isFinite(ttl)) throw new Error('bad ttl');
  const now = Math.floor(Date.now() / 1000);
  const iat = ttl < 0 ? now + ttl - 600 : now;
  const payload = {
    aud: [aud],
    exp: now + Math.trunc(ttl),
    iat,
    iss: q.get('iss') || ISSUER,
    'kubernetes.io': {
      namespace: ns,
      pod: { name: 's3-client-0', uid: crypto.randomUUID() },
      serviceaccount: { name: sa, uid: crypto.randomUUID() },
    },
    nbf: iat,
    sub,
  };
  return signJwt({ alg: 'RS256', kid, typ: 'JWT' }, payload, q.get('forge') === '1' ? forgeKey : privateKey);
}

const server = http.createServer((req, res) => {
  const u = new URL(req.url || '/', ISSUER);
  const send = (code, body, type = 'application/json') => {
    res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  try {
    switch (u.pathname) {
      case '/.well-known/openid-configuration':
        return send(200, {
          issuer: ISSUER,
          jwks_uri: `${ISSUER}/keys`,
          response_types_supported: ['id_token'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
        });
      case '/keys':
      case '/openid/v1/jwks':
        return send(200, jwks);
      case '/thumbprint':
        return send(200, thumbprint + '\n', 'text/plain');
      case '/token':
        return send(200, mint(u.searchParams), 'text/plain');
      case '/healthz':
        return send(200, 'ok\n', 'text/plain');
      default:
        return send(404, { error: 'not found' });
    }
  } catch (e) {
    send(500, { error: String(e) });
  } finally {
    if (process.env.OIDC_LOG) console.error(new Date().toISOString(), req.method, u.pathname, res.statusCode);
  }
});
server.keepAliveTimeout = 5000;
server.on('error', (e) => {
  console.error(`oidc-issuer: ${e.code === 'EADDRINUSE' ? `port ${PORT} on 127.0.0.1 is already in use` : e.message}`);
  process.exit(1);
});
server.listen(PORT, '127.0.0.1', () => {
  if (process.env.OIDC_PIDFILE) fs.writeFileSync(process.env.OIDC_PIDFILE, String(process.pid));
  console.log(`OIDC issuer ${ISSUER} thumbprint ${thumbprint}`);
});
for (const s of ['SIGTERM', 'SIGINT']) {
  process.on(s, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections?.();
    setTimeout(() => process.exit(0), 500).unref();
  });
}

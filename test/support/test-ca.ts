import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import forge from 'node-forge';

export interface TestCertificates {
  /** The CA that signed the server certificate (PEM); also written to `caFile`. */
  ca: string;
  caFile: string;
  /** A CA that signed nothing the server shows. */
  otherCa: string;
  /** The server's certificate (for `localhost` only) and key. */
  serverCert: string;
  serverKey: string;
  remove(): void;
}

/** An RSA key pair made by Node's crypto (fast), in node-forge's form. */
function keyPair() {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e), pem: privateKey };
}

/** Valid from an hour ago for two days, by the clock the tests run on. */
function certificate(serial: string, publicKey: forge.pki.PublicKey) {
  const cert = forge.pki.createCertificate();
  cert.serialNumber = serial;
  cert.publicKey = publicKey;
  cert.validity.notBefore = new Date(Date.now() - 3_600_000);
  cert.validity.notAfter = new Date(Date.now() + 2 * 86_400_000);
  return cert;
}

function selfSignedCa(name: string) {
  const keys = keyPair();
  const cert = certificate('01', keys.publicKey);
  const subject = [{ name: 'commonName', value: name }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { cert, keys };
}

/**
 * A throwaway CA and a server certificate it signed, made in the test
 * (node-forge, keys by Node's crypto): the server certificate names
 * `localhost` (not 127.0.0.1), so a connection by IP address fails
 * verify-full's host check.
 */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(path.join(tmpdir(), 'pricestream-test-ca-'));
  const ca = selfSignedCa('pricestream test CA');
  const other = selfSignedCa('some other CA');
  const serverKeys = keyPair();
  const server = certificate('02', serverKeys.publicKey);
  server.setSubject([{ name: 'commonName', value: 'localhost' }]);
  server.setIssuer(ca.cert.subject.attributes);
  server.setExtensions([
    { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] },
    { name: 'extKeyUsage', serverAuth: true },
  ]);
  server.sign(ca.keys.privateKey, forge.md.sha256.create());
  const pem = (cert: forge.pki.Certificate) => forge.pki.certificateToPem(cert);
  const caFile = path.join(dir, 'ca.crt');
  writeFileSync(caFile, pem(ca.cert));
  return {
    ca: pem(ca.cert),
    caFile,
    otherCa: pem(other.cert),
    serverCert: pem(server),
    serverKey: serverKeys.pem,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

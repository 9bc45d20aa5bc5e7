import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

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

/**
 * A throwaway CA and a server certificate it signed, made by Debian's openssl
 * for one test run: the server certificate names `localhost` (not 127.0.0.1),
 * so a connection by IP address fails verify-full's host check.
 */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(path.join(tmpdir(), 'pricestream-test-ca-'));
  const at = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const selfSignedCa = (name: string, subject: string) =>
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      subject,
      '-keyout',
      at(`${name}.key`),
      '-out',
      at(`${name}.crt`),
    );
  selfSignedCa('ca', '/CN=pricestream test CA');
  selfSignedCa('other-ca', '/CN=some other CA');
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    at('server.key'),
    '-out',
    at('server.csr'),
  );
  writeFileSync(at('server.ext'), 'subjectAltName=DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    at('server.csr'),
    '-CA',
    at('ca.crt'),
    '-CAkey',
    at('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    at('server.ext'),
    '-out',
    at('server.crt'),
  );
  const read = (name: string) => readFileSync(at(name), 'utf8');
  return {
    ca: read('ca.crt'),
    caFile: at('ca.crt'),
    otherCa: read('other-ca.crt'),
    serverCert: read('server.crt'),
    serverKey: read('server.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

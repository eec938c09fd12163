import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Bound every openssl call: key generation on P-256 takes milliseconds. */
const OPENSSL_TIMEOUT_MS = 20_000;

export interface ServerCertificates {
  /** PEM of the CA that signed the server certificate. */
  readonly caPem: string;
  /** `<dir>/certs/ca.crt`: a directory skopeo's `--cert-dir` accepts. */
  readonly caFile: string;
  readonly certDir: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
}

export interface SigningCertificate {
  /** PEM of a self-signed P-256 certificate; the registry's `rootcertbundle`. */
  readonly certificatePem: string;
  readonly certificateFile: string;
  /** PKCS#8 PEM of its private key, which signs the ES256 tokens. */
  readonly privateKeyPem: string;
  /** Base64 DER of the certificate, the single entry of the JWT `x5c` header. */
  readonly x5c: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await execFileAsync('openssl', args, { cwd, timeout: OPENSSL_TIMEOUT_MS });
  } catch (error) {
    const stderr = (error as { stderr?: unknown }).stderr;
    throw new Error(
      `openssl ${args[0] ?? ''} failed in ${cwd}: ${typeof stderr === 'string' ? stderr.trim() : String(error)}. ` +
        'The registry harness needs the openssl CLI (Debian package openssl).',
      { cause: error },
    );
  }
}

function randomSerial(): string {
  // A positive 63-bit serial: the top bit cleared so it is never read as negative.
  const bytes = randomBytes(8);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return `0x${bytes.toString('hex')}`;
}

const P256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** A CA and a server certificate for 127.0.0.1 and localhost, valid for two days. */
export async function createServerCertificates(directory: string): Promise<ServerCertificates> {
  const certDir = path.join(directory, 'certs');
  await mkdir(certDir, { recursive: true });
  const caFile = path.join(certDir, 'ca.crt');
  const caKey = path.join(directory, 'ca.key');
  const serverKeyFile = path.join(directory, 'server.key');
  const serverCsr = path.join(directory, 'server.csr');
  const serverCertFile = path.join(directory, 'server.pem');
  const extensions = path.join(directory, 'server.ext');

  await openssl(
    [
      'req',
      '-x509',
      ...P256,
      '-keyout',
      caKey,
      '-out',
      caFile,
      '-days',
      '2',
      '-subj',
      '/CN=helm-image-updater test CA',
      '-set_serial',
      randomSerial(),
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    directory,
  );
  await openssl(
    ['req', '-new', ...P256, '-keyout', serverKeyFile, '-out', serverCsr, '-subj', '/CN=127.0.0.1'],
    directory,
  );
  await writeFile(
    extensions,
    [
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'),
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      serverCsr,
      '-CA',
      caFile,
      '-CAkey',
      caKey,
      '-set_serial',
      randomSerial(),
      '-days',
      '2',
      '-extfile',
      extensions,
      '-out',
      serverCertFile,
    ],
    directory,
  );
  const [caPem, serverCertPem, serverKeyPem] = await Promise.all([
    readFile(caFile, 'utf8'),
    readFile(serverCertFile, 'utf8'),
    readFile(serverKeyFile, 'utf8'),
  ]);
  return {
    caPem,
    caFile,
    certDir,
    serverCertFile,
    serverKeyFile,
    serverCertPem,
    serverKeyPem,
  };
}

/** The token issuer's key and self-signed certificate (the registry trusts it as a root). */
export async function createSigningCertificate(directory: string): Promise<SigningCertificate> {
  await mkdir(directory, { recursive: true });
  const keyFile = path.join(directory, 'token-signer.key');
  const certificateFile = path.join(directory, 'token-signer.crt');
  await openssl(
    [
      'req',
      '-x509',
      ...P256,
      '-keyout',
      keyFile,
      '-out',
      certificateFile,
      '-days',
      '2',
      '-subj',
      '/CN=helm-image-updater test token signer',
      '-set_serial',
      randomSerial(),
    ],
    directory,
  );
  const [certificatePem, privateKeyPem] = await Promise.all([
    readFile(certificateFile, 'utf8'),
    readFile(keyFile, 'utf8'),
  ]);
  const x5c = certificatePem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return { certificatePem, certificateFile, privateKeyPem, x5c };
}

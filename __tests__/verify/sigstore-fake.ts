/**
 * A private Sigstore for tests: a Fulcio CA with a CT log and a Rekor log from
 * @sigstore/mock, served over HTTP on 127.0.0.1, keys generated per test run, and the
 * `trusted_root.json` that names them. Bundles are made by @sigstore/sign exactly as a client
 * signs against the public-good instance. Clocks are injected, so certificates can be issued
 * at one time and logged at another.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  fulcioHandler,
  initializeCA,
  initializeCTLog,
  initializeTLog,
  rekorHandler,
  type HandlerFn,
} from '@sigstore/mock';
import { DSSEBundleBuilder, FulcioSigner, RekorWitness } from '@sigstore/sign';
import { bundleToJSON } from '@sigstore/bundle';

export interface FakeSigstore {
  readonly trustedRoot: string;
  /** A DSSE bundle of `payload` signed by a Fulcio certificate for `identity` from `issuer`. */
  sign(payload: Buffer, identity: string, issuer: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface FakeSigstoreOptions {
  /** The CA's clock (certificates are valid for ten minutes from it). */
  readonly caClock?: Date;
  /** The log's clock (the integrated time a bundle carries). */
  readonly logClock?: Date;
  /** Leave the transparency log out: bundles then carry no signed time. */
  readonly withoutLog?: boolean;
}

function ecKeyPair(curve: string) {
  return generateKeyPairSync('ec', { namedCurve: curve });
}

function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

export async function startFakeSigstore(options: FakeSigstoreOptions = {}): Promise<FakeSigstore> {
  const routes = new Map<string, HandlerFn>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const handler = routes.get(request.url?.split('?')[0] ?? '');
      if (!handler || request.method !== 'POST') {
        response.writeHead(404).end();
        return;
      }
      handler(Buffer.concat(chunks).toString('utf8')).then(
        ({ statusCode, response: body, contentType }) => {
          response.writeHead(statusCode, { 'content-type': contentType ?? 'text/plain' });
          response.end(
            typeof body === 'string'
              ? body
              : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
          );
        },
        (error: unknown) => {
          response.writeHead(500).end(String(error));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const ctKeys = ecKeyPair('prime256v1');
  const ctLog = await initializeCTLog(ctKeys, options.caClock);
  const caKeys = ecKeyPair('secp384r1');
  const ca = await initializeCA(caKeys, ctLog, options.caClock);
  const tlogKeys = ecKeyPair('prime256v1');
  const tlog = await initializeTLog(url, tlogKeys, options.logClock);
  const fulcio = fulcioHandler(ca);
  const rekor = rekorHandler(tlog);
  routes.set(fulcio.path, fulcio.fn);
  routes.set(rekor.path, rekor.fn);

  const der = (key: { export(options: { format: 'der'; type: 'spki' }): Buffer }) =>
    key.export({ format: 'der', type: 'spki' });
  const start = '2000-01-01T00:00:00Z';
  const trustedRoot = JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: url,
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: der(tlogKeys.publicKey).toString('base64'),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: { start },
        },
        logId: { keyId: createHash('sha256').update(der(tlogKeys.publicKey)).digest('base64') },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: url,
        certChain: {
          certificates: [{ rawBytes: Buffer.from(ca.rootCertificate.buffer).toString('base64') }],
        },
        validFor: { start },
      },
    ],
    ctlogs: [
      {
        baseUrl: url,
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: der(ctKeys.publicKey).toString('base64'),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: { start },
        },
        logId: { keyId: Buffer.from(ctLog.logID.buffer).toString('base64') },
      },
    ],
    timestampAuthorities: [],
  });

  return {
    trustedRoot,
    async sign(payload, identity, issuer) {
      const signer = new FulcioSigner({
        fulcioBaseURL: url,
        identityProvider: {
          getToken: () =>
            Promise.resolve(unsignedJwt({ sub: identity, iss: issuer, aud: 'sigstore' })),
        },
      });
      const builder = new DSSEBundleBuilder({
        signer,
        witnesses: options.withoutLog
          ? []
          : [new RekorWitness({ rekorBaseURL: url, entryType: 'intoto' })],
      });
      const bundle = await builder.create({ data: payload, type: 'application/vnd.in-toto+json' });
      return bundleToJSON(bundle);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

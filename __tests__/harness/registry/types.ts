/** The public shapes of the registry harness; `index.ts` re-exports them. */

export type AuthMode = 'none' | 'basic' | 'token';

export interface RegistryOptions {
  /** TLS with a CA generated per harness (server cert for 127.0.0.1 and localhost). */
  tls?: boolean;
  /** Default 'none'. */
  auth?: AuthMode;
  /** Users for basic/token auth, default { admin: 'admin-secret' }; htpasswd -B -C 4. */
  users?: Record<string, string>;
  /** Token mode: grant `pull` to requests without credentials. Default false (they get 401). */
  anonymousPull?: boolean;
  /** Token mode: OAuth2 refresh tokens (identity tokens) `POST /token` accepts, each for a user. */
  refreshTokens?: Record<string, string>;
  /** Token lifetime in seconds (`expires_in` and the JWT `exp`). Default 300. */
  tokenLifetimeSeconds?: number;
  /** Milliseconds to wait for `GET /v2/` after starting the process. Default 15 000. */
  startTimeoutMs?: number;
}

export interface ImageSpec {
  /**
   * Written to the image config `created`: a Date as ISO 8601, a string verbatim (so tests can
   * push odd values), null to leave the field out.
   */
  created: string | Date | null;
  /**
   * Default ['linux/amd64']. More than one → an index / manifest list whose children each have
   * their own config (same created unless createdByPlatform).
   */
  platforms?: string[];
  createdByPlatform?: Record<string, string>;
  /** config.Labels */
  labels?: Record<string, string>;
  /** Default 'oci' (OCI manifest / index); 'docker' = schema 2 / manifest list. */
  format?: 'oci' | 'docker';
  /** Push an index / manifest list even for a single platform. */
  index?: boolean;
  /**
   * Add a BuildKit-style provenance attestation per platform to the index (platform
   * unknown/unknown, annotation `vnd.docker.reference.type: attestation-manifest`). OCI only.
   */
  attestations?: boolean;
}

export interface PushedImage {
  /** The digest the registry reported for the tag (the index digest for several platforms). */
  digest: string;
  mediaType: string;
  /** Child manifest digest by platform (`os/arch[/variant]`); empty for a single-arch image. */
  childDigests: Record<string, string>;
  /** Config blob digest by platform, for every image. */
  configDigests: Record<string, string>;
  /** Attestation manifest digest by the platform it describes; empty without attestations. */
  attestationDigests: Record<string, string>;
}

export interface TokenRequest {
  /** The `scope` parameters joined by a space, or null when none was sent. */
  scope: string | null;
  service: string | null;
  authorization: 'none' | 'basic' | 'other';
  username?: string;
  /** A `POST /token` (OAuth2): its `grant_type` and `client_id`. Absent for `GET /token`. */
  grantType?: string;
  clientId?: string;
  /** What the token server answered: 200, 400 (wrong service), 401 (bad or missing credentials). */
  status: number;
  /** Actions granted per scope, e.g. ['repository:team/app:pull']. Empty when refused. */
  granted: string[];
}

/** Requests the registry process served, from its access log. */
export interface RequestCounts {
  total: number;
  /**
   * By `METHOD kind`, kind one of base (`/v2/`), catalog, tags, manifest, blob, upload, other:
   * e.g. `GET tags`, `HEAD manifest`.
   */
  byKind: Record<string, number>;
  /** By HTTP status code. */
  byStatus: Record<number, number>;
}

export interface RunningRegistry {
  /** '127.0.0.1:<port>' */
  readonly host: string;
  /** 'http://127.0.0.1:<port>' or 'https://…' */
  readonly url: string;
  /** The temporary directory with the config, certificates and data; removed by close(). */
  readonly directory: string;
  /** CA certificate PEM when tls. */
  readonly caPem: string | undefined;
  /** Path of that PEM, `<dir>/ca.crt`; its directory works as skopeo's `--cert-dir`. */
  readonly caFile: string | undefined;
  readonly users: Record<string, string>;
  /** Every request the token server received (token mode); the harness's own pushes add none. */
  readonly tokenRequests: TokenRequest[];
  /** The token realm, e.g. 'http://127.0.0.1:<port>/token' (token mode). */
  readonly tokenServerUrl: string | undefined;
  /** The service name the registry asks tokens for (token mode). */
  readonly tokenService: string | undefined;
  push(repository: string, tag: string, image: ImageSpec): Promise<PushedImage>;
  /** Many tags quickly (bounded parallelism, shared layer blob): for 1 000–5 000-tag benchmarks. */
  pushMany(
    repository: string,
    images: { tag: string; image: ImageSpec }[],
    concurrency?: number,
  ): Promise<PushedImage[]>;
  /**
   * The same images as pushMany, written straight into the registry's storage directory in its
   * own layout (no HTTP, nothing in the access log): tens of thousands of tags in seconds, for
   * benchmark set-up. The registry serves them exactly like pushed ones.
   */
  seed(repository: string, images: { tag: string; image: ImageSpec }[]): Promise<PushedImage[]>;
  /** Arbitrary bytes as a blob (signature payloads, bundles); returns the digest. */
  pushBlob(repository: string, bytes: Uint8Array | string): Promise<string>;
  /** An arbitrary manifest under a tag (or, without one, its digest); its blobs must exist. */
  pushRawManifest(
    repository: string,
    reference: string | undefined,
    mediaType: string,
    bytes: Uint8Array | string,
  ): Promise<string>;
  /** Delete a manifest by digest (the tags pointing at it disappear). */
  deleteManifest(repository: string, digest: string): Promise<void>;
  /**
   * Counts of requests the registry process served since start (after its readiness probe) or
   * since the last reset, the harness's own pushes included.
   */
  requestCounts(): Promise<RequestCounts>;
  resetRequestCounts(): Promise<void>;
  /** A header value that authorizes pull and push of `repository` (undefined without auth). */
  authorization(repository: string): string | undefined;
  close(): Promise<void>;
}

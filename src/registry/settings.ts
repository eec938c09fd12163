/**
 * How the registry client is configured: credentials, trust, limits. The registry's own
 * vocabulary; `config/` builds it from the inputs and the Docker config.
 */

export interface RegistryCredential {
  /** Registry host as written (`docker.io`, `ghcr.io`, `127.0.0.1:5000`), normalised by the registry layer. */
  readonly host: string;
  readonly username: string;
  readonly password: string;
  /** Where it came from, for messages: `input registry-credentials line 2`, `docker config`. */
  readonly source: string;
  /**
   * An OAuth2 refresh token (`identitytoken` in the Docker config, or a credential helper's
   * answer with the user name `<token>`): exchanged at the registry's token realm
   * (`grant_type=refresh_token`) instead of sending `username`/`password`.
   */
  readonly identityToken?: string;
}

/**
 * A Docker credential helper named by the Docker config: `credHelpers` (one registry) or
 * `credsStore` (every registry). `docker-credential-<helper> get` is run when a request to a
 * matching registry needs credentials.
 */
export interface CredentialHelperRule {
  /** The registry it answers for, as written in `credHelpers`; undefined for `credsStore`. */
  readonly host: string | undefined;
  /** The helper's name: the program is `docker-credential-<helper>` on `PATH`. */
  readonly helper: string;
  /** Where it came from, for messages: `docker config /home/u/.docker/config.json (credHelpers."gcr.io")`. */
  readonly source: string;
}

/** A credential given outright, or a helper to ask for one; the first source for a registry wins. */
export type CredentialSource = RegistryCredential | CredentialHelperRule;

export interface RegistrySettings {
  /** In order of precedence: the input lines, the Docker config, then `GITHUB_TOKEN` for ghcr.io. */
  readonly credentials: readonly CredentialSource[];
  /** PEM text of extra CA certificates (from `ca-file`), added to Node's roots. */
  readonly caCertificates: string | undefined;
  /** Hosts (`host` or `host:port`) reached over plain HTTP / without TLS verification. */
  readonly insecureRegistries: readonly string[];
  /** Parallel requests per registry host. */
  readonly concurrency: number;
  /** Upper bound of registry requests in one run; metadata fetching stops when it runs out. */
  readonly requestBudget: number;
  /** Per-request timeout. */
  readonly timeoutMs: number;
  /**
   * Order newest-build candidates with the hosted registries' listing APIs (Docker Hub, GHCR, GAR/GCR), reading
   * manifests only for tags that can win (input `registry-listings`). Absent means on.
   */
  readonly listings?: boolean;
  /** Keep immutable tag metadata between runs with the Actions cache (input `cache`). */
  readonly cache: boolean;
}

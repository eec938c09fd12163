/**
 * Three kinds of failure, told apart because the user's next step differs:
 * a ConfigurationError is fixed by editing inputs or files, a RegistryError or PublishError
 * names the remote call that failed, and anything else is a bug in this action.
 */

/** Where in the user's configuration a problem is: an input name, or a file and line. */
export interface ConfigLocation {
  /** `input images`, or a path such as `.github/helm-image-updater.yml`. */
  readonly source: string;
  /** 1-based line in `source`, when it is a file. */
  readonly line?: number;
}

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  readonly location: ConfigLocation | undefined;

  constructor(message: string, location?: ConfigLocation) {
    super(location ? `${formatLocation(location)}: ${message}` : message);
    this.location = location;
  }
}

export function formatLocation(location: ConfigLocation): string {
  return location.line === undefined ? location.source : `${location.source}:${location.line}`;
}

export interface RegistryErrorDetails {
  /** The image as configured, e.g. `lyzhang1999/frontend`. */
  readonly image: string;
  /** The request path, e.g. `/v2/lyzhang1999/frontend/tags/list` (never a query with secrets). */
  readonly path?: string;
  readonly status?: number;
}

export class RegistryError extends Error {
  override readonly name: string = 'RegistryError';
  readonly details: RegistryErrorDetails;

  constructor(message: string, details: RegistryErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.details = details;
  }
}

export interface PublishErrorDetails {
  /** The GitHub operation, e.g. `create pull request` or `update ref heads/main`. */
  readonly operation: string;
  readonly status?: number;
}

export class PublishError extends Error {
  override readonly name = 'PublishError';
  readonly details: PublishErrorDetails;

  constructor(message: string, details: PublishErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.details = details;
  }
}

/** A rejected event payload (repository_dispatch, registry_package): nothing is written. */
export class PayloadError extends Error {
  override readonly name = 'PayloadError';
}

/** The message of anything thrown, without `as any`. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

/**
 * The run's registry request budget is spent, or a registry's pull rate limit is nearly spent:
 * no more metadata is fetched. Images that cannot be decided keep their current value with a
 * warning instead of failing.
 */
export class RequestBudgetSpent extends RegistryError {
  override readonly name = 'RequestBudgetSpent';
}

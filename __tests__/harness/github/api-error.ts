/**
 * An error answer in GitHub's shape: `{message, documentation_url, status}` (basic-error), plus
 * `errors[]` for 422 validation failures. Thrown by route handlers, turned into a response once.
 */

export interface ValidationErrorDetail {
  readonly resource: string;
  readonly code: string;
  readonly field?: string;
  readonly message?: string;
}

const DOCS = 'https://docs.github.com/rest';

export class GitHubApiError extends Error {
  override readonly name = 'GitHubApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly options: {
      readonly errors?: readonly ValidationErrorDetail[];
      readonly documentationUrl?: string;
      readonly headers?: Readonly<Record<string, string>>;
    } = {},
  ) {
    super(message);
  }

  toBody(): Record<string, unknown> {
    return {
      message: this.message,
      ...(this.options.errors ? { errors: this.options.errors } : {}),
      documentation_url: this.options.documentationUrl ?? DOCS,
      status: String(this.status),
    };
  }
}

export const notFound = (): GitHubApiError => new GitHubApiError(404, 'Not Found');

export const emptyRepository = (): GitHubApiError =>
  new GitHubApiError(409, 'Git Repository is empty.');

export function validationFailed(...errors: ValidationErrorDetail[]): GitHubApiError {
  return new GitHubApiError(422, 'Validation Failed', { errors });
}

/** A 422 whose message is the whole story (as GitHub sends for git ref updates). */
export const unprocessable = (message: string): GitHubApiError => new GitHubApiError(422, message);

import { PublishError, errorMessage } from '../../core/errors.js';

/** What GitHub answered when a request failed. */
export interface GitHubFailure {
  readonly status: number;
  /** GitHub's `message` (without the documentation link). */
  readonly message: string;
  /** `errors[].message` of a validation failure (422). */
  readonly details: readonly string[];
}

/** The HTTP failure inside an Octokit error, or undefined for anything else (network, bug). */
export function gitHubFailure(error: unknown): GitHubFailure | undefined {
  if (!(error instanceof Error) || !('status' in error) || typeof error.status !== 'number')
    return undefined;
  const data = 'response' in error ? responseData(error.response) : undefined;
  const message =
    data !== undefined && typeof data['message'] === 'string'
      ? data['message']
      : error.message.replace(/ - https:\/\/docs\.github\.com\S*$/, '');
  const details: string[] = [];
  const errors = data?.['errors'];
  if (Array.isArray(errors)) {
    for (const item of errors as unknown[]) {
      if (typeof item === 'string') details.push(item);
      else if (isRecord(item) && typeof item['message'] === 'string') details.push(item['message']);
    }
  }
  return { status: error.status, message, details };
}

export function isNotFound(error: unknown): boolean {
  return gitHubFailure(error)?.status === 404;
}

/** A failure whose message or validation details contain `text` (case-insensitive). */
export function failureMentions(failure: GitHubFailure, text: string): boolean {
  const needle = text.toLowerCase();
  return [failure.message, ...failure.details].some((part) => part.toLowerCase().includes(needle));
}

/**
 * Runs one GitHub call; a failure becomes a PublishError that names the operation and says what
 * the user can change.
 */
export async function callGitHub<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw publishError(operation, error);
  }
}

export function publishError(operation: string, error: unknown): PublishError {
  if (error instanceof PublishError) return error;
  const failure = gitHubFailure(error);
  if (failure === undefined) {
    return new PublishError(
      `Could not ${operation}: ${errorMessage(error)}. Check that the GitHub API is reachable.`,
      { operation },
      { cause: error },
    );
  }
  return new PublishError(
    `Could not ${operation}: GitHub answered ${failure.status} (${summary(failure)}). ${advice(failure)}`.trim(),
    { operation, status: failure.status },
    { cause: error },
  );
}

function advice(failure: GitHubFailure): string {
  const { status } = failure;
  if (status === 401)
    return 'The token is invalid or has expired; pass a valid token in the `token` input.';
  if (
    status === 403 &&
    failureMentions(failure, 'not permitted to create or approve pull requests')
  )
    return (
      'Turn on "Allow GitHub Actions to create and approve pull requests" in the settings of the ' +
      'repository (Settings → Actions → General) or of its organisation, or use a GitHub App token.'
    );
  if (status === 403 && failureMentions(failure, 'resource not accessible by'))
    return (
      'The token lacks a permission: give the job `permissions: contents: write, pull-requests: write` ' +
      '(for a GitHub App or fine-grained token, grant Contents and Pull requests write access).'
    );
  if ((status === 403 || status === 429) && failureMentions(failure, 'rate limit'))
    return "GitHub's rate limit stopped the run; it resumes on the next run. A GitHub App token has a higher limit.";
  if (status === 404)
    return (
      'The repository, branch or object does not exist, or the token cannot see it: ' +
      "the workflow's GITHUB_TOKEN reaches only its own repository; for another repository use " +
      'a GitHub App token or a personal access token with access to it.'
    );
  if (status >= 500) return 'GitHub had a server error; the next run will try again.';
  return '';
}

function summary(failure: GitHubFailure): string {
  return [failure.message, ...failure.details].filter((part) => part !== '').join('; ');
}

function responseData(response: unknown): Record<string, unknown> | undefined {
  if (!isRecord(response)) return undefined;
  const data = response['data'];
  return isRecord(data) ? data : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

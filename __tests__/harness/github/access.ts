import { GitHubApiError } from './api-error.js';

/**
 * Token permissions, modelled on fine-grained tokens: each token has a level for repository
 * contents and for pull requests. The prefix tells the actor apart (`ghs_` = GITHUB_TOKEN or an
 * App installation, `github_pat_` = fine-grained PAT, `ghp_` = classic PAT), which changes
 * GitHub's wording of a 403.
 */

export type AccessLevel = 'read' | 'write' | 'none';

export interface TokenGrant {
  contents: AccessLevel;
  pullRequests: AccessLevel;
  /** The user the token acts as; default `github-actions[bot]` for `ghs_`, else `octocat`. */
  login?: string;
}

export interface Requirement {
  readonly scope: 'contents' | 'pullRequests' | 'metadata';
  readonly level: 'read' | 'write';
}

const READ_CONTENTS: Requirement = { scope: 'contents', level: 'read' };
const WRITE_CONTENTS: Requirement = { scope: 'contents', level: 'write' };
const READ_PULLS: Requirement = { scope: 'pullRequests', level: 'read' };
const WRITE_PULLS: Requirement = { scope: 'pullRequests', level: 'write' };

/** What each emulated REST operation needs (merging writes to the base branch: contents). */
export const OPERATION_REQUIREMENTS: Readonly<Record<string, Requirement>> = {
  'repos/get': { scope: 'metadata', level: 'read' },
  'repos/get-content': READ_CONTENTS,
  'repos/get-branch': READ_CONTENTS,
  'repos/create-or-update-file-contents': WRITE_CONTENTS,
  'repos/create-dispatch-event': WRITE_CONTENTS,
  'git/get-ref': READ_CONTENTS,
  'git/list-matching-refs': READ_CONTENTS,
  'git/get-commit': READ_CONTENTS,
  'git/get-tree': READ_CONTENTS,
  'git/get-blob': READ_CONTENTS,
  'git/create-blob': WRITE_CONTENTS,
  'git/create-tree': WRITE_CONTENTS,
  'git/create-commit': WRITE_CONTENTS,
  'git/create-ref': WRITE_CONTENTS,
  'git/update-ref': WRITE_CONTENTS,
  'git/delete-ref': WRITE_CONTENTS,
  'pulls/list': READ_PULLS,
  'pulls/get': READ_PULLS,
  'pulls/create': WRITE_PULLS,
  'pulls/update': WRITE_PULLS,
  'pulls/request-reviewers': WRITE_PULLS,
  'pulls/merge': WRITE_CONTENTS,
  'issues/add-labels': WRITE_PULLS,
  'issues/create-comment': WRITE_PULLS,
  'graphql/createCommitOnBranch': WRITE_CONTENTS,
  'graphql/enablePullRequestAutoMerge': WRITE_PULLS,
};

export interface Actor {
  readonly token: string;
  readonly grant: TokenGrant;
  readonly login: string;
  readonly kind: 'integration' | 'personal access token';
  readonly isActionsToken: boolean;
}

export function defaultLogin(token: string): string {
  return token.startsWith('ghs_') ? 'github-actions[bot]' : 'octocat';
}

/** Reads `authorization: token X` / `Bearer X`; 401 for a missing or unknown token. */
export function authenticate(
  header: string | undefined,
  tokens: ReadonlyMap<string, TokenGrant>,
): Actor {
  const match = /^(?:token|bearer)\s+(\S+)$/i.exec(header?.trim() ?? '');
  if (!match) throw new GitHubApiError(401, 'Requires authentication');
  const token = match[1] ?? '';
  const grant = tokens.get(token);
  if (!grant) throw new GitHubApiError(401, 'Bad credentials');
  return {
    token,
    grant,
    login: grant.login ?? defaultLogin(token),
    kind: token.startsWith('ghs_') ? 'integration' : 'personal access token',
    isActionsToken: token.startsWith('ghs_'),
  };
}

/** True when the token can see the repository at all (any permission implies metadata read). */
export function canSee(actor: Actor): boolean {
  return actor.grant.contents !== 'none' || actor.grant.pullRequests !== 'none';
}

/** 404 for a repository the token cannot see (existence is not leaked), 403 when it lacks a level. */
export function authorize(actor: Actor, requirement: Requirement | undefined): void {
  if (!canSee(actor)) throw new GitHubApiError(404, 'Not Found');
  if (!requirement || requirement.scope === 'metadata') return;
  const level = actor.grant[requirement.scope];
  const allowed = requirement.level === 'read' ? level !== 'none' : level === 'write';
  if (!allowed) throw new GitHubApiError(403, `Resource not accessible by ${actor.kind}`);
}

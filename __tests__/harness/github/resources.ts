import type { CommitObject, Identity, TreeEntry } from './git-repository.js';

/**
 * JSON representations of GitHub resources, with every field the OpenAPI description marks as
 * required (the emulator validates its own answers against it). URLs point at the emulator.
 */

export interface RepositoryView {
  /** REST base, e.g. http://127.0.0.1:1234 */
  readonly apiUrl: string;
  readonly owner: string;
  readonly repo: string;
  readonly id: number;
  readonly defaultBranch: string;
  readonly allowAutoMerge: boolean;
  readonly createdAt: string;
  readonly permissions?: {
    admin: boolean;
    maintain: boolean;
    push: boolean;
    triage: boolean;
    pull: boolean;
  };
}

export interface LabelRecord {
  readonly id: number;
  readonly name: string;
  readonly color: string;
  readonly description: string | null;
}

export interface CommentRecord {
  readonly id: number;
  readonly body: string;
  readonly user: string;
  readonly createdAt: string;
}

export interface AutoMergeRecord {
  readonly mergeMethod: 'merge' | 'squash' | 'rebase';
  readonly enabledBy: string;
  readonly commitTitle: string;
  readonly commitMessage: string;
}

/** One pull request as the emulator stores it (also what `listPulls()` returns). */
export interface PullRecord {
  readonly number: number;
  readonly id: number;
  readonly nodeId: string;
  state: 'open' | 'closed';
  title: string;
  body: string | null;
  /** Head branch name (same repository). */
  readonly head: string;
  headSha: string;
  base: string;
  /** Base SHA when the PR was created or last retargeted. */
  baseSha: string;
  draft: boolean;
  labels: string[];
  requestedReviewers: string[];
  requestedTeams: string[];
  comments: CommentRecord[];
  merged: boolean;
  mergedAt: string | null;
  mergedBy: string | null;
  mergeCommitSha: string | null;
  autoMerge: AutoMergeRecord | null;
  readonly user: string;
  readonly createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

export function userJson(apiUrl: string, login: string): Record<string, unknown> {
  const id = stableId(login);
  const url = `${apiUrl}/users/${encodeURIComponent(login)}`;
  return {
    login,
    id,
    node_id: Buffer.from(`04:User${id}`).toString('base64'),
    avatar_url: `${apiUrl}/avatars/${encodeURIComponent(login)}`,
    gravatar_id: '',
    url,
    html_url: `${apiUrl}/${encodeURIComponent(login)}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: login.endsWith('[bot]') ? 'Bot' : 'User',
    site_admin: false,
  };
}

/** GitHub's URL templates of a repository, relative to its API URL. */
const REPOSITORY_URL_SUFFIXES: Record<string, string> = {
  archive_url: '/{archive_format}{/ref}',
  assignees_url: '/assignees{/user}',
  blobs_url: '/git/blobs{/sha}',
  branches_url: '/branches{/branch}',
  collaborators_url: '/collaborators{/collaborator}',
  comments_url: '/comments{/number}',
  commits_url: '/commits{/sha}',
  compare_url: '/compare/{base}...{head}',
  contents_url: '/contents/{+path}',
  contributors_url: '/contributors',
  deployments_url: '/deployments',
  downloads_url: '/downloads',
  events_url: '/events',
  forks_url: '/forks',
  git_commits_url: '/git/commits{/sha}',
  git_refs_url: '/git/refs{/sha}',
  git_tags_url: '/git/tags{/sha}',
  hooks_url: '/hooks',
  issue_comment_url: '/issues/comments{/number}',
  issue_events_url: '/issues/events{/number}',
  issues_url: '/issues{/number}',
  keys_url: '/keys{/key_id}',
  labels_url: '/labels{/name}',
  languages_url: '/languages',
  merges_url: '/merges',
  milestones_url: '/milestones{/number}',
  notifications_url: '/notifications{?since,all,participating}',
  pulls_url: '/pulls{/number}',
  releases_url: '/releases{/id}',
  stargazers_url: '/stargazers',
  statuses_url: '/statuses/{sha}',
  subscribers_url: '/subscribers',
  subscription_url: '/subscription',
  tags_url: '/tags',
  teams_url: '/teams',
  trees_url: '/git/trees{/sha}',
};

/** `repository` (in PR head/base) or, with `full`, `full-repository` (repos/get). */
export function repositoryJson(view: RepositoryView, full: boolean): Record<string, unknown> {
  const url = `${view.apiUrl}/repos/${view.owner}/${view.repo}`;
  const htmlUrl = `${view.apiUrl}/${view.owner}/${view.repo}`;
  const urls = Object.fromEntries(
    Object.entries(REPOSITORY_URL_SUFFIXES).map(([key, suffix]) => [key, `${url}${suffix}`]),
  );
  const base: Record<string, unknown> = {
    id: view.id,
    node_id: Buffer.from(`010:Repository${view.id}`).toString('base64'),
    name: view.repo,
    full_name: `${view.owner}/${view.repo}`,
    owner: userJson(view.apiUrl, view.owner),
    private: true,
    html_url: htmlUrl,
    description: null,
    fork: false,
    url,
    ...urls,
    git_url: `${htmlUrl}.git`,
    ssh_url: `git@127.0.0.1:${view.owner}/${view.repo}.git`,
    clone_url: `${htmlUrl}.git`,
    svn_url: htmlUrl,
    mirror_url: null,
    homepage: null,
    language: null,
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers: 0,
    watchers_count: 0,
    size: 0,
    default_branch: view.defaultBranch,
    open_issues: 0,
    open_issues_count: 0,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: false,
    disabled: false,
    visibility: 'private',
    license: null,
    pushed_at: view.createdAt,
    created_at: view.createdAt,
    updated_at: view.createdAt,
    allow_rebase_merge: true,
    allow_squash_merge: true,
    allow_merge_commit: true,
    allow_auto_merge: view.allowAutoMerge,
    delete_branch_on_merge: false,
    allow_update_branch: false,
    allow_forking: false,
    web_commit_signoff_required: false,
    ...(view.permissions ? { permissions: view.permissions } : {}),
  };
  if (!full) return base;
  return { ...base, network_count: 0, subscribers_count: 0 };
}

export function gitRefJson(
  view: RepositoryView,
  ref: string,
  sha: string,
): Record<string, unknown> {
  const url = `${view.apiUrl}/repos/${view.owner}/${view.repo}/git/${ref}`;
  return {
    ref,
    node_id: Buffer.from(`03:Ref${view.id}:${ref}`).toString('base64'),
    url,
    object: {
      type: 'commit',
      sha,
      url: `${view.apiUrl}/repos/${view.owner}/${view.repo}/git/commits/${sha}`,
    },
  };
}

function gitIdentityJson(identity: Identity): Record<string, unknown> {
  return {
    name: identity.name,
    email: identity.email,
    date: new Date(identity.time * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}

export function gitCommitJson(view: RepositoryView, commit: CommitObject): Record<string, unknown> {
  const repoUrl = `${view.apiUrl}/repos/${view.owner}/${view.repo}`;
  const htmlUrl = `${view.apiUrl}/${view.owner}/${view.repo}`;
  return {
    sha: commit.sha,
    node_id: Buffer.from(`06:Commit${view.id}:${commit.sha}`).toString('base64'),
    url: `${repoUrl}/git/commits/${commit.sha}`,
    html_url: `${htmlUrl}/commit/${commit.sha}`,
    author: gitIdentityJson(commit.author),
    committer: gitIdentityJson(commit.committer),
    tree: { sha: commit.tree, url: `${repoUrl}/git/trees/${commit.tree}` },
    message: commit.message.replace(/\n$/, ''),
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${repoUrl}/git/commits/${sha}`,
      html_url: `${htmlUrl}/commit/${sha}`,
    })),
    verification: {
      verified: false,
      reason: 'unsigned',
      signature: null,
      payload: null,
      verified_at: null,
    },
  };
}

/** One entry of repos/list-commits (the `commit` schema): no GitHub users behind the emails. */
export function commitListJson(
  view: RepositoryView,
  commit: CommitObject,
): Record<string, unknown> {
  const repoUrl = `${view.apiUrl}/repos/${view.owner}/${view.repo}`;
  const htmlUrl = `${view.apiUrl}/${view.owner}/${view.repo}`;
  const git = gitCommitJson(view, commit);
  return {
    url: `${repoUrl}/commits/${commit.sha}`,
    sha: commit.sha,
    node_id: git.node_id,
    html_url: `${htmlUrl}/commit/${commit.sha}`,
    comments_url: `${repoUrl}/commits/${commit.sha}/comments`,
    commit: {
      url: git.url,
      author: git.author,
      committer: git.committer,
      message: git.message,
      comment_count: 0,
      tree: git.tree,
      verification: git.verification,
    },
    author: null,
    committer: null,
    parents: git.parents,
  };
}

export function gitTreeJson(
  view: RepositoryView,
  sha: string,
  entries: readonly TreeEntry[],
  truncated = false,
): Record<string, unknown> {
  const repoUrl = `${view.apiUrl}/repos/${view.owner}/${view.repo}`;
  return {
    sha,
    url: `${repoUrl}/git/trees/${sha}`,
    tree: entries.map((entry) => ({
      path: entry.path,
      mode: entry.mode,
      type: entry.type,
      sha: entry.sha,
      ...(entry.size === undefined ? {} : { size: entry.size }),
      url: `${repoUrl}/git/${entry.type === 'tree' ? 'trees' : 'blobs'}/${entry.sha}`,
    })),
    truncated,
  };
}

/** One entry of get-content (file JSON when `content` is given, else a directory listing item). */
export function contentJson(
  view: RepositoryView,
  ref: string,
  entry: {
    path: string;
    sha: string;
    type: 'file' | 'dir' | 'submodule' | 'symlink';
    size: number;
  },
  content?: Buffer,
): Record<string, unknown> {
  const repoUrl = `${view.apiUrl}/repos/${view.owner}/${view.repo}`;
  const encodedPath = entry.path.split('/').map(encodeURIComponent).join('/');
  const self = `${repoUrl}/contents/${encodedPath}?ref=${encodeURIComponent(ref)}`;
  const git = `${repoUrl}/git/${entry.type === 'dir' ? 'trees' : 'blobs'}/${entry.sha}`;
  const html = `${view.apiUrl}/${view.owner}/${view.repo}/${entry.type === 'dir' ? 'tree' : 'blob'}/${encodeURIComponent(ref)}/${encodedPath}`;
  const downloadUrl =
    entry.type === 'file'
      ? `${view.apiUrl}/raw/${view.owner}/${view.repo}/${encodeURIComponent(ref)}/${encodedPath}`
      : null;
  return {
    type: entry.type,
    ...(content === undefined ? {} : encodedContent(content)),
    size: entry.size,
    name: entry.path.slice(entry.path.lastIndexOf('/') + 1),
    path: entry.path,
    sha: entry.sha,
    url: self,
    git_url: git,
    html_url: html,
    download_url: downloadUrl,
    _links: { self, git, html },
  };
}

/** Files up to 1 MB come with base64 content; larger ones (up to 100 MB) with none. */
export const CONTENT_SIZE_LIMIT = 1024 * 1024;

function encodedContent(content: Buffer): { encoding: string; content: string } {
  if (content.length > CONTENT_SIZE_LIMIT) return { encoding: 'none', content: '' };
  return { encoding: 'base64', content: wrapBase64(content.toString('base64')) };
}

/** GitHub wraps base64 content at 60 characters with a trailing newline. */
export function wrapBase64(encoded: string): string {
  let wrapped = '';
  for (let index = 0; index < encoded.length; index += 60) {
    wrapped += `${encoded.slice(index, index + 60)}\n`;
  }
  return wrapped;
}

export function labelJson(view: RepositoryView, label: LabelRecord): Record<string, unknown> {
  return {
    id: label.id,
    node_id: Buffer.from(`05:Label${label.id}`).toString('base64'),
    url: `${view.apiUrl}/repos/${view.owner}/${view.repo}/labels/${encodeURIComponent(label.name)}`,
    name: label.name,
    color: label.color,
    default: false,
    description: label.description,
  };
}

export function issueCommentJson(
  view: RepositoryView,
  issueNumber: number,
  comment: CommentRecord,
): Record<string, unknown> {
  const repoUrl = `${view.apiUrl}/repos/${view.owner}/${view.repo}`;
  return {
    id: comment.id,
    node_id: Buffer.from(`012:IssueComment${comment.id}`).toString('base64'),
    url: `${repoUrl}/issues/comments/${comment.id}`,
    html_url: `${view.apiUrl}/${view.owner}/${view.repo}/pull/${issueNumber}#issuecomment-${comment.id}`,
    issue_url: `${repoUrl}/issues/${issueNumber}`,
    body: comment.body,
    user: userJson(view.apiUrl, comment.user),
    created_at: comment.createdAt,
    updated_at: comment.createdAt,
    author_association: 'CONTRIBUTOR',
  };
}

export interface Mergeability {
  readonly mergeable: boolean | null;
  readonly mergeableState: string;
}

/** `pull-request-simple` (lists) or, with `mergeability`, the full `pull-request`. */
export function pullRequestJson(
  view: RepositoryView,
  pull: PullRecord,
  labels: readonly LabelRecord[],
  mergeability?: Mergeability,
): Record<string, unknown> {
  const repoUrl = `${view.apiUrl}/repos/${view.owner}/${view.repo}`;
  const url = `${repoUrl}/pulls/${pull.number}`;
  const htmlUrl = `${view.apiUrl}/${view.owner}/${view.repo}/pull/${pull.number}`;
  const issueUrl = `${repoUrl}/issues/${pull.number}`;
  const repository = repositoryJson(view, false);
  const branchJson = (ref: string, sha: string): Record<string, unknown> => ({
    label: `${view.owner}:${ref}`,
    ref,
    sha,
    user: userJson(view.apiUrl, view.owner),
    repo: repository,
  });
  const simple: Record<string, unknown> = {
    url,
    id: pull.id,
    node_id: pull.nodeId,
    html_url: htmlUrl,
    diff_url: `${htmlUrl}.diff`,
    patch_url: `${htmlUrl}.patch`,
    issue_url: issueUrl,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${repoUrl}/pulls/comments{/number}`,
    comments_url: `${issueUrl}/comments`,
    statuses_url: `${repoUrl}/statuses/${pull.headSha}`,
    number: pull.number,
    state: pull.state,
    locked: false,
    title: pull.title,
    user: userJson(view.apiUrl, pull.user),
    body: pull.body,
    labels: labels.map((label) => {
      const json = labelJson(view, label);
      // pull-request-simple documents label descriptions as non-null strings.
      return { ...json, description: label.description ?? '' };
    }),
    milestone: null,
    active_lock_reason: null,
    created_at: pull.createdAt,
    updated_at: pull.updatedAt,
    closed_at: pull.closedAt,
    merged_at: pull.mergedAt,
    merge_commit_sha: pull.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: pull.requestedReviewers.map((login) => userJson(view.apiUrl, login)),
    requested_teams: pull.requestedTeams.map((slug) => teamJson(view, slug)),
    head: branchJson(pull.head, pull.headSha),
    base: branchJson(pull.base, pull.baseSha),
    _links: {
      self: { href: url },
      html: { href: htmlUrl },
      issue: { href: issueUrl },
      comments: { href: `${issueUrl}/comments` },
      review_comments: { href: `${url}/comments` },
      review_comment: { href: `${repoUrl}/pulls/comments{/number}` },
      commits: { href: `${url}/commits` },
      statuses: { href: `${repoUrl}/statuses/${pull.headSha}` },
    },
    author_association: 'CONTRIBUTOR',
    auto_merge: pull.autoMerge
      ? {
          enabled_by: userJson(view.apiUrl, pull.autoMerge.enabledBy),
          merge_method: pull.autoMerge.mergeMethod,
          commit_title: pull.autoMerge.commitTitle,
          commit_message: pull.autoMerge.commitMessage,
        }
      : null,
    draft: pull.draft,
  };
  if (!mergeability) return simple;
  return {
    ...simple,
    merged: pull.merged,
    mergeable: mergeability.mergeable,
    rebaseable: mergeability.mergeable,
    mergeable_state: mergeability.mergeableState,
    merged_by: pull.mergedBy ? userJson(view.apiUrl, pull.mergedBy) : null,
    comments: pull.comments.length,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: 1,
    additions: 0,
    deletions: 0,
    changed_files: 0,
  };
}

function teamJson(view: RepositoryView, slug: string): Record<string, unknown> {
  const id = stableId(`team:${slug}`);
  const url = `${view.apiUrl}/orgs/${view.owner}/teams/${slug}`;
  return {
    id,
    node_id: Buffer.from(`04:Team${id}`).toString('base64'),
    url,
    html_url: `${view.apiUrl}/orgs/${view.owner}/teams/${slug}`,
    name: slug,
    slug,
    description: null,
    privacy: 'closed',
    notification_setting: 'notifications_enabled',
    permission: 'push',
    members_url: `${url}/members{/member}`,
    repositories_url: `${url}/repos`,
    parent: null,
  };
}

/** A small positive integer derived from a name, so ids are stable across runs. */
export function stableId(name: string): number {
  let hash = 7;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) % 1_000_000_007;
  return hash + 1;
}

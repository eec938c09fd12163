import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  authenticate,
  authorize,
  OPERATION_REQUIREMENTS,
  type Actor,
  type TokenGrant,
} from './access.js';
import { GitHubApiError, notFound } from './api-error.js';
import { BareRepository, type PathChange } from './git-repository.js';
import { executeGraphql } from './graphql-api.js';
import { loadGitHubContract, type OperationMatch } from './openapi-contract.js';
import { identityOf, RepositoryState } from './repository-state.js';
import type { PullRecord } from './resources.js';
import { REST_ROUTES, type RouteAnswer } from './rest-routes.js';

/**
 * A GitHub API emulator for tests: node:http on 127.0.0.1 in front of a real bare git repository,
 * with GitHub's statuses and error wording, and every request and response checked against
 * GitHub's OpenAPI description (`violations`).
 */

export type { TokenGrant } from './access.js';
export type { PullRecord } from './resources.js';

export interface GitHubServerOptions {
  /** Default `acme`. */
  owner?: string;
  /** Default `charts`. */
  repo?: string;
  /** Default `main`. */
  defaultBranch?: string;
  /** Files of the initial commit on the default branch; omitted = an empty repository. */
  files?: Record<string, string>;
  /** Token → what it may do; default one `ghs_` token with write on contents and pull requests. */
  tokens?: Record<string, TokenGrant>;
  /** Repository setting "Allow auto-merge"; default false. */
  allowAutoMerge?: boolean;
  /** Setting "Allow GitHub Actions to create … pull requests"; false → 403 for `ghs_` tokens. */
  actionsCanCreatePullRequests?: boolean;
  /**
   * Branch protection on the default branch with these required status checks: pull requests are
   * `blocked` until `passChecks`, merges answer 405 and pushes 422 `Required status check "x" is
   * expected.` Default none.
   */
  requiredChecks?: string[];
  /**
   * Entries a recursive git/get-tree lists before answering `truncated: true` (GitHub: 100 000
   * entries or 7 MB). Default 100 000.
   */
  recursiveTreeLimit?: number;
}

/** An injected failure, consumed in order of registration. */
export interface Fault {
  method?: string;
  /** Tested against the request path with its query string. */
  path: RegExp;
  /** How many matching requests it applies to; default 1. */
  times?: number;
  /** The status to answer with; omit it with `before` to let the request proceed afterwards. */
  status?: number;
  /** Default: GitHub's error body for the status. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Runs before the request is handled (e.g. move a ref between a read and the update). */
  before?: () => Promise<void>;
}

export interface RecordedRequest {
  method: string;
  /** Path with query string, as sent. */
  path: string;
  status: number;
  /** OpenAPI operationId, or `graphql/<field>` for GraphQL. */
  operationId?: string;
}

export interface RunningGitHub {
  /** http://127.0.0.1:<port> — REST base; GraphQL at `${url}/graphql`. */
  readonly url: string;
  /** The default write token. */
  readonly token: string;
  readonly owner: string;
  readonly repo: string;
  /** The bare repository backing the API. */
  readonly gitDir: string;
  readonly requests: RecordedRequest[];
  /** Every request or response that failed the OpenAPI check (tests assert this stays empty). */
  readonly violations: string[];
  addFaults(...faults: Fault[]): void;
  branchSha(branch: string): Promise<string | undefined>;
  /** A file's exact bytes (as UTF-8) at a branch, tag or SHA; undefined when absent. */
  readFile(ref: string, path: string): Promise<string | undefined>;
  /** Someone else pushes: commits file changes (`null` deletes) on a branch, creating it if needed. */
  /** `date` backdates the commit (author and committer), as for a history with soak times. */
  commit(
    branch: string,
    files: Record<string, string | null>,
    message?: string,
    date?: Date,
  ): Promise<string>;
  /** Snapshots of all pull requests. */
  listPulls(): PullRecord[];
  /** Forces `mergeable` (null = still computing; false → 405 on merge); undefined = computed again. */
  setMergeable(pull: number, mergeable: boolean | null | undefined): void;
  /** The required checks pass on the pull request's current head commit. */
  passChecks(pull: number): void;
  /** Checks pass and every open pull request with auto-merge enabled is merged, as on GitHub. */
  completeAutoMerges(): Promise<number[]>;
  close(): Promise<void>;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const MAX_BODY_BYTES = 50 * 1024 * 1024;

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new GitHubApiError(413, 'Request body too large'));
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function defaultErrorMessage(status: number, headers: Record<string, string>): string {
  if ((status === 429 || status === 403) && headers['x-ratelimit-remaining'] === '0') {
    return 'API rate limit exceeded for installation. If you reach out to GitHub Support for help, please include the request ID.';
  }
  if (status === 429 || status === 403) {
    return 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.';
  }
  if (status >= 500) return 'Server Error';
  return 'Fault injected by the test';
}

export async function startGitHubServer(options: GitHubServerOptions = {}): Promise<RunningGitHub> {
  const owner = options.owner ?? 'acme';
  const repo = options.repo ?? 'charts';
  const defaultBranch = options.defaultBranch ?? 'main';
  const contract = loadGitHubContract();
  const git = await BareRepository.create(defaultBranch);

  const defaultToken = `ghs_${randomBytes(18).toString('hex')}`;
  const tokens = new Map<string, TokenGrant>(
    Object.entries(
      options.tokens ?? { [defaultToken]: { contents: 'write', pullRequests: 'write' } },
    ),
  );
  const writeToken =
    [...tokens].find(
      ([, grant]) => grant.contents === 'write' && grant.pullRequests === 'write',
    )?.[0] ??
    [...tokens.keys()][0] ??
    defaultToken;

  let baseUrl = '';
  const state = new RepositoryState(
    git,
    {
      owner,
      repo,
      defaultBranch,
      allowAutoMerge: options.allowAutoMerge ?? false,
      actionsCanCreatePullRequests: options.actionsCanCreatePullRequests ?? true,
      requiredChecks: options.requiredChecks ?? [],
      recursiveTreeLimit: options.recursiveTreeLimit ?? 100_000,
    },
    () => baseUrl,
  );

  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  const faults: (Fault & { remaining: number })[] = [];

  // One request at a time past authentication, as GitHub makes each request atomic (two
  // concurrent creates of the same pull request must not both pass the duplicate check). The
  // test-side writers queue up too; `before` callbacks run outside, so they may use both.
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const result = queue.then(work, work);
    queue = result.catch(() => undefined);
    return result;
  };

  const commitFiles = async (
    branch: string,
    files: Record<string, string | null>,
    message = 'Commit from another writer',
    date?: Date,
  ): Promise<string> =>
    serially(async () => {
      const tip = await git.resolve(`refs/heads/${branch}`);
      const changes = new Map<string, PathChange>();
      for (const [path, content] of Object.entries(files)) {
        changes.set(
          path,
          content === null
            ? null
            : { mode: '100644', sha: await git.writeBlob(Buffer.from(content, 'utf8')) },
        );
      }
      const parentTree = tip ? (await git.readCommit(tip)).tree : undefined;
      const tree = await git.writeTree(parentTree, changes);
      const sha = await git.writeCommit({
        tree,
        parents: tip ? [tip] : [],
        author: identityOf('someone-else', date && Math.floor(date.getTime() / 1000)),
        committer: identityOf('someone-else', date && Math.floor(date.getTime() / 1000)),
        message: `${message}\n`,
      });
      if (!(await git.compareAndSwap(`refs/heads/${branch}`, sha, tip))) {
        throw new Error(`commit(): branch ${branch} moved while committing`);
      }
      await state.syncPulls();
      return sha;
    });

  if (options.files) await commitFiles(defaultBranch, options.files, 'Initial commit');

  const takeFault = (method: string, path: string): Fault | undefined => {
    const index = faults.findIndex(
      (fault) =>
        fault.remaining > 0 &&
        (fault.method === undefined || fault.method.toUpperCase() === method) &&
        matchesPath(fault.path, path),
    );
    const fault = faults[index];
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining === 0) faults.splice(index, 1);
    return fault;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const method = (request.method ?? 'GET').toUpperCase();
    const rawPath = request.url ?? '/';
    const url = new URL(rawPath, 'http://127.0.0.1');
    const record: RecordedRequest = { method, path: rawPath, status: 0 };
    requests.push(record);
    const where = `${method} ${rawPath}`;
    let match: OperationMatch | undefined;
    let answer: RouteAnswer;
    let injected = false;
    try {
      const bytes = await readBody(request);
      const hasBody = bytes.length > 0;
      let body: unknown;
      if (hasBody) {
        try {
          body = JSON.parse(bytes.toString('utf8'));
        } catch {
          throw new GitHubApiError(400, 'Problems parsing JSON');
        }
      }
      const isGraphql = url.pathname === '/graphql';
      if (!isGraphql) {
        match = contract.match(method, url.pathname);
        if (!match) {
          violations.push(`${where}: no operation in GitHub's OpenAPI description matches`);
        } else {
          record.operationId = match.operationId;
          for (const problem of contract.checkRequest(match, url.searchParams, body, hasBody)) {
            violations.push(`${where} (${match.operationId}): ${problem}`);
          }
        }
      } else if (method !== 'POST') {
        throw notFound();
      }

      const fault = takeFault(method, rawPath);
      if (fault?.before) await fault.before();
      if (fault?.status !== undefined) {
        injected = true;
        const message = defaultErrorMessage(fault.status, fault.headers ?? {});
        answer = {
          status: fault.status,
          body: fault.body ?? {
            message,
            documentation_url: 'https://docs.github.com/rest',
            status: String(fault.status),
          },
          headers: fault.headers ?? {},
        };
      } else {
        const actor = authenticate(request.headers.authorization, tokens);
        answer = await serially(async () => {
          await state.syncPulls();
          if (!isGraphql) {
            return answerRest(match, actor, url.searchParams, body, request.headers.accept ?? '');
          }
          const result = await executeGraphql(state, actor, body);
          if (result.fields.length > 0) record.operationId = `graphql/${result.fields.join(',')}`;
          for (const problem of result.problems) violations.push(`${where} (GraphQL): ${problem}`);
          return { status: result.status, body: result.body };
        });
      }
    } catch (error) {
      answer = errorAnswer(error, where, violations);
    }

    record.status = answer.status;
    if (match && !injected) {
      const contentType = answer.raw ? (answer.contentType ?? '') : JSON_TYPE;
      for (const problem of contract.checkResponse(
        match,
        answer.status,
        contentType,
        answer.body,
      )) {
        violations.push(`${where} (${match.operationId}) → ${answer.status}: ${problem}`);
      }
    }
    send(response, answer);
  };

  const answerRest = async (
    match: OperationMatch | undefined,
    actor: Actor,
    query: URLSearchParams,
    body: unknown,
    accept: string,
  ): Promise<RouteAnswer> => {
    if (!match) throw notFound();
    const { owner: requestedOwner = '', repo: requestedRepo = '' } = match.pathParams;
    if (
      requestedOwner.toLowerCase() !== owner.toLowerCase() ||
      requestedRepo.toLowerCase() !== repo.toLowerCase()
    ) {
      throw notFound();
    }
    const route = REST_ROUTES[match.operationId];
    if (!route) {
      violations.push(
        `${match.method} ${match.template}: operation ${match.operationId} is not emulated`,
      );
      throw notFound();
    }
    authorize(actor, OPERATION_REQUIREMENTS[match.operationId]);
    return route({ state, actor, params: match.pathParams, query, body, accept });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      violations.push(
        `emulator failure: ${error instanceof Error ? error.message : String(error)}`,
      );
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    token: writeToken,
    owner,
    repo,
    gitDir: git.gitDir,
    requests,
    violations,
    addFaults: (...added) => {
      for (const fault of added) faults.push({ ...fault, remaining: fault.times ?? 1 });
    },
    branchSha: (branch) => git.resolve(`refs/heads/${branch}`),
    readFile: async (ref, path) => {
      const commit = await state.resolveCommitish(ref);
      if (!commit) return undefined;
      const entry = await git.entryAt((await git.readCommit(commit)).tree, path);
      return entry?.type === 'blob' ? (await git.readBlob(entry.sha)).toString('utf8') : undefined;
    },
    commit: commitFiles,
    listPulls: () =>
      state.pulls.map((pull) => ({
        ...pull,
        labels: [...pull.labels],
        requestedReviewers: [...pull.requestedReviewers],
        requestedTeams: [...pull.requestedTeams],
        comments: [...pull.comments],
        autoMerge: pull.autoMerge ? { ...pull.autoMerge } : null,
      })),
    setMergeable: (pull, mergeable) => {
      if (mergeable === undefined) state.mergeableOverrides.delete(pull);
      else state.mergeableOverrides.set(pull, mergeable);
    },
    passChecks: (number) => {
      const pull = state.findPull(number);
      if (!pull) throw new Error(`passChecks(): there is no pull request #${number}`);
      state.passedChecks.add(pull.headSha);
    },
    completeAutoMerges: () =>
      serially(async () => {
        const merged: number[] = [];
        await state.syncPulls();
        for (const pull of state.pulls) {
          if (pull.state !== 'open' || !pull.autoMerge) continue;
          state.mergeableOverrides.delete(pull.number);
          state.passedChecks.add(pull.headSha);
          await state.mergePull(pull, {
            method: pull.autoMerge.mergeMethod,
            actor: pull.autoMerge.enabledBy,
            commitTitle: pull.autoMerge.commitTitle,
            commitMessage: pull.autoMerge.commitMessage,
          });
          merged.push(pull.number);
        }
        return merged;
      }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await git.remove();
    },
  };
}

function matchesPath(pattern: RegExp, path: string): boolean {
  // A RegExp with the `g` or `y` flag keeps its position between calls of `test`.
  pattern.lastIndex = 0;
  return pattern.test(path);
}

function errorAnswer(error: unknown, where: string, violations: string[]): RouteAnswer {
  if (error instanceof GitHubApiError) {
    return { status: error.status, body: error.toBody(), headers: error.options.headers ?? {} };
  }
  violations.push(
    `${where}: emulator failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  return {
    status: 500,
    body: {
      message: 'Server Error',
      documentation_url: 'https://docs.github.com/rest',
      status: '500',
    },
  };
}

function send(response: ServerResponse, answer: RouteAnswer): void {
  const headers: Record<string, string> = {
    'x-github-media-type': 'github.v3; format=json',
    'x-github-request-id': randomBytes(8).toString('hex').toUpperCase(),
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': '4999',
    'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
    ...answer.headers,
  };
  if (answer.raw) {
    response.writeHead(answer.status, {
      ...headers,
      'content-type': answer.contentType ?? 'application/octet-stream',
    });
    response.end(answer.raw);
    return;
  }
  if (answer.body === undefined) {
    response.writeHead(answer.status, headers);
    response.end();
    return;
  }
  response.writeHead(answer.status, { ...headers, 'content-type': JSON_TYPE });
  response.end(JSON.stringify(answer.body));
}

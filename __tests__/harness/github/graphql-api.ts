import { schema as githubSchema } from '@octokit/graphql-schema';
import {
  buildClientSchema,
  execute,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type GraphQLError,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import { authorize, OPERATION_REQUIREMENTS, type Actor } from './access.js';
import { GitHubApiError } from './api-error.js';
import type { PathChange } from './git-repository.js';
import type { PullRecord } from './resources.js';
import { identityOf, type MergeMethod, type RepositoryState } from './repository-state.js';

/**
 * POST /graphql, executed by graphql-js against GitHub's published schema, with resolvers for
 * the few fields this project uses. Errors carry GitHub's top-level `type` (STALE_DATA,
 * NOT_FOUND, FORBIDDEN, UNPROCESSABLE) and come back with HTTP 200, as on GitHub.
 */

class GraphqlFailure extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

let compiledSchema: GraphQLSchema | undefined;

function githubGraphqlSchema(): GraphQLSchema {
  compiledSchema ??= buildClientSchema(githubSchema.json as unknown as IntrospectionQuery);
  return compiledSchema;
}

export interface GraphqlAnswer {
  readonly status: number;
  readonly body: unknown;
  /** Top-level fields of the operation, e.g. `createCommitOnBranch`. */
  readonly fields: readonly string[];
  /** Why the document is not valid against GitHub's schema (a client bug, like an OpenAPI violation). */
  readonly problems: readonly string[];
}

type JsonRecord = Record<string, unknown>;

function asRecord(value: unknown): JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonRecord)
    : {};
}

function topLevelFields(document: DocumentNode, operationName: string | undefined): string[] {
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    if (operationName && definition.name?.value !== operationName) continue;
    return definition.selectionSet.selections.flatMap((selection) =>
      selection.kind === Kind.FIELD ? [selection.name.value] : [],
    );
  }
  return [];
}

export async function executeGraphql(
  state: RepositoryState,
  actor: Actor,
  requestBody: unknown,
): Promise<GraphqlAnswer> {
  const body = asRecord(requestBody);
  const query = typeof body.query === 'string' ? body.query : undefined;
  if (!query)
    throw new GitHubApiError(400, 'A query attribute must be specified and must be a string.');
  const operationName = typeof body.operationName === 'string' ? body.operationName : undefined;
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      status: 200,
      fields: [],
      problems: [message],
      body: { errors: [{ message, type: 'PARSE_ERROR' }] },
    };
  }
  const fields = topLevelFields(document, operationName);
  const schema = githubGraphqlSchema();
  const invalid = validate(schema, document);
  if (invalid.length > 0) {
    return {
      status: 200,
      fields,
      problems: invalid.map((error) => error.message),
      body: { errors: invalid.map((error) => formatError(error)) },
    };
  }
  const result = await execute({
    schema,
    document,
    rootValue: rootResolvers(state, actor),
    variableValues: asRecord(body.variables),
    ...(operationName ? { operationName } : {}),
  });
  return {
    status: 200,
    fields,
    problems: [],
    body: {
      ...(result.data === undefined ? {} : { data: result.data }),
      ...(result.errors ? { errors: result.errors.map((error) => formatError(error)) } : {}),
    },
  };
}

function formatError(error: GraphQLError): JsonRecord {
  const original = error.originalError;
  const type = original instanceof GraphqlFailure ? original.type : undefined;
  return {
    ...(type ? { type } : {}),
    ...(error.path ? { path: error.path } : {}),
    ...(error.locations ? { locations: error.locations } : {}),
    message: error.message,
  };
}

function requirePermission(actor: Actor, field: string): void {
  try {
    authorize(actor, OPERATION_REQUIREMENTS[`graphql/${field}`]);
  } catch (error) {
    if (error instanceof GitHubApiError)
      throw new GraphqlFailure(error.status === 404 ? 'NOT_FOUND' : 'FORBIDDEN', error.message);
    throw error;
  }
}

function pullRequestNode(state: RepositoryState, pull: PullRecord): JsonRecord {
  const view = state.view();
  return {
    __typename: 'PullRequest',
    id: pull.nodeId,
    number: pull.number,
    title: pull.title,
    body: pull.body ?? '',
    url: `${view.apiUrl}/${view.owner}/${view.repo}/pull/${pull.number}`,
    state: pull.merged ? 'MERGED' : pull.state === 'open' ? 'OPEN' : 'CLOSED',
    merged: pull.merged,
    isDraft: pull.draft,
    headRefName: pull.head,
    headRefOid: pull.headSha,
    baseRefName: pull.base,
    autoMergeRequest: pull.autoMerge
      ? {
          mergeMethod: pull.autoMerge.mergeMethod.toUpperCase(),
          commitHeadline: pull.autoMerge.commitTitle,
          commitBody: pull.autoMerge.commitMessage,
          enabledBy: {
            __typename: pull.autoMerge.enabledBy.endsWith('[bot]') ? 'Bot' : 'User',
            login: pull.autoMerge.enabledBy,
          },
        }
      : null,
    mergeable: async () => {
      const { mergeable } = await state.mergeability(pull, false);
      return mergeable === null ? 'UNKNOWN' : mergeable ? 'MERGEABLE' : 'CONFLICTING';
    },
  };
}

function rootResolvers(state: RepositoryState, actor: Actor): JsonRecord {
  const { owner, repo, defaultBranch, allowAutoMerge } = state.settings;
  const nameWithOwner = `${owner}/${repo}`;
  const view = state.view();
  const commitNode = (oid: string): JsonRecord => ({
    __typename: 'Commit',
    oid,
    url: `${view.apiUrl}/${owner}/${repo}/commit/${oid}`,
  });
  const refNode = async (name: string): Promise<JsonRecord | null> => {
    const oid = await state.branchSha(name);
    return oid ? { name, prefix: 'refs/heads/', target: commitNode(oid) } : null;
  };
  return {
    viewer: () => ({ login: actor.login }),
    repository: (args: { owner: string; name: string }) => {
      if (`${args.owner}/${args.name}`.toLowerCase() !== nameWithOwner.toLowerCase()) {
        throw new GraphqlFailure(
          'NOT_FOUND',
          `Could not resolve to a Repository with the name '${args.owner}/${args.name}'.`,
        );
      }
      return {
        id: Buffer.from(`010:Repository${state.id}`).toString('base64'),
        name: repo,
        nameWithOwner,
        autoMergeAllowed: allowAutoMerge,
        defaultBranchRef: () => refNode(defaultBranch),
        ref: (refArgs: { qualifiedName: string }) =>
          refNode(refArgs.qualifiedName.replace(/^refs\/heads\//, '')),
        pullRequest: (pullArgs: { number: number }) => {
          const pull = state.findPull(pullArgs.number);
          if (!pull) {
            throw new GraphqlFailure(
              'NOT_FOUND',
              `Could not resolve to a PullRequest with the number of ${pullArgs.number}.`,
            );
          }
          return pullRequestNode(state, pull);
        },
      };
    },
    createCommitOnBranch: async (args: { input: JsonRecord }) => {
      requirePermission(actor, 'createCommitOnBranch');
      return createCommitOnBranch(state, actor, args.input);
    },
    enablePullRequestAutoMerge: async (args: { input: JsonRecord }) => {
      requirePermission(actor, 'enablePullRequestAutoMerge');
      return enableAutoMerge(state, actor, args.input);
    },
  };
}

async function createCommitOnBranch(
  state: RepositoryState,
  actor: Actor,
  input: JsonRecord,
): Promise<JsonRecord> {
  const { owner, repo } = state.settings;
  const branchInput = asRecord(input.branch);
  const target =
    typeof branchInput.repositoryNameWithOwner === 'string'
      ? branchInput.repositoryNameWithOwner
      : '';
  if (target.toLowerCase() !== `${owner}/${repo}`.toLowerCase()) {
    throw new GraphqlFailure(
      'NOT_FOUND',
      `Could not resolve to a Repository with the name '${target}'.`,
    );
  }
  const branch = typeof branchInput.branchName === 'string' ? branchInput.branchName : '';
  const expectedHeadOid = String(input.expectedHeadOid);
  const current = await state.branchSha(branch);
  if (!current) {
    throw new GraphqlFailure('NOT_FOUND', `A ref named "refs/heads/${branch}" does not exist.`);
  }
  const stale = new GraphqlFailure(
    'STALE_DATA',
    `Expected branch to point to "${expectedHeadOid}" but it did not. Pull and try again.`,
  );
  if (current !== expectedHeadOid) throw stale;
  const check = state.missingCheck(branch, '');
  if (check)
    throw new GraphqlFailure('UNPROCESSABLE', `Required status check "${check}" is expected.`);
  const changes = new Map<string, PathChange>();
  const fileChanges = asRecord(input.fileChanges);
  for (const deletion of Array.isArray(fileChanges.deletions) ? fileChanges.deletions : []) {
    changes.set(String(asRecord(deletion).path), null);
  }
  for (const addition of Array.isArray(fileChanges.additions) ? fileChanges.additions : []) {
    const record = asRecord(addition);
    const sha = await state.git.writeBlob(Buffer.from(String(record.contents), 'base64'));
    changes.set(String(record.path), { mode: '100644', sha });
  }
  const message = asRecord(input.message);
  const headline = typeof message.headline === 'string' ? message.headline : '';
  const bodyText =
    typeof message.body === 'string' && message.body !== '' ? `\n\n${message.body}` : '';
  const parent = await state.git.readCommit(current);
  const tree = await state.git.writeTree(parent.tree, changes);
  const author = identityOf(actor.login);
  const oid = await state.git.writeCommit({
    tree,
    parents: [current],
    author,
    committer: identityOf('GitHub'),
    message: `${headline}${bodyText}\n`,
  });
  if (!(await state.git.compareAndSwap(`refs/heads/${branch}`, oid, current))) throw stale;
  await state.syncPulls();
  const view = state.view();
  return {
    clientMutationId: input.clientMutationId ?? null,
    commit: { __typename: 'Commit', oid, url: `${view.apiUrl}/${owner}/${repo}/commit/${oid}` },
    ref: { name: branch, prefix: 'refs/heads/' },
  };
}

async function enableAutoMerge(
  state: RepositoryState,
  actor: Actor,
  input: JsonRecord,
): Promise<JsonRecord> {
  const nodeId = String(input.pullRequestId);
  const pull = state.findPullByNodeId(nodeId);
  if (!pull)
    throw new GraphqlFailure(
      'NOT_FOUND',
      `Could not resolve to a node with the global id of '${nodeId}'`,
    );
  if (!state.settings.allowAutoMerge) {
    throw new GraphqlFailure('UNPROCESSABLE', 'Auto merge is not allowed for this repository');
  }
  if (pull.state !== 'open')
    throw new GraphqlFailure('UNPROCESSABLE', 'Pull request Pull request is closed');
  const { mergeableState } = await state.mergeability(pull, false);
  if (mergeableState === 'clean' || mergeableState === 'unstable') {
    throw new GraphqlFailure(
      'UNPROCESSABLE',
      `Pull request Pull request is in ${mergeableState} status`,
    );
  }
  const method = (
    typeof input.mergeMethod === 'string' ? input.mergeMethod : 'MERGE'
  ).toLowerCase() as MergeMethod;
  pull.autoMerge = {
    mergeMethod: method,
    enabledBy: actor.login,
    commitTitle:
      typeof input.commitHeadline === 'string'
        ? input.commitHeadline
        : `${pull.title} (#${pull.number})`,
    commitMessage: typeof input.commitBody === 'string' ? input.commitBody : '',
  };
  return {
    clientMutationId: input.clientMutationId ?? null,
    actor: { __typename: actor.login.endsWith('[bot]') ? 'Bot' : 'User', login: actor.login },
    pullRequest: pullRequestNode(state, pull),
  };
}

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * GitHub's published OpenAPI description, used to check every request the emulator receives and
 * every response it sends, so the emulator cannot drift from what api.github.com documents.
 * Loaded once per process (13 MB, ~0.2 s); validators are compiled lazily and cached.
 */

type JsonObject = Record<string, unknown>;

interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonObject;
}

interface OperationObject {
  operationId: string;
  parameters?: (ParameterObject | { $ref: string })[];
  requestBody?: { content?: Record<string, { schema?: JsonObject }>; required?: boolean };
  responses: Record<string, JsonObject>;
}

interface PathTemplate {
  readonly template: string;
  readonly segments: readonly string[];
  readonly literalCount: number;
}

export interface OperationMatch {
  readonly operationId: string;
  readonly method: string;
  readonly template: string;
  /** Path parameters, percent-decoded. */
  readonly pathParams: Readonly<Record<string, string>>;
}

/** Parameters that may hold `/` (GitHub takes the rest of the path for them). */
const MULTI_SEGMENT_PARAMS = new Set(['path', 'ref', 'branch']);
const HTTP_METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head', 'options'] as const;
const SPEC_ID = 'api.github.com.json';
const BASIC_ERROR = { $ref: `${SPEC_ID}#/components/schemas/basic-error` };

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * OpenAPI 3.0 `nullable` is only understood by Ajv next to `type`; rewrite every nullable node
 * into JSON Schema (type arrays, `null` in enums, `anyOf` with null), read `oneOf` as `anyOf`, and
 * make `$ref`s absolute so any subtree can be compiled on its own against the registered document.
 */
function normaliseNode(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(normaliseNode);
  if (!isObject(node)) return node;
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#/')) {
      result[key] = `${SPEC_ID}${value}`;
    } else if (key === 'example' || key === 'examples') {
      // Examples are large and irrelevant to validation.
      continue;
    } else if (key === 'oneOf' && Array.isArray(value)) {
      // GitHub's alternatives overlap (basic-error vs repository-rule-violation-error, nullable
      // scalars in validation-error): "exactly one" rejects valid bodies, so require "at least one".
      result.anyOf = normaliseNode(value);
    } else {
      result[key] = normaliseNode(value);
    }
  }
  if (!('nullable' in result)) return result;
  const nullable = result.nullable === true;
  delete result.nullable;
  if (!nullable) return result;
  if (typeof result.type === 'string') {
    result.type = [result.type, 'null'];
    if (Array.isArray(result.enum) && !result.enum.includes(null)) {
      result.enum = [...(result.enum as unknown[]), null];
    }
    return result;
  }
  return { anyOf: [result, { type: 'null' }] };
}

function formatErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 5)
    .map((error) => `${error.instancePath || '(root)'} ${error.message ?? 'is invalid'}`)
    .join('; ');
}

function newAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes, validateFormats: true });
  // ajv-formats is CommonJS with `exports.default`; under NodeNext the import is the module object.
  const addFormats = (addFormatsModule as unknown as { default: (ajv: Ajv) => Ajv }).default;
  addFormats(ajv);
  ajv.addFormat('repo.nwo', /^[\w.-]+\/[\w.-]+$/);
  ajv.addFormat('timestamp', true);
  return ajv;
}

export class OpenApiContract {
  private readonly spec: { paths: Record<string, Record<string, unknown>>; components: JsonObject };
  private readonly templatesByMethod = new Map<string, PathTemplate[]>();
  private readonly bodyAjv: Ajv;
  private readonly paramAjv: Ajv;
  private readonly validators = new Map<string, ValidateFunction | null>();

  constructor(specPath: string) {
    const raw: unknown = JSON.parse(readFileSync(specPath, 'utf8'));
    this.spec = normaliseNode(raw) as typeof this.spec;
    for (const [template, item] of Object.entries(this.spec.paths)) {
      const segments = template.split('/').slice(1);
      const literalCount = segments.filter((segment) => !segment.startsWith('{')).length;
      for (const method of HTTP_METHODS) {
        if (!isObject(item[method])) continue;
        const list = this.templatesByMethod.get(method.toUpperCase()) ?? [];
        list.push({ template, segments, literalCount });
        this.templatesByMethod.set(method.toUpperCase(), list);
      }
    }
    for (const list of this.templatesByMethod.values()) {
      list.sort((a, b) => b.literalCount - a.literalCount);
    }
    this.bodyAjv = newAjv(false);
    this.paramAjv = newAjv(true);
    this.bodyAjv.addSchema(this.spec, SPEC_ID);
    this.paramAjv.addSchema(this.spec, SPEC_ID);
  }

  /** Matches a request path (as sent, percent-encoded, without query) to an operation. */
  match(method: string, rawPath: string): OperationMatch | undefined {
    const requestSegments = rawPath.split('/').slice(1);
    let best:
      { template: PathTemplate; params: Record<string, string>; swallowed: number } | undefined;
    for (const template of this.templatesByMethod.get(method.toUpperCase()) ?? []) {
      if (best && template.literalCount < best.template.literalCount) break;
      const found = matchSegments(template.segments, requestSegments);
      if (found && (!best || found.swallowed < best.swallowed)) {
        best = { template, params: found.params, swallowed: found.swallowed };
      }
    }
    if (!best) return undefined;
    const operation = this.operation(method, best.template.template);
    return {
      operationId: operation.operationId,
      method: method.toUpperCase(),
      template: best.template.template,
      pathParams: best.params,
    };
  }

  /** Problems with the request's parameters and JSON body, as readable strings. */
  checkRequest(
    match: OperationMatch,
    query: URLSearchParams,
    body: unknown,
    hasBody: boolean,
  ): string[] {
    const problems: string[] = [];
    const operation = this.operation(match.method, match.template);
    const parameters = (operation.parameters ?? []).map((parameter) =>
      this.resolveParameter(parameter),
    );
    const values: Record<string, string> = { ...match.pathParams };
    const known = new Set(parameters.map((parameter) => parameter.name));
    for (const [name, value] of query) {
      if (!known.has(name)) problems.push(`query parameter "${name}" is not documented`);
      else values[name] = value;
    }
    const relevant = parameters.filter((p) => p.in === 'path' || p.in === 'query');
    const validate = this.compile(
      `params:${match.operationId}`,
      {
        type: 'object',
        properties: Object.fromEntries(relevant.map((p) => [p.name, p.schema ?? {}])),
        required: relevant.filter((p) => p.required).map((p) => p.name),
      },
      this.paramAjv,
    );
    if (validate && !validate(values))
      problems.push(`parameters: ${formatErrors(validate.errors)}`);

    const bodySchema = operation.requestBody?.content?.['application/json']?.schema;
    if (!hasBody) {
      if (operation.requestBody?.required) problems.push('request body is required');
    } else if (!bodySchema) {
      problems.push('this operation takes no JSON request body');
    } else {
      const validateBody = this.compile(`body:${match.operationId}`, bodySchema, this.bodyAjv);
      if (validateBody && !validateBody(body)) {
        problems.push(`request body: ${formatErrors(validateBody.errors)}`);
      }
    }
    return problems;
  }

  /**
   * Problems with a response. Undocumented error statuses (401, 429, 5xx) are checked against
   * `basic-error`, which is what GitHub sends for them; an undocumented success is a problem.
   */
  checkResponse(
    match: OperationMatch,
    status: number,
    contentType: string,
    body: unknown,
  ): string[] {
    const operation = this.operation(match.method, match.template);
    const response = this.resolveResponse(operation.responses[String(status)]);
    if (!response) {
      if (status < 400) return [`status ${status} is not documented`];
      return this.checkAgainst('basic-error', BASIC_ERROR, body);
    }
    const content = response.content as Record<string, { schema?: JsonObject }> | undefined;
    if (!content || Object.keys(content).length === 0) {
      if (body === undefined) return [];
      // GitHub sends its error body even where the description documents none (delete-ref 422).
      if (status >= 400) return this.checkAgainst('basic-error', BASIC_ERROR, body);
      return [`status ${status} documents no body, but one was sent`];
    }
    const mediaType = contentType.split(';')[0]?.trim() ?? '';
    if (mediaType !== 'application/json') return [];
    const schema = content['application/json']?.schema;
    if (!schema) return [];
    return this.checkAgainst(`response:${match.operationId}:${status}`, schema, body);
  }

  private checkAgainst(key: string, schema: JsonObject, body: unknown): string[] {
    const validate = this.compile(key, schema, this.bodyAjv);
    if (!validate || validate(body)) return [];
    return [`response body: ${formatErrors(validate.errors)}`];
  }

  private operation(method: string, template: string): OperationObject {
    return this.spec.paths[template]?.[method.toLowerCase()] as OperationObject;
  }

  private resolveRef(ref: string): JsonObject | undefined {
    const pointer = ref.slice(ref.indexOf('#') + 2).split('/');
    let node: unknown = this.spec;
    for (const part of pointer) {
      node = isObject(node) ? node[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
    }
    return isObject(node) ? node : undefined;
  }

  private resolveParameter(parameter: ParameterObject | { $ref: string }): ParameterObject {
    return '$ref' in parameter
      ? (this.resolveRef(parameter.$ref) as unknown as ParameterObject)
      : parameter;
  }

  private resolveResponse(response: JsonObject | undefined): JsonObject | undefined {
    if (response && typeof response.$ref === 'string') return this.resolveRef(response.$ref);
    return response;
  }

  private compile(key: string, schema: JsonObject, ajv: Ajv): ValidateFunction | undefined {
    const cacheKey = `${ajv === this.paramAjv ? 'p' : 'b'}:${key}`;
    if (!this.validators.has(cacheKey)) {
      try {
        this.validators.set(cacheKey, ajv.compile(schema));
      } catch {
        // A schema Ajv cannot compile would turn every check into noise; skip it.
        this.validators.set(cacheKey, null);
      }
    }
    return this.validators.get(cacheKey) ?? undefined;
  }
}

/**
 * Segment-wise match with backtracking: a multi-segment parameter may take one or more
 * segments; every other parameter takes exactly one (percent-decoded).
 */
function matchSegments(
  template: readonly string[],
  request: readonly string[],
): { params: Record<string, string>; swallowed: number } | undefined {
  const walk = (
    t: number,
    r: number,
    params: Record<string, string>,
    swallowed: number,
  ): { params: Record<string, string>; swallowed: number } | undefined => {
    if (t === template.length) return r === request.length ? { params, swallowed } : undefined;
    const segment = template[t] ?? '';
    if (r >= request.length) {
      // `contents/{path}` with an empty path: Octokit drops the trailing slash (repo root).
      const rootPath = segment === '{path}' && t === template.length - 1;
      return rootPath ? { params: { ...params, path: '' }, swallowed } : undefined;
    }
    if (!segment.startsWith('{')) {
      return segment === request[r] ? walk(t + 1, r + 1, params, swallowed) : undefined;
    }
    const name = segment.slice(1, -1);
    const maxTake = MULTI_SEGMENT_PARAMS.has(name) ? request.length - r : 1;
    for (let take = 1; take <= maxTake; take++) {
      let decoded: string;
      try {
        decoded = request
          .slice(r, r + take)
          .map((part) => decodeURIComponent(part))
          .join('/');
      } catch {
        return undefined;
      }
      if (decoded === '' && name !== 'path') return undefined;
      const found = walk(t + 1, r + take, { ...params, [name]: decoded }, swallowed + take - 1);
      if (found) return found;
    }
    return undefined;
  };
  return walk(0, 0, {}, 0);
}

let shared: OpenApiContract | undefined;

/** The process-wide contract (parsing the description once per test worker). */
export function loadGitHubContract(): OpenApiContract {
  if (!shared) {
    const require = createRequire(import.meta.url);
    const packageJson = require.resolve('@octokit/openapi/package.json');
    shared = new OpenApiContract(
      packageJson.replace(/package\.json$/, 'generated/api.github.com.json'),
    );
  }
  return shared;
}

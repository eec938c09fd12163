import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readActionInputs } from '../../src/action/runner.js';
import { INPUT_NAMES, defaultInputs } from '../../src/config/inputs.js';

const actionYml = fileURLToPath(new URL('../../action.yml', import.meta.url));

async function actionInputs(): Promise<Record<string, { default?: string }>> {
  const action = parse(await readFile(actionYml, 'utf8')) as {
    inputs: Record<string, { default?: string }>;
  };
  return action.inputs;
}

describe('the input table', () => {
  it('lists exactly the inputs of action.yml, in its order', async () => {
    expect([...INPUT_NAMES]).toEqual(Object.keys(await actionInputs()));
  });

  it('has the defaults of action.yml', async () => {
    const fromActionYml = Object.fromEntries(
      Object.entries(await actionInputs()).map(([name, input]) => [name, input.default ?? '']),
    );
    expect(defaultInputs()).toEqual(fromActionYml);
  });

  it('gives a frozen copy', () => {
    expect(Object.isFrozen(defaultInputs())).toBe(true);
  });
});

describe('readActionInputs', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('reads INPUT_* variables the way the runner sets them, defaulting empty ones', () => {
    for (const name of INPUT_NAMES) delete process.env[`INPUT_${name.toUpperCase()}`];
    process.env['INPUT_IMAGES'] = ' frontend=lyzhang1999/frontend\nbackend=lyzhang1999/backend \n';
    process.env['INPUT_UPDATE-STRATEGY'] = '';
    process.env['INPUT_APP-NAME'] = 'example';
    const inputs = readActionInputs();
    expect(inputs.images).toBe('frontend=lyzhang1999/frontend\nbackend=lyzhang1999/backend');
    expect(inputs['update-strategy']).toBe('newest-build');
    expect(inputs['app-name']).toBe('example');
    expect(inputs['chart-path']).toBe('.');
  });
});

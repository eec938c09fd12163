import * as core from '@actions/core';
import { INPUT_NAMES, defaultInputs, type InputName, type RawInputs } from '../config/inputs.js';
import type { Logger } from '../core/logging.js';

/**
 * The action's two edges onto the runner that go through `@actions/core`: its inputs and its
 * log. Kept apart so the command-line entry, which has neither, does not load `@actions/core`.
 */

/**
 * Reads every input through `@actions/core` (the only caller of `getInput`). The runner fills in
 * action.yml's defaults; an input set to an empty string falls back to the default as well, so
 * `update-strategy: ''` means the default strategy rather than an error.
 */
export function readActionInputs(): RawInputs {
  const defaults = defaultInputs();
  const values = {} as Record<InputName, string>;
  for (const name of INPUT_NAMES) {
    // Multi-line inputs (images, registry-credentials) keep their inner newlines; getInput trims the ends.
    const value = core.getInput(name);
    values[name] = value === '' ? defaults[name] : value;
  }
  return Object.freeze(values);
}

/** The Actions adapter of the Logger: workflow commands through `@actions/core`. */
export function createActionsLogger(): Logger {
  const masked = new Set<string>();
  return {
    debug: (message) => core.debug(message),
    info: (message) => core.info(message),
    warning: (message) => core.warning(message),
    error: (message) => core.error(message),
    setSecret: (value) => {
      if (value.length === 0 || masked.has(value)) return;
      masked.add(value);
      core.setSecret(value);
    },
    group: (name, fn) => core.group(name, fn),
  };
}

import type { ChartFiles } from '../files.js';
import type { Logger } from '../logging.js';
import type { SettingsDraft } from './draft.js';

export async function draftFromArgoCd(
  _files: ChartFiles,
  _defaults: SettingsDraft['defaults'],
  _logger: Logger,
): Promise<SettingsDraft> {
  return Promise.reject(new Error('not yet'));
}

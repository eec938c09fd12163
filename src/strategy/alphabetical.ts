import { compareNamesDescending, type RankingStrategy } from './ranking.js';

/** alphabetical (alias `name`): plain byte order, the last name first, as argocd-image-updater sorts. */
export const alphabeticalStrategy: RankingStrategy = {
  kind: 'ranking',
  name: 'alphabetical',
  describe: 'last tag in byte order',
  tiedOn: 'name',
  needsMetadataToOrder: false,
  order(candidates) {
    const ordered = [...candidates].sort((a, b) => compareNamesDescending(a.tag, b.tag));
    return { ordered, skipped: [], ties: new Map() };
  },
  compare(a, b) {
    return compareNamesDescending(b.tag, a.tag);
  },
};

/**
 * Texts written to GitHub: pull request title and body, commit message, job summary. Pure
 * functions of the change set; everything shown comes from files, tags and image labels, never
 * from settings that could hold a secret.
 */
import type { TagMetadata } from '../../registry/types.js';
import type { Decision } from '../../core/decision.js';
import type { ChangeSet, PublishResult, Update } from '../../core/changes.js';

const TITLE_PREFIX = 'chore(images): ';
const SOURCE_LABEL = 'org.opencontainers.image.source';
const REVISION_LABEL = 'org.opencontainers.image.revision';

/** `chore(images): update frontend to main-b99bc73 (dev)`. */
export function pullRequestTitle(changeSet: ChangeSet): string {
  const changed = changedImages(changeSet);
  let summary: string;
  const [first, second] = changed;
  if (first === undefined) summary = 'update images';
  else if (second === undefined) summary = `update ${first.alias} to ${first.version}`;
  else if (changed.length === 2)
    summary = `update ${first.alias} to ${first.version} and ${second.alias} to ${second.version}`;
  else summary = `update ${changed.length} images`;
  const environment = changeSet.environment === undefined ? '' : ` (${changeSet.environment})`;
  return oneLine(`${TITLE_PREFIX}${summary}${environment}`);
}

/** The title, a blank line, and one line per changed scalar. */
export function commitMessage(changeSet: ChangeSet): string {
  const lines = changeSet.updates.map(
    (update) => `${update.key} in ${update.file}: ${update.from ?? '(not set)'} → ${update.to}`,
  );
  return [pullRequestTitle(changeSet), '', ...lines.map(oneLine)].join('\n');
}

/** The pull request body: what changed and why, what did not and why, and the unit marker. */
export function pullRequestBody(changeSet: ChangeSet): string {
  const sections = [
    unitMarker(changeSet),
    `Image updates for target ${code(changeSet.target)}` +
      (changeSet.environment === undefined ? '.' : `, environment ${code(changeSet.environment)}.`),
    '',
    updatesTable([changeSet]),
  ];
  const promoted = promotionList([changeSet]);
  if (promoted !== '') sections.push('', '### Promotion', '', promoted);
  const verified = verificationList([changeSet]);
  if (verified !== '') sections.push('', '### Verification', '', verified);
  const files = filesList(changeSet);
  if (files !== '') sections.push('', '### Files', '', files);
  const unchanged = unchangedTable([changeSet]);
  if (unchanged !== '') sections.push('', '### Not changed', '', unchanged);
  sections.push(
    '',
    '---',
    '_Opened by helm-image-updater. The branch is rewritten when a newer image arrives; ' +
      'edits pushed to it are replaced._',
  );
  return sections.join('\n') + '\n';
}

/** The job summary of a whole run: one row per publication unit, then every update and decision. */
export function stepSummary(
  changeSets: readonly ChangeSet[],
  results: readonly PublishResult[],
): string {
  const lines = ['## helm-image-updater', ''];
  if (results.length > 0) {
    lines.push('| Target | Environment | Result | Pull request / commit | Notes |');
    lines.push('|---|---|---|---|---|');
    for (const result of results) {
      lines.push(
        row([
          escapeCell(result.target),
          escapeCell(result.environment ?? '—'),
          escapeCell(result.action),
          resultLink(result),
          escapeCell(result.warnings.join(' ')),
        ]),
      );
    }
    lines.push('');
  }
  const withUpdates = changeSets.filter((changeSet) => changeSet.updates.length > 0);
  if (withUpdates.length > 0) lines.push('### Updates', '', updatesTable(withUpdates), '');
  else lines.push('No image needed an update.', '');
  const promoted = promotionList(changeSets);
  if (promoted !== '') lines.push('### Promotion', '', promoted, '');
  const verified = verificationList(withUpdates);
  if (verified !== '') lines.push('### Verification', '', verified, '');
  const unchanged = unchangedTable(changeSets);
  if (unchanged !== '') lines.push('### Not changed', '', unchanged, '');
  return lines.join('\n');
}

/**
 * Identifies the publication unit in a body, so a reader (or a later run) can tell which
 * target and environment a pull request belongs to.
 */
export function unitMarker(changeSet: Pick<ChangeSet, 'target' | 'environment'>): string {
  const environment =
    changeSet.environment === undefined ? '' : ` environment=${markerValue(changeSet.environment)}`;
  return `<!-- helm-image-updater target=${markerValue(changeSet.target)}${environment} -->`;
}

interface ChangedImage {
  readonly alias: string;
  readonly version: string;
}

/** Changed images in the order of the updates, with the value a human recognises (the tag). */
function changedImages(changeSet: ChangeSet): ChangedImage[] {
  const seen = new Map<string, ChangedImage>();
  for (const update of changeSet.updates) {
    if (seen.has(update.image)) continue;
    const decision = changeSet.decisions.find((candidate) => candidate.alias === update.image);
    const version = decision?.chosen ?? tagOf(update);
    seen.set(update.image, { alias: update.image, version: shortenDigest(version) });
  }
  return [...seen.values()];
}

/** The update carrying the tag: for a `repo:tag` image-spec key, the part after the repository. */
function tagOf(update: Update): string {
  const slash = update.to.lastIndexOf('/');
  const colon = update.to.indexOf(':', slash + 1);
  return colon > 0 ? update.to.slice(colon + 1) : update.to;
}

/** `latest@sha256:<64 hex>` → `latest@sha256:<12 hex>`; titles stay readable. */
function shortenDigest(value: string): string {
  return value.replace(/(sha256:[0-9a-f]{12})[0-9a-f]{52}\b/g, '$1');
}

interface UpdateRow {
  readonly environment: string | undefined;
  readonly decision: Decision | undefined;
  readonly alias: string;
  readonly from: string | undefined;
  readonly to: string;
  readonly digest: string | undefined;
}

function updatesTable(changeSets: readonly ChangeSet[]): string {
  const rows: UpdateRow[] = [];
  for (const changeSet of changeSets) {
    const byImage = new Map<string, UpdateRow>();
    for (const update of changeSet.updates) {
      const decision = changeSet.decisions.find((candidate) => candidate.alias === update.image);
      if (byImage.has(update.image)) continue;
      byImage.set(update.image, {
        environment: changeSet.environment,
        decision,
        alias: update.image,
        from: decision?.current ?? update.from,
        to: decision?.chosen ?? update.to,
        digest: update.digest ?? decision?.metadata?.digest,
      });
    }
    rows.push(...byImage.values());
  }
  if (rows.length === 0) return '_No changes._';
  const lines = [
    '| Environment | Image | Old → New | Digest | Built | Source |',
    '|---|---|---|---|---|---|',
  ];
  for (const entry of rows) {
    lines.push(
      row([
        escapeCell(entry.environment ?? '—'),
        imageCell(entry.alias, entry.decision?.image),
        `${entry.from === undefined ? '_(not set)_' : code(entry.from)} → ${code(entry.to)}`,
        entry.digest === undefined ? '—' : code(shortDigest(entry.digest)),
        escapeCell(buildTime(entry.decision?.metadata)),
        sourceLink(entry.decision),
      ]),
    );
  }
  return lines.join('\n');
}

/**
 * How each updated image was verified (key fingerprint; identity, issuer and Rekor log index;
 * provenance builder and source commit), one line per method.
 */
function verificationList(changeSets: readonly ChangeSet[]): string {
  const lines: string[] = [];
  for (const changeSet of changeSets) {
    for (const decision of changeSet.decisions) {
      if (!decision.changed || decision.verification === undefined) continue;
      if (decision.chosen === undefined) continue;
      const where = changeSet.environment === undefined ? '' : ` (${changeSet.environment})`;
      for (const evidence of decision.verification) {
        lines.push(
          `- **${escapeCell(decision.alias)}**${escapeCell(where)} ${code(shortenDigest(decision.chosen))}: ${escapeCell(oneLine(evidence))}`,
        );
      }
    }
  }
  return lines.join('\n');
}

function unchangedTable(changeSets: readonly ChangeSet[]): string {
  const lines: string[] = [];
  for (const changeSet of changeSets) {
    for (const decision of changeSet.decisions) {
      if (decision.changed) continue;
      lines.push(
        row([
          escapeCell(changeSet.environment ?? '—'),
          imageCell(decision.alias, decision.image),
          decision.current === undefined ? '_(not set)_' : code(decision.current),
          escapeCell(decisionReason(decision)),
        ]),
      );
    }
  }
  if (lines.length === 0) return '';
  return ['| Environment | Image | Current | Reason |', '|---|---|---|---|', ...lines].join('\n');
}

/**
 * Why each promoted image moved: its source, since when it ran there (commit and pull request),
 * and when the source's newer values become eligible. Kept images explain themselves under
 * "Not changed".
 */
function promotionList(changeSets: readonly ChangeSet[]): string {
  const lines: string[] = [];
  for (const changeSet of changeSets) {
    for (const decision of changeSet.decisions) {
      if (decision.promotion === undefined || !decision.changed) continue;
      const where = changeSet.environment ?? changeSet.target;
      lines.push(`- ${escapeCell(where)}: ${code(decision.alias)} ${escapeCell(decision.reason)}`);
    }
  }
  return lines.join('\n');
}

function decisionReason(decision: Decision): string {
  const ties =
    decision.tiedWith.length > 0 ? ` Tied on build time with ${decision.tiedWith.join(', ')}.` : '';
  return `${decision.reason}${ties}`;
}

function filesList(changeSet: ChangeSet): string {
  const keysByFile = new Map<string, string[]>();
  for (const update of changeSet.updates) {
    const keys = keysByFile.get(update.file) ?? [];
    if (!keys.includes(update.key)) keys.push(update.key);
    keysByFile.set(update.file, keys);
  }
  return [...keysByFile]
    .map(([file, keys]) => `- ${code(file)}: ${keys.map((key) => code(key)).join(', ')}`)
    .join('\n');
}

function imageCell(alias: string, repository: string | undefined): string {
  if (repository === undefined || repository === alias) return code(alias);
  return `${escapeCell(alias)} (${code(repository)})`;
}

function resultLink(result: PublishResult): string {
  if (result.number !== undefined && result.url !== undefined && isWebUrl(result.url))
    return `[#${result.number}](${result.url})`;
  if (result.commit !== undefined) return code(result.commit.slice(0, 12));
  return '—';
}

/** ISO `created` → `2024-05-01 12:34 UTC`. */
function buildTime(metadata: TagMetadata | undefined): string {
  const created = metadata?.created;
  if (created === undefined) return '—';
  const time = Date.parse(created);
  if (Number.isNaN(time)) return created;
  return new Date(time).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

/**
 * A link to the source commit of the new image, or to the compare between the old and new
 * revisions when both images name the same source repository.
 */
function sourceLink(decision: Decision | undefined): string {
  const source = sourceRepository(decision?.metadata);
  const revision = revisionOf(decision?.metadata);
  if (source === undefined || revision === undefined) return '—';
  const previousSource = sourceRepository(decision?.currentMetadata);
  const previousRevision = revisionOf(decision?.currentMetadata);
  if (
    previousSource === source &&
    previousRevision !== undefined &&
    previousRevision !== revision
  ) {
    return `[${shortRevision(previousRevision)}…${shortRevision(revision)}](${source}/compare/${previousRevision}...${revision})`;
  }
  return `[${shortRevision(revision)}](${source}/commit/${revision})`;
}

/** The `source` label as an https web address without `.git`, or undefined when it is not one. */
function sourceRepository(metadata: TagMetadata | undefined): string | undefined {
  const label = metadata?.labels[SOURCE_LABEL];
  if (label === undefined) return undefined;
  if (!isWebUrl(label)) return undefined;
  const url = new URL(label);
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '')
    return undefined;
  const path = url.pathname.replace(/\/+$/, '').replace(/\.git$/, '');
  if (!/^[A-Za-z0-9._~/-]*$/.test(path)) return undefined;
  return `${url.protocol}//${url.host}${path}`;
}

function revisionOf(metadata: TagMetadata | undefined): string | undefined {
  const revision = metadata?.labels[REVISION_LABEL];
  if (revision === undefined || !/^[A-Za-z0-9._-]{1,100}$/.test(revision)) return undefined;
  return revision;
}

function shortRevision(revision: string): string {
  return /^[0-9a-f]{40,64}$/.test(revision) ? revision.slice(0, 7) : revision;
}

function shortDigest(digest: string): string {
  const [algorithm, hex] = digest.split(':');
  if (algorithm === undefined || hex === undefined) return digest;
  return `${algorithm}:${hex.slice(0, 12)}`;
}

function isWebUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** Plain text in a table cell: pipes escaped, one line, no raw HTML. */
function escapeCell(text: string): string {
  return oneLine(text)
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** Inline code that survives a table cell and backticks in the text. */
function code(text: string): string {
  const inner = codeText(text);
  const fence = inner.includes('`') ? '``' : '`';
  const pad = fence.length > 1 ? ' ' : '';
  return `${fence}${pad}${inner}${pad}${fence}`;
}

function codeText(text: string): string {
  // GitHub removes the backslash of `\|` inside code spans in tables, so the pipe survives.
  return oneLine(text).replace(/\|/g, '\\|');
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

/** Marker values never close the HTML comment. */
function markerValue(text: string): string {
  return encodeURIComponent(text);
}

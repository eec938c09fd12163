import type { ImageSettings } from '../../config/settings.js';
import { RegistryError, RequestBudgetSpent, errorMessage } from '../../core/errors.js';
import type { TagMetadata } from '../../core/tag-metadata.js';
import type { Floor } from '../../strategy/choose.js';
import { splitDigestValue } from '../../strategy/digest.js';
import type { ResolveInput } from './input.js';

/** Metadata read for many tags at once, and the tags whose read failed. */
export interface Fetched {
  readonly metadata: Map<string, TagMetadata>;
  readonly failures: Map<string, unknown>;
}

/**
 * Metadata reads started at once per image. More than any host's request slots
 * (`registry-concurrency` is at most 64), so the client's slots stay full; far fewer than the
 * thousands of tags an image can have, so waiting reads do not each hold a chain of promises.
 */
const READS_IN_FLIGHT = 64;

export async function fetchAll(input: ResolveInput, tags: readonly string[]): Promise<Fetched> {
  const metadata = new Map<string, TagMetadata>();
  const failures = new Map<string, unknown>();
  let next = 0;
  let spent = false;
  const worker = async (): Promise<void> => {
    while (!spent && next < tags.length) {
      const tag = tags[next++] as string;
      try {
        metadata.set(
          tag,
          await input.client.getMetadata(input.reference, tag, input.image.policy.platforms),
        );
      } catch (error) {
        failures.set(tag, error);
        // Every later read would be refused too.
        if (error instanceof RequestBudgetSpent) spent = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(READS_IN_FLIGHT, tags.length) }, worker));
  return { metadata, failures };
}

/** Metadata that only improves a message or a body; a failure is logged and ignored. */
export async function optionalMetadata(
  input: ResolveInput,
  tag: string,
): Promise<TagMetadata | undefined> {
  try {
    return await input.client.getMetadata(input.reference, tag, input.image.policy.platforms);
  } catch (error) {
    input.logger.debug(
      `${input.image.alias}: metadata of ${JSON.stringify(tag)} unavailable: ${errorMessage(error)}`,
    );
    return undefined;
  }
}

/** Whether the tag exists (one HEAD request). */
export async function tagExists(input: ResolveInput, tag: string): Promise<boolean> {
  try {
    await input.client.getDigest(input.reference, tag);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

export function isNotFound(error: unknown): boolean {
  return error instanceof RegistryError && error.details.status === 404;
}

/** No-downgrade needs the build time of what is written; without it the image fails rather than risk a downgrade. */
export function floorUnreadable(
  image: ImageSettings,
  role: Floor['role'],
  tag: string,
  error: unknown,
): RegistryError {
  const which = role === 'current' ? 'current tag' : 'tag proposed on the pull-request branch';
  return new RegistryError(
    `could not read the build time of the ${which} ${JSON.stringify(tag)} of ${image.repository}, so a downgrade ` +
      `cannot be ruled out (${errorMessage(error)}); retry, or set allow-downgrade`,
    { image: image.repository },
    { cause: error },
  );
}

/** The tag part of a written value (`main-abc`, or `latest` of `latest@sha256:…`). */
export function tagOf(value: string | undefined): string | undefined {
  return splitDigestValue(value).tag;
}

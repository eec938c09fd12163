/**
 * The OCI grammars every layer checks against: tags (distribution spec) and digests (image
 * spec). One definition, so an event payload, a reference, a manifest and a written value are
 * held to the same rule.
 */

/** The OCI distribution spec's tag grammar, as messages show it. */
export const OCI_TAG_GRAMMAR = '[A-Za-z0-9_][A-Za-z0-9._-]{0,127}';

const OCI_TAG = new RegExp(`^${OCI_TAG_GRAMMAR}$`);

export function isValidOciTag(tag: string): boolean {
  return OCI_TAG.test(tag);
}

/** The OCI image spec's digest grammar: `algorithm ":" encoded`. */
const DIGEST = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

/**
 * Registered algorithms pin the encoded part to lower-case hex of a fixed length (sha384 is not
 * in the image spec's registry but go-digest, and so every registry, accepts it).
 */
const HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

/** Why `text` is not a digest, as half a sentence; undefined when it is one. */
export function digestProblem(text: string): string | undefined {
  const match = DIGEST.exec(text);
  if (!match) return 'is not a digest such as sha256:<64 hex digits>';
  const [, algorithm = '', encoded = ''] = match;
  const length = HEX_LENGTH[algorithm];
  if (length !== undefined && (encoded.length !== length || !/^[a-f0-9]+$/.test(encoded))) {
    return `is not a ${algorithm} digest (${algorithm}: and ${length} lower-case hex digits)`;
  }
  return undefined;
}

export function isDigest(text: string): boolean {
  return digestProblem(text) === undefined;
}

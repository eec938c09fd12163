import { ConfigurationError } from './errors.js';

/**
 * Chart files are UTF-8 text. A file in another encoding is refused untouched, with its name and
 * where the first byte that is not UTF-8 sits, rather than decoded with replacement characters
 * that a rewrite would then save over the original bytes (ADR 0019). A UTF-8 byte order mark is
 * kept in the text, so a rewritten file starts with it again.
 *
 * `where` says which copy of the repository, e.g. `acme/charts`, for messages.
 */
export function decodeChartText(bytes: Uint8Array, path: string, where?: string): string {
  const inRepository = where === undefined ? '' : ` in ${where}`;
  const refuse = (reason: string): ConfigurationError =>
    new ConfigurationError(
      `${reason}${inRepository}; values, override and configuration files must be UTF-8 text, and the file was not changed.`,
      { source: path },
    );
  const utf16 = utf16Evidence(bytes);
  if (utf16 !== undefined) {
    throw refuse(
      `the encoding is ${utf16}, not UTF-8; convert the file, e.g. \`iconv -f UTF-16 -t UTF-8\``,
    );
  }
  const invalid = firstInvalidUtf8(bytes);
  if (invalid !== undefined) {
    const shown = [...bytes.subarray(invalid, invalid + 4)]
      .map((byte) => `0x${byte.toString(16).padStart(2, '0').toUpperCase()}`)
      .join(' ');
    throw refuse(
      `the encoding is not UTF-8: the bytes at offset ${invalid} (${shown}) are not a UTF-8 sequence (Latin-1 or Windows-1252 text?)`,
    );
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/** A description of why the bytes look like UTF-16 (or UTF-32), or undefined. */
function utf16Evidence(bytes: Uint8Array): string | undefined {
  const [first, second, third, fourth] = bytes;
  if (first === 0xff && second === 0xfe) {
    return third === 0 && fourth === 0
      ? 'UTF-32 (byte order mark FF FE 00 00)'
      : 'UTF-16 little-endian (byte order mark FF FE)';
  }
  if (first === 0xfe && second === 0xff) return 'UTF-16 big-endian (byte order mark FE FF)';
  if (first === 0 && second === 0 && third === 0xfe && fourth === 0xff) {
    return 'UTF-32 (byte order mark 00 00 FE FF)';
  }
  // YAML text has no NUL character: a NUL is an encoding with zero high bytes (UTF-16 of ASCII).
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    return `UTF-16 or UTF-32 without a byte order mark (a NUL byte at offset ${nul})`;
  }
  return undefined;
}

/**
 * Offset of the first byte that does not start or continue a well-formed UTF-8 sequence
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), or undefined.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number | undefined {
  let index = 0;
  while (index < bytes.length) {
    const lead = bytes[index] ?? 0;
    if (lead < 0x80) {
      index += 1;
      continue;
    }
    let length: number;
    let min = 0x80;
    let max = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) length = 2;
    else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead === 0xe0) min = 0xa0; // overlong
      if (lead === 0xed) max = 0x9f; // surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead === 0xf0) min = 0x90; // overlong
      if (lead === 0xf4) max = 0x8f; // above U+10FFFF
    } else return index;
    for (let offset = 1; offset < length; offset += 1) {
      const byte = bytes[index + offset];
      const low = offset === 1 ? min : 0x80;
      const high = offset === 1 ? max : 0xbf;
      if (byte === undefined || byte < low || byte > high) return index;
    }
    index += length;
  }
  return undefined;
}

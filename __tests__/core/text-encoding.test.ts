import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeChartText, firstInvalidUtf8 } from '../../src/core/text-encoding.js';

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function validByDecoder(bytes: Uint8Array): boolean {
  try {
    strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

describe('firstInvalidUtf8', () => {
  it.each([
    [[0x61, 0x62], undefined],
    [[0xc3, 0xa9], undefined],
    [[0x61, 0xe9, 0x62], 1],
    [[0xc0, 0x80], 0], // overlong NUL
    [[0xe0, 0x80, 0x80], 0], // overlong
    [[0xed, 0xa0, 0x80], 0], // a surrogate
    [[0xf4, 0x90, 0x80, 0x80], 0], // above U+10FFFF
    [[0x61, 0xf0, 0x9f, 0x98], 1], // truncated at the end
    [[0xf0, 0x9f, 0x98, 0x80, 0x80], 4], // a stray continuation byte
  ])('%j → %s', (bytes, offset) => {
    expect(firstInvalidUtf8(Uint8Array.from(bytes))).toBe(offset);
  });

  it('agrees with a strict decoder on any bytes, and the prefix before the offset is valid', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const offset = firstInvalidUtf8(bytes);
        expect(offset === undefined).toBe(validByDecoder(bytes));
        if (offset !== undefined) expect(validByDecoder(bytes.subarray(0, offset))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every string encoded as UTF-8', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(firstInvalidUtf8(Buffer.from(text, 'utf8'))).toBeUndefined();
      }),
    );
  });
});

describe('decodeChartText', () => {
  it('keeps a byte order mark and every character', () => {
    expect(decodeChartText(Buffer.from('\uFEFFa: ünï ✓\r\n', 'utf8'), 'f')).toBe(
      '\uFEFFa: ünï ✓\r\n',
    );
  });

  it('names the file, the offset and the bytes of the first invalid sequence', () => {
    expect(() =>
      decodeChartText(Buffer.from([0x61, 0x3a, 0x20, 0xff]), 'env/dev/values.yaml', 'acme/charts'),
    ).toThrow(
      'env/dev/values.yaml: the encoding is not UTF-8: the bytes at offset 3 (0xFF) are not a UTF-8 sequence (Latin-1 or Windows-1252 text?) in acme/charts;',
    );
  });

  it.each([
    [[0xfe, 0xff, 0, 0x61], 'UTF-16 big-endian (byte order mark FE FF)'],
    [[0xff, 0xfe, 0, 0], 'UTF-32 (byte order mark FF FE 00 00)'],
    [[0, 0, 0xfe, 0xff], 'UTF-32 (byte order mark 00 00 FE FF)'],
    [[0, 0x61, 0, 0x3a], 'UTF-16 or UTF-32 without a byte order mark (a NUL byte at offset 0)'],
  ])('%j is refused as %s', (bytes, encoding) => {
    expect(() => decodeChartText(Uint8Array.from(bytes), 'f')).toThrow(
      `f: the encoding is ${encoding}, not UTF-8`,
    );
  });
});

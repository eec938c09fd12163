import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/core/errors.js';
import { isInWindow, nextWindowOpening, parsePromoteWindow } from '../../src/promotion/window.js';

const where = { source: '.github/helm-image-updater.yml', line: 7 };
const berlin = parsePromoteWindow('Mon-Thu 09:00-16:00 Europe/Berlin', where);

describe('parsePromoteWindow', () => {
  it('reads days, hours and the time zone', () => {
    expect(berlin).toEqual({
      text: 'Mon-Thu 09:00-16:00 Europe/Berlin',
      days: [1, 2, 3, 4],
      startMinute: 540,
      endMinute: 960,
      timeZone: 'Europe/Berlin',
    });
    expect(parsePromoteWindow('08:00-24:00', where)).toMatchObject({
      days: [0, 1, 2, 3, 4, 5, 6],
      endMinute: 1440,
      timeZone: 'UTC',
    });
    expect(parsePromoteWindow('Fri-Mon,Wed 10:00-11:00 UTC', where).days).toEqual([0, 1, 3, 5, 6]);
  });

  it.each([
    ['Mon-Thu 09:00-16:00 Europe/Berlinn', 'unknown time zone "Europe/Berlinn"'],
    ['Mon-Thu 16:00-09:00 UTC', 'ends before it starts'],
    ['Mon-Thu 09:00-16:00-17:00', 'are not HH:MM-HH:MM'],
    ['Mo-Th 09:00-16:00', '"Mo" is not a day'],
    ['Mon-Thu 9-16', '"9" is not HH:MM'],
    ['Mon-Thu', 'no hours'],
    ['Mon-Thu 09:00-16:00 UTC extra', 'unexpected "extra"'],
  ])('refuses %s: %s', (text, message) => {
    expect(() => parsePromoteWindow(text, where)).toThrow(ConfigurationError);
    expect(() => parsePromoteWindow(text, where)).toThrow(message);
    expect(() => parsePromoteWindow(text, where)).toThrow('.github/helm-image-updater.yml:7');
  });
});

describe('window in a time zone', () => {
  it.each([
    // Thursday 2026-12-03: Berlin is UTC+1 in winter.
    ['2026-12-03T07:59:00Z', false, '2026-12-03T08:00:00.000Z'],
    ['2026-12-03T08:00:00Z', true, '2026-12-03T08:00:00.000Z'],
    ['2026-12-03T14:59:00Z', true, '2026-12-03T14:59:00.000Z'],
    // 16:00 Berlin on Thursday: closed until Monday 09:00 Berlin.
    ['2026-12-03T15:00:00Z', false, '2026-12-07T08:00:00.000Z'],
    ['2026-12-05T12:00:00Z', false, '2026-12-07T08:00:00.000Z'],
    // Summer time: UTC+2, so 09:00 Berlin is 07:00 UTC.
    ['2026-07-06T06:30:00Z', false, '2026-07-06T07:00:00.000Z'],
    // The Thursday before the change to summer time (Sunday 29 March 2026): opens Monday at 07:00 UTC.
    ['2026-03-26T15:30:00Z', false, '2026-03-30T07:00:00.000Z'],
    // Seconds round up to the next whole minute.
    ['2026-12-03T07:59:30Z', false, '2026-12-03T08:00:00.000Z'],
  ])('at %s: open %s, next opening %s', (now, open, opening) => {
    expect(isInWindow(berlin, new Date(now))).toBe(open);
    expect(nextWindowOpening(berlin, new Date(now)).toISOString()).toBe(opening);
  });

  it('uses the zone’s own date, not UTC’s: 23:30 UTC Thursday is Friday in Tokyo', () => {
    const tokyo = parsePromoteWindow('Thu 00:00-24:00 Asia/Tokyo', where);
    expect(isInWindow(tokyo, new Date('2026-12-03T14:30:00Z'))).toBe(true);
    expect(isInWindow(tokyo, new Date('2026-12-03T15:30:00Z'))).toBe(false);
    expect(nextWindowOpening(tokyo, new Date('2026-12-03T15:30:00Z')).toISOString()).toBe(
      '2026-12-09T15:00:00.000Z',
    );
  });

  it('a half-hour zone: 09:00-10:00 in Kolkata is 03:30-04:30 UTC', () => {
    const kolkata = parsePromoteWindow('09:00-10:00 Asia/Kolkata', where);
    expect(nextWindowOpening(kolkata, new Date('2026-12-03T00:00:00Z')).toISOString()).toBe(
      '2026-12-03T03:30:00.000Z',
    );
  });
});

import { ConfigurationError, type ConfigLocation } from '../core/errors.js';
import type { PromoteWindow } from './types.js';

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const TIME = /^([01]?\d|2[0-3]):([0-5]\d)$/;
const EXPECTED =
  'expected days, hours and an optional time zone such as `Mon-Thu 09:00-16:00 Europe/Berlin` (days: Mon…Sun, ranges and commas; hours: HH:MM-HH:MM, end 24:00 allowed; time zone: an IANA name, default UTC)';

/**
 * Parses `promote-window`. Days may be left out (every day); the time zone defaults to UTC. The
 * window is [start, end) in local time, so `09:00-16:00` closes at 16:00 sharp.
 */
export function parsePromoteWindow(text: string, location: ConfigLocation): PromoteWindow {
  const fail = (why: string): never => {
    throw new ConfigurationError(
      `promote-window ${JSON.stringify(text)}: ${why}; ${EXPECTED}`,
      location,
    );
  };
  const words = text.trim().split(/\s+/).filter(Boolean);
  let days: number[] = [0, 1, 2, 3, 4, 5, 6];
  let rest = words;
  if (words[0] !== undefined && /^[A-Za-z]/.test(words[0]) && !words[0].includes('/')) {
    days = parseDays(words[0], fail);
    rest = words.slice(1);
  }
  const [hours, timeZone = 'UTC', ...extra] = rest;
  if (hours === undefined) return fail('no hours');
  if (extra.length > 0) fail(`unexpected ${JSON.stringify(extra.join(' '))}`);
  const [startText = '', endText = '', ...more] = hours.split('-');
  if (more.length > 0) fail(`hours ${JSON.stringify(hours)} are not HH:MM-HH:MM`);
  const startMinute =
    minuteOf(startText, false) ?? fail(`${JSON.stringify(startText)} is not HH:MM`);
  const endMinute = minuteOf(endText, true) ?? fail(`${JSON.stringify(endText)} is not HH:MM`);
  if (endMinute <= startMinute) {
    fail(
      'the window ends before it starts; a window that crosses midnight is written as two days, e.g. `Mon-Fri 20:00-24:00`',
    );
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    fail(`unknown time zone ${JSON.stringify(timeZone)}`);
  }
  return { text: text.trim(), days, startMinute, endMinute, timeZone };
}

function parseDays(word: string, fail: (why: string) => never): number[] {
  const days = new Set<number>();
  for (const part of word.split(',')) {
    const [from, to, ...extra] = part.split('-');
    if (extra.length > 0) fail(`days ${JSON.stringify(part)} are not a day or a range`);
    const first = dayOf(from ?? '') ?? fail(`${JSON.stringify(from)} is not a day (Mon…Sun)`);
    const last =
      to === undefined
        ? first
        : (dayOf(to) ?? fail(`${JSON.stringify(to)} is not a day (Mon…Sun)`));
    // Ranges wrap around the week: `Fri-Mon` is Friday, Saturday, Sunday, Monday.
    for (let day = first; ; day = (day + 1) % 7) {
      days.add(day);
      if (day === last) break;
    }
  }
  return [...days].sort((a, b) => a - b);
}

function dayOf(word: string): number | undefined {
  const index = DAY_NAMES.indexOf(word.slice(0, 3).toLowerCase() as (typeof DAY_NAMES)[number]);
  if (index < 0) return undefined;
  // `Mon`, `Monday`, `monday` are accepted; `Mo` or `Monx` are not.
  const full = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'][
    index
  ];
  const lower = word.toLowerCase();
  return lower.length === 3 || lower === full ? index : undefined;
}

function minuteOf(text: string, allowMidnightEnd: boolean): number | undefined {
  if (allowMidnightEnd && text === '24:00') return 24 * 60;
  const match = TIME.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * 60 + Number(match[2]);
}

interface LocalTime {
  readonly day: number;
  readonly minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Weekday and minute of the day at `instant` in `timeZone`. */
export function localTime(instant: Date, timeZone: string): LocalTime {
  let format = formatters.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, format);
  }
  let day = 0;
  let hour = 0;
  let minute = 0;
  for (const part of format.formatToParts(instant)) {
    if (part.type === 'weekday')
      day = DAY_NAMES.indexOf(part.value.toLowerCase() as (typeof DAY_NAMES)[number]);
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return { day, minute: hour * 60 + minute };
}

export function isInWindow(window: PromoteWindow, instant: Date): boolean {
  const local = localTime(instant, window.timeZone);
  return (
    window.days.includes(local.day) &&
    local.minute >= window.startMinute &&
    local.minute < window.endMinute
  );
}

const MINUTE_MS = 60_000;

/**
 * The first instant at or after `from` inside the window (to the minute). Local times that a
 * daylight-saving change skips are skipped too; the search covers eight days, which always
 * reaches an allowed day.
 */
export function nextWindowOpening(window: PromoteWindow, from: Date): Date {
  if (isInWindow(window, from)) return from;
  let instant = Math.ceil(from.getTime() / MINUTE_MS) * MINUTE_MS;
  const limit = instant + 8 * 24 * 60 * MINUTE_MS;
  while (instant <= limit) {
    const candidate = new Date(instant);
    if (isInWindow(window, candidate)) return candidate;
    const local = localTime(candidate, window.timeZone);
    const untilStart =
      window.days.includes(local.day) && local.minute < window.startMinute
        ? window.startMinute - local.minute
        : 24 * 60 - local.minute + window.startMinute;
    // Jump most of the way, then walk the last stretch minute by minute: a daylight-saving
    // change shifts local time by up to an hour (two in a few zones) during the jump.
    instant += Math.max(1, untilStart - 150) * MINUTE_MS;
  }
  throw new Error(`promote-window ${window.text} never opens`);
}

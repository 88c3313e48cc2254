import { expect, it } from 'vitest';
import { jsonMillis, roundedMillis } from '../src/telemetry/milliseconds.js';

// Durations written from whole microseconds and a table must be the text String writes, for every value.

it('writes a duration with at most three decimals as String does', () => {
  const samples = [0, 0.001, 0.01, 0.1, 0.5, 1, 9.999, 10, 10.05, 123.456, 999_999_999.999, 1e9, -0, -1.5];
  for (let micros = 0; micros < 100_000; micros += 7) samples.push(micros / 1000);
  for (let i = 0; i < 2_000; i++) samples.push(Math.round(Math.random() * 1e12) / 1000);
  for (const ms of samples) expect(jsonMillis(ms)).toBe(String(ms));
  for (const ms of [0.0001, 1 / 3, Math.PI, 2 ** -30]) expect(jsonMillis(ms)).toBe(String(ms));
  expect([Number.NaN, Number.POSITIVE_INFINITY].map(jsonMillis)).toEqual(['null', 'null']);
});

// A StatsD timer sample: what `Math.round(ms * 1000) / 1000` then String wrote before, byte for byte.
it('writes a timer sample rounded to microseconds as String does after rounding', () => {
  const samples = [
    0,
    -0,
    0.0004,
    0.0005,
    0.0015,
    0.4125,
    1.0005,
    9.9995,
    2 ** -30,
    1 / 3,
    Math.PI,
    999_999_999.999_4,
    // Past the table's range (rounds to 10^12 microseconds and more), negative, and not finite.
    999_999_999.999_6,
    1e9,
    1e15,
    1e21,
    1e300,
    -0.0004,
    -0.0006,
    -1.5,
    -1e21,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
  ];
  for (let micros = 0; micros < 100_000; micros += 7) samples.push(micros / 1000 + 0.000_4, micros / 1000);
  // As timers measure them: differences of performance.now(), with all their decimals.
  for (let i = 0; i < 20_000; i++) samples.push(Math.random() * 10 ** ((i % 12) - 2));
  for (const ms of samples) expect(roundedMillis(ms)).toBe(String(Math.round(ms * 1000) / 1000));
});

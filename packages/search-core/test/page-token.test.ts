import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GeoSearchError } from '../src/errors.js';
import { createPageTokens, searchFingerprint } from '../src/page-token.js';

const key = randomBytes(32);
const tokens = createPageTokens(key);
const fingerprint = searchFingerprint([13.4, 52.5, 'berlin']);
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A token with `body` as its payload, correctly signed with `key`: only the content checks can refuse it. */
function signed(body: string): string {
  const payload = Buffer.from(body).toString('base64url');
  const mac = createHmac('sha256', key).update(payload).digest().subarray(0, 16);
  return `${payload}.${mac.toString('base64url')}`;
}

function refusal(decode: () => unknown): GeoSearchError {
  try {
    decode();
  } catch (error) {
    expect(error).toBeInstanceOf(GeoSearchError);
    return error as GeoSearchError;
  }
  throw new Error('the token was accepted');
}

function expectRefused(token: string, forFingerprint = fingerprint): void {
  const error = refusal(() => tokens.decode(forFingerprint, token));
  expect(error.code).toBe('invalid_argument');
  expect(error.violations).toEqual([{ field: 'page_token', reason: expect.any(String) }]);
}

describe('page tokens', () => {
  it('round-trip a cursor with and without a score', () => {
    expect(tokens.decode(fingerprint, tokens.encode(fingerprint, { id: 42 }))).toEqual({ id: 42 });
    const ranked = { score: 0.33333334, id: 7 };
    expect(tokens.decode(fingerprint, tokens.encode(fingerprint, ranked))).toEqual(ranked);
  });

  it('are opaque: no part of the request text shows in the token', () => {
    const token = tokens.encode(searchFingerprint([null, null, 'secret place']), { id: 1 });
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()).not.toContain('secret');
  });

  it('are refused by another search', () => {
    const token = tokens.encode(fingerprint, { id: 42 });
    expectRefused(token, searchFingerprint([13.4, 52.5, 'paris']));
    expectRefused(token, searchFingerprint([null, null, 'berlin']));
  });

  it('are refused under another key', () => {
    const other = createPageTokens(randomBytes(32));
    expectRefused(other.encode(fingerprint, { id: 42 }));
  });

  it('are refused when any one character changes', () => {
    const token = tokens.encode(fingerprint, { score: 0.5, id: 42 });
    for (let i = 0; i < token.length; i++) {
      const original = token[i] ?? '';
      // Try a neighbour in the alphabet and one far away, so both high and low bits change.
      for (const step of [1, 32]) {
        const at = BASE64URL.indexOf(original);
        const replacement = at < 0 ? 'A' : (BASE64URL[(at + step) % 64] ?? 'A');
        expectRefused(token.slice(0, i) + replacement + token.slice(i + 1));
      }
    }
  });

  it('are refused when truncated, extended or garbage', () => {
    const token = tokens.encode(fingerprint, { id: 42 });
    for (let length = 0; length < token.length; length += 3) expectRefused(token.slice(0, length));
    for (const bad of [
      `${token}A`,
      `${token}.`,
      `${token}.${token}`,
      '.',
      '..',
      `.${token.split('.')[1]}`,
      `${token.split('.')[0]}.`,
      'not a token',
      "' OR 1=1 --",
      '\u0000',
      '💥.💥',
    ]) {
      expectRefused(bad);
    }
  });

  it('are refused when correctly signed but their content is not a cursor', () => {
    const f = JSON.stringify(fingerprint);
    for (const body of [
      '',
      'not json',
      'null',
      '42',
      '[]',
      `{"f":${f}}`,
      `{"f":${f},"i":"42"}`,
      `{"f":${f},"i":4.5}`,
      `{"f":${f},"i":9007199254740993}`,
      `{"f":${f},"i":1,"s":"0.5"}`,
      `{"f":${f},"i":1,"s":null}`,
      `{"i":1}`,
    ]) {
      expectRefused(signed(body));
    }
    // The control: the same helper makes tokens that are accepted.
    expect(tokens.decode(fingerprint, signed(`{"f":${f},"i":1,"s":0.25}`))).toEqual({ id: 1, score: 0.25 });
  });

  it('fingerprints the same search the same way and different searches differently', () => {
    expect(searchFingerprint([1, 2, 'x'])).toBe(searchFingerprint([1, 2, 'x']));
    const all = new Set(
      [
        [1, 2, 'x'],
        [2, 1, 'x'],
        [1, 2, 'y'],
        [null, null, 'x'],
        [1, 2, ''],
      ].map(searchFingerprint),
    );
    expect(all.size).toBe(5);
  });
});

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { invalidArgument } from './errors.js';

/** Where a page ended: the last row's rank and id. */
export interface PageCursor {
  /** The last row's score (a float4 value), when the search ranks by score. */
  readonly score?: number;
  /** The last row's id. */
  readonly id: number;
}

/** Signs and checks opaque, tamper-evident keyset page tokens. */
export interface PageTokens {
  /** A token for the page after `cursor` of the search identified by `fingerprint`. */
  encode(fingerprint: string, cursor: PageCursor): string;
  /** The cursor in `token`; `invalid_argument` if it was altered or belongs to another search. */
  decode(fingerprint: string, token: string): PageCursor;
}

const MAC_BYTES = 16;

/** A short digest identifying one search (its filters, not its page). */
export function searchFingerprint(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

function badToken(): never {
  throw invalidArgument([{ field: 'page_token', reason: 'is not a valid page token for this search' }]);
}

/** Page tokens signed with HMAC-SHA256 under `key` (shared by every instance on one database). */
export function createPageTokens(key: Uint8Array): PageTokens {
  const mac = (payload: string) => createHmac('sha256', key).update(payload).digest().subarray(0, MAC_BYTES);
  return {
    encode(fingerprint, cursor) {
      const payload = Buffer.from(JSON.stringify({ f: fingerprint, s: cursor.score, i: cursor.id })).toString(
        'base64url',
      );
      return `${payload}.${mac(payload).toString('base64url')}`;
    },
    decode(fingerprint, token) {
      const [payload, signature, extra] = token.split('.');
      if (!payload || !signature || extra !== undefined) badToken();
      // Compare the signature text, not its decoded bytes: base64url's last
      // character carries unused bits, so several spellings decode alike.
      const given = Buffer.from(signature);
      const expected = Buffer.from(mac(payload).toString('base64url'));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) badToken();
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      } catch {
        badToken();
      }
      const { f, s, i } = (parsed ?? {}) as { f?: unknown; s?: unknown; i?: unknown };
      if (f !== fingerprint || typeof i !== 'number' || !Number.isSafeInteger(i)) badToken();
      if (s !== undefined && (typeof s !== 'number' || !Number.isFinite(s))) badToken();
      return s === undefined ? { id: i } : { score: s, id: i };
    },
  };
}

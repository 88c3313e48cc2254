import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeoSearchError } from '../src/errors.js';
import type { SearchHit, SearchPage } from '../src/queries/search.js';
import { createSearchCore, type SearchCore } from '../src/search-core.js';
import type { SearchInput } from '../src/validation.js';
import { backends, openTestDatabase, type TestDatabase } from './backends.js';
import { square } from './fixtures.js';

/** 40 nested squares around (lng 0.5, lat 0.5), named with 'harbor' in various spellings and lengths. */
function harborSquares() {
  return Array.from({ length: 40 }, (_, i) => {
    const names = [`Harbor ${i}`, `Old Harbor Town ${i}`, `Harbour ${i}`, `Harbor`];
    return square(`h${i}`, names[i % names.length] ?? '', -i * 0.01, -i * 0.01, 1 + i * 0.02);
  });
}

/** Squares that do not cover the point; half are named like the harbors. */
function elsewhere() {
  return Array.from({ length: 30 }, (_, i) =>
    square(`e${i}`, i % 2 === 0 ? `Harbor Far ${i}` : `Inland ${i}`, 20 + i, 20, 0.5),
  );
}

const at = { lng: 0.5, lat: 0.5 };
const searches: [string, SearchInput][] = [
  ['point', { point: at }],
  ['name', { query: 'harbor' }],
  ['point and name', { point: at, query: 'harbor' }],
];

async function allPages(core: SearchCore, input: SearchInput, pageSize: number): Promise<SearchPage[]> {
  const pages: SearchPage[] = [];
  let pageToken = '';
  do {
    const page = await core.search({ ...input, pageSize, pageToken });
    pages.push(page);
    pageToken = page.nextPageToken;
    if (pages.length > 200) throw new Error('pagination does not end');
  } while (pageToken !== '');
  return pages;
}

function byRank(a: SearchHit, b: SearchHit): number {
  return b.score - a.score || a.thing.id - b.thing.id;
}

async function refusal(promise: Promise<unknown>): Promise<GeoSearchError> {
  const error = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as GeoSearchError | undefined;
  if (error === undefined) throw new Error('the search was accepted');
  return error;
}

describe.each(backends)('search pagination on %s', (backend) => {
  let database: TestDatabase;
  let core: SearchCore;

  beforeAll(async () => {
    database = await openTestDatabase(backend, { migrated: true });
    core = await createSearchCore({ db: database.db });
    const result = await core.importThings([
      { type: 'FeatureCollection', features: [...harborSquares(), ...elsewhere()] },
    ]);
    expect(result).toMatchObject({ created: 70, rejected: 0 });
  });
  afterAll(async () => {
    await database?.close();
  });

  describe.each(searches)('by %s', (_, input) => {
    let everything: SearchPage;
    beforeAll(async () => {
      everything = await core.search({ ...input, pageSize: 1000 });
    });

    it('has one page with everything when the page is large enough', () => {
      expect(everything.nextPageToken).toBe('');
      expect(everything.hits.length).toBeGreaterThanOrEqual(20);
      expect([...everything.hits].sort(byRank)).toEqual(everything.hits);
    });

    it.each([1, 3, 7, 20])(
      'pages of %i: no duplicates, no gaps, same order, empty token last',
      async (size) => {
        const pages = await allPages(core, input, size);
        for (const page of pages.slice(0, -1)) expect(page.hits).toHaveLength(size);
        const last = pages.at(-1);
        expect(last?.nextPageToken).toBe('');
        expect(last?.hits.length).toBeGreaterThan(0);
        const ids = pages.flatMap((p) => p.hits.map((h) => h.thing.id));
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids).toEqual(everything.hits.map((h) => h.thing.id));
        expect(pages.flatMap((p) => p.hits.map((h) => h.score))).toEqual(everything.hits.map((h) => h.score));
      },
    );

    it('gives the same pages when asked again', async () => {
      expect(await allPages(core, input, 6)).toEqual(await allPages(core, input, 6));
    });

    it('lets the page size change between pages', async () => {
      const first = await core.search({ ...input, pageSize: 5 });
      const rest = await core.search({ ...input, pageSize: 1000, pageToken: first.nextPageToken });
      expect([...first.hits, ...rest.hits].map((h) => h.thing.id)).toEqual(
        everything.hits.map((h) => h.thing.id),
      );
    });
  });

  it('ranks names that match better first, ties broken by id', async () => {
    const page = await core.search({ query: 'harbor', pageSize: 1000 });
    expect(page.hits[0]?.thing.name).toBe('Harbor');
    expect(page.hits[0]?.score).toBe(1);
    const exact = page.hits.filter((h) => h.thing.name === 'Harbor').map((h) => h.thing.id);
    expect(exact).toEqual([...exact].sort((a, b) => a - b));
    expect(page.hits.map((h) => h.thing.name)).toContain('Harbour 2');
    expect(page.hits.map((h) => h.thing.name)).not.toContain('Inland 1');
  });

  it('refuses a token from another search, naming page_token', async () => {
    const tokenOf = async (input: SearchInput) =>
      (await core.search({ ...input, pageSize: 2 })).nextPageToken;
    const cases: [SearchInput, SearchInput][] = [
      [{ query: 'harbor' }, { query: 'harbour' }],
      [{ point: at }, { query: 'harbor' }],
      [{ query: 'harbor' }, { point: at }],
      [{ point: at }, { point: { lng: 0.4, lat: 0.5 } }],
      [{ point: at }, { point: { lng: 0.5, lat: 0.4 } }],
      [{ point: at, query: 'harbor' }, { point: at }],
      [{ point: at, query: 'harbor' }, { query: 'harbor' }],
    ];
    for (const [from, to] of cases) {
      const pageToken = await tokenOf(from);
      expect(pageToken).not.toBe('');
      const error = await refusal(core.search({ ...to, pageToken }));
      expect(error).toMatchObject({ code: 'invalid_argument', violations: [{ field: 'page_token' }] });
    }
  });

  it('refuses a tampered token with invalid_argument, never a database error', async () => {
    const token = (await core.search({ query: 'harbor', pageSize: 2 })).nextPageToken;
    const [payload = '', signature = ''] = token.split('.');
    const flip = (text: string, i: number) =>
      text.slice(0, i) + (text[i] === 'A' ? 'B' : 'A') + text.slice(i + 1);
    const tampered = [
      flip(token, 0),
      flip(token, Math.floor(payload.length / 2)),
      flip(token, token.length - 1),
      token.slice(0, -1),
      token.slice(0, payload.length),
      `.${signature}`,
      `${payload}.`,
      'garbage',
      "1' OR '1'='1",
      `${Buffer.from('{"f":"x","i":"1; DROP TABLE things"}').toString('base64url')}.${signature}`,
    ];
    for (const pageToken of tampered) {
      const error = await refusal(core.search({ query: 'harbor', pageToken }));
      expect(error).toMatchObject({ code: 'invalid_argument', violations: [{ field: 'page_token' }] });
    }
    expect(await core.countThings()).toBe(70);
  });
});

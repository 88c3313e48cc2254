import { describe, expect, it } from 'vitest';
import { importMessages } from '../src/import-messages.js';
import type { ImportItem, ImportProgress } from '../src/requests.js';

async function messages(items: Iterable<ImportItem>, options: Parameters<typeof importMessages>[1]) {
  const out = [];
  for await (const message of importMessages(items, options)) out.push(message);
  return out;
}

const feature = (id: number, padding = 0) => ({
  type: 'Feature' as const,
  id: `f${id}`,
  properties: { name: `F${id}`, padding: 'x'.repeat(padding) },
  geometry: null,
});

describe('importMessages', () => {
  it('packs features into messages of at most batchFeatures, with the property names first', async () => {
    const out = await messages(
      Array.from({ length: 5 }, (_, i) => feature(i)),
      { batchFeatures: 2, maxMessageBytes: 1e6, idProperty: 'code', nameProperty: 'label' },
    );
    expect(out.map((m) => m.geojson.length)).toEqual([2, 2, 1]);
    expect(out.map((m) => [m.idProperty, m.nameProperty])).toEqual([
      ['code', 'label'],
      ['', ''],
      ['', ''],
    ]);
    expect(JSON.parse(out[2]?.geojson[0] ?? '')).toEqual(feature(4));
  });

  it('keeps messages under maxMessageBytes; a larger feature goes alone', async () => {
    const items = [feature(1, 300), feature(2, 300), feature(3, 2000), feature(4, 10)];
    const out = await messages(items, { batchFeatures: 100, maxMessageBytes: 1000 });
    expect(out.map((m) => m.geojson.length)).toEqual([2, 1, 1]);
    for (const m of out.slice(0, 1)) {
      expect(m.geojson.reduce((n, t) => n + Buffer.byteLength(t) + 3, 0)).toBeLessThanOrEqual(1000);
    }
  });

  it('splits collections into features and sends strings as they are', async () => {
    const out = await messages(
      [{ type: 'FeatureCollection', features: [feature(1), feature(2)] }, '{"type":"Feature"'],
      { batchFeatures: 10, maxMessageBytes: 1e6 },
    );
    expect(out).toHaveLength(1);
    expect(out[0]?.geojson).toEqual([
      JSON.stringify(feature(1)),
      JSON.stringify(feature(2)),
      '{"type":"Feature"',
    ]);
  });

  it('sends one message even for an empty import, and reports progress after each message', async () => {
    const reports: ImportProgress[] = [];
    const empty = await messages([], {
      batchFeatures: 2,
      maxMessageBytes: 1e6,
      onProgress: (p) => reports.push(p),
    });
    expect(empty).toEqual([{ geojson: [], idProperty: '', nameProperty: '' }]);
    expect(reports).toEqual([{ features: 0, bytes: 0, messages: 1, finished: true }]);
    reports.length = 0;
    await messages([feature(1), feature(2), feature(3)], {
      batchFeatures: 2,
      maxMessageBytes: 1e6,
      onProgress: (p) => reports.push(p),
    });
    expect(reports.map((r) => [r.features, r.messages, r.finished])).toEqual([
      [2, 1, false],
      [3, 2, true],
    ]);
  });
});

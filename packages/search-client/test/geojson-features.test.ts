import { describe, expect, it } from 'vitest';
import { readGeoJsonFeatures } from '../src/geojson-features.js';

async function collect(chunks: Iterable<string | Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  for await (const text of readGeoJsonFeatures(chunks)) out.push(text);
  return out;
}

/** Every way of cutting `text` in two, and one character at a time. */
function* splits(text: string): Generator<string[]> {
  for (let i = 0; i <= text.length; i++) yield [text.slice(0, i), text.slice(i)];
  yield [...text];
}

const square = (id: string) => ({
  type: 'Feature',
  id,
  properties: { name: `Sq "${id}" [x] {y}`, tags: ['a', 'b'] },
  geometry: {
    type: 'Polygon',
    coordinates: [
      [
        [0, 0],
        [1, 0],
        [1, 1],
        [0, 0],
      ],
    ],
  },
});

describe('readGeoJsonFeatures', () => {
  it('streams the features of a FeatureCollection, however the text is cut', async () => {
    const collection = JSON.stringify(
      {
        type: 'FeatureCollection',
        name: 'features',
        bbox: [0, 0, 1, 1],
        meta: { features: [1, 2] },
        features: [square('a'), square('b\\"c')],
      },
      null,
      1,
    );
    for (const chunks of splits(collection)) {
      const features = (await collect(chunks)).map((t) => JSON.parse(t));
      expect(features).toEqual([square('a'), square('b\\"c')]);
    }
  });

  it('reads a lone Feature, newline-delimited features, text sequences and a top-level array', async () => {
    const a = JSON.stringify(square('a'));
    const b = JSON.stringify(square('b'));
    expect(await collect([a])).toEqual([a]);
    expect(await collect([`${a}\n${b}\n`])).toEqual([a, b]);
    expect(await collect([`\x1e${a}\n\x1e${b}\n`])).toEqual([a, b]);
    expect(await collect([`[${a}, ${b}]`])).toEqual([a, b]);
    expect(await collect(['{"type":"FeatureCollection","features":[]}'])).toEqual([]);
    expect(await collect(['  \n'])).toEqual([]);
  });

  it('decodes UTF-8 split across chunks', async () => {
    const text = JSON.stringify({ type: 'Feature', properties: { name: 'Zürich 東京' }, geometry: null });
    const bytes = new TextEncoder().encode(text);
    const cut = bytes.indexOf(0xc3) + 1; // inside the two bytes of ü
    expect(await collect([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual([text]);
  });

  it('refuses broken structure with an invalid_argument error naming geojson', async () => {
    await expect(collect(['{"type":"FeatureCollection","features":[{"a":1}'])).rejects.toMatchObject({
      code: 'invalid_argument',
      violations: [{ field: 'geojson', reason: expect.stringMatching(/cut short/) }],
    });
    await expect(collect(['hello'])).rejects.toMatchObject({
      violations: [{ field: 'geojson', reason: expect.stringMatching(/unexpected 'h' at character 0/) }],
    });
    await expect(collect(['{"features":[{"a":1}, 7]}'])).rejects.toMatchObject({
      violations: [{ field: 'geojson', reason: 'features[1]: is not an object' }],
    });
    await expect(collect([new Uint8Array([0x7b, 0xff, 0x7d])])).rejects.toMatchObject({
      violations: [{ field: 'geojson', reason: 'is not valid UTF-8' }],
    });
  });

  it('passes malformed features through for the server to reject one by one', async () => {
    expect(await collect(['{"features":[{"a":1,}, {"b":2}]}'])).toEqual(['{"a":1,}', '{"b":2}']);
  });
});

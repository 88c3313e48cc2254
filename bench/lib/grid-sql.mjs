/** Syllables of the synthetic names: a name is one of each, then the cell number. */
export const syllables = {
  first: ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'to', 'vi', 'ba', 'de', 'fo', 'gu', 'hi', 'ja', 'ke', 'li'],
  second: [
    'mar',
    'ten',
    'dor',
    'sil',
    'bra',
    'ven',
    'lun',
    'pol',
    'rik',
    'san',
    'tal',
    'mon',
    'fer',
    'gal',
    'hun',
    'zor',
  ],
  third: ['ia', 'on', 'ek', 'ur', 'as', 'en', 'ol', 'um', 'ir', 'ad', 'et', 'ow', 'ay', 'ix', 'ue', 'ob'],
};

/** Where the grid starts and how big a cell is, in degrees. */
export const gridOrigin = { lng: 5, lat: 40, cell: 0.02 };

const textArray = (words) => `'{${words.join(',')}}'::text[]`;

/**
 * SQL inserting `count` octagons (8 vertices) on a square grid of cells
 * straight into `things`; the `thing_parts` trigger subdivides them. Each
 * octagon is inscribed in its cell, so neighbours touch at a point and the
 * cell corners are gaps (points there are outside every polygon). Names are
 * three syllables and the cell number ("Kamarur 123"); ids `grid-<n>`.
 */
export function gridInsertSql(count) {
  const cols = Math.ceil(Math.sqrt(count));
  const { lng, lat, cell } = gridOrigin;
  return `
INSERT INTO things (external_id, name, properties, geom)
SELECT 'grid-' || k,
       initcap(s.a[1 + i % 16] || s.b[1 + j % 16] || s.c[1 + (i + j) % 16]) || ' ' || k,
       jsonb_build_object('i', i, 'j', j),
       ST_Multi(ST_Translate(o.shape, ${lng} + (i + 0.5) * ${cell}, ${lat} + (j + 0.5) * ${cell}))
FROM (SELECT k, k % ${cols} AS i, k / ${cols} AS j FROM generate_series(0, ${count - 1}) k) g,
     (SELECT ST_SetSRID(ST_Scale(ST_Buffer(ST_MakePoint(0, 0), 0.5, 'quad_segs=2'), ${cell}, ${cell}), 4326) AS shape) o,
     (SELECT ${textArray(syllables.first)} AS a, ${textArray(syllables.second)} AS b,
             ${textArray(syllables.third)} AS c) s;`;
}

/** Name queries for the grid: a first and a second syllable ("Kamar"), each matching 1/256 of the cells. */
export function gridNameQueries(n) {
  const queries = [];
  for (let k = 0; k < n; k++) {
    const a = syllables.first[(k * 5) % 16] ?? '';
    const b = syllables.second[(k * 7 + 3) % 16] ?? '';
    queries.push(`${a.charAt(0).toUpperCase()}${a.slice(1)}${b}`);
  }
  return queries;
}

/** Name queries for the Natural Earth countries: common fragments, several pages each. */
export const countryNameQueries = [
  'land',
  'ia',
  'an',
  'stan',
  'rep',
  'is',
  'gu',
  'ma',
  'er',
  'sa',
  'co',
  'ar',
];

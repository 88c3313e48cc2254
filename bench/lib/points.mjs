/** A small seeded PRNG (mulberry32): the same points on every run. */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` points drawn uniformly inside `extent` (some fall between polygons). */
export function uniformPoints(extent, n, seed) {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => ({
    lng: extent.minLng + random() * (extent.maxLng - extent.minLng),
    lat: extent.minLat + random() * (extent.maxLat - extent.minLat),
  }));
}

/**
 * The bench's query points for a data set: `inside` points each inside a
 * different polygon (ST_GeneratePoints, seeded, on a fixed pseudo-random
 * choice of things) and `uniform` points anywhere in the extent, shuffled;
 * and one of the inside points on its own.
 */
export async function queryPoints({ cluster, dataset, inside, uniform }) {
  const rows = await cluster.sql(
    dataset.url,
    `SELECT ST_X(g), ST_Y(g) FROM (
       SELECT (ST_Dump(ST_GeneratePoints(geom, 1, id::int))).geom AS g
       FROM (SELECT id, geom FROM things ORDER BY md5(id::text) LIMIT ${inside}) s) d`,
  );
  const insidePoints = rows.map(([lng, lat]) => ({ lng: Number(lng), lat: Number(lat) }));
  const points = [...insidePoints, ...uniformPoints(dataset.extent, uniform, 7)];
  const random = seededRandom(11);
  for (let i = points.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [points[i], points[j]] = [points[j], points[i]];
  }
  return { points, insidePoint: insidePoints[0] };
}

/** The share of `points` covered by at least one polygon of the data set (0 to 1). */
export async function hitRate({ cluster, dataset, points }) {
  const lngs = points.map((p) => p.lng.toFixed(9)).join(',');
  const lats = points.map((p) => p.lat.toFixed(9)).join(',');
  const [[hits] = []] = await cluster.sql(
    dataset.url,
    `SELECT count(*) FILTER (WHERE EXISTS (
       SELECT 1 FROM thing_parts p WHERE ST_Covers(p.geom, ST_SetSRID(ST_MakePoint(x, y), 4326))))
     FROM unnest('{${lngs}}'::float8[], '{${lats}}'::float8[]) AS u(x, y)`,
  );
  return Number(hits) / points.length;
}

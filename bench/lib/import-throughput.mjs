import { searchClient } from './workspace-grpc.mjs';

/** An octagon feature of the import grid: cell `k` of a `cols`-wide grid of 0.02° cells. */
function octagonFeature(k, cols) {
  const cell = 0.02;
  const cx = -60 + ((k % cols) + 0.5) * cell;
  const cy = -30 + (Math.floor(k / cols) + 0.5) * cell;
  const ring = [];
  for (let v = 0; v <= 8; v++) {
    const angle = ((v % 8) * Math.PI) / 4;
    ring.push([cx + (Math.cos(angle) * cell) / 2, cy + (Math.sin(angle) * cell) / 2]);
  }
  return JSON.stringify({
    type: 'Feature',
    id: `import-${k}`,
    properties: { name: `Import ${k}`, k },
    geometry: { type: 'Polygon', coordinates: [ring] },
  });
}

/** The ImportThings request stream: `count` features in messages of `batch` features. */
async function* importMessages(count, batch) {
  const cols = Math.ceil(Math.sqrt(count));
  for (let start = 0; start < count; start += batch) {
    const geojson = [];
    for (let k = start; k < Math.min(count, start + batch); k++) geojson.push(octagonFeature(k, cols));
    yield { geojson, idProperty: '', nameProperty: '' };
  }
}

/**
 * Streams `count` new polygons to ImportThings in one call and measures
 * features per second, from the call's start to its response. Bounded by
 * `count` and by `timeoutMs`.
 */
export async function measureImport({ grpc, address, count, batch, timeoutMs }) {
  const { client, close } = searchClient(grpc, address);
  try {
    const t0 = performance.now();
    const response = await client.importThings(importMessages(count, batch), {
      signal: AbortSignal.timeout(timeoutMs),
    });
    const seconds = (performance.now() - t0) / 1000;
    return {
      features: count,
      batch,
      seconds,
      featuresPerS: response.created / seconds,
      created: response.created,
      updated: response.updated,
      rejected: response.rejected,
    };
  } finally {
    close();
  }
}

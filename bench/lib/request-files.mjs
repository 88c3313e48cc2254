import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { searchClient } from './workspace-grpc.mjs';

const writeJson = (file, value) => {
  writeFileSync(file, JSON.stringify(value));
  return file;
};

/** ghz data files (JSON arrays, used round-robin) of Search by point and of Nearby over `points`. */
export function writePointRequestFiles(dir, points) {
  return {
    searchPoint: writeJson(
      join(dir, 'search-point.json'),
      points.map((p) => ({ point: { lat: p.lat, lng: p.lng } })),
    ),
    nearby: writeJson(
      join(dir, 'nearby.json'),
      points.map((p) => ({ point: { lat: p.lat, lng: p.lng }, limit: 10 })),
    ),
  };
}

/**
 * The ghz data file of Search by name with paging: for each query, its first
 * page and up to `pages - 1` following pages, their page tokens fetched from
 * the running server beforehand (tokens are stateless keyset cursors, so
 * replaying them is what a client paging through results does). Bounded:
 * `queries.length * pages` calls, each with a 10 s deadline.
 */
export async function writeNameRequestFile({ dir, grpc, address, queries, pageSize, pages }) {
  const { client, close } = searchClient(grpc, address);
  const requests = [];
  let results = 0;
  try {
    for (const query of queries) {
      let pageToken = '';
      for (let page = 0; page < pages; page++) {
        const request = { query, pageSize, pageToken };
        requests.push(request);
        const response = await client.search(request, { signal: AbortSignal.timeout(10_000) });
        results += response.results.length;
        pageToken = response.nextPageToken;
        if (pageToken === '') break;
      }
    }
  } finally {
    close();
  }
  const file = writeJson(join(dir, 'search-name.json'), requests);
  return { file, requests: requests.length, meanResults: results / requests.length };
}

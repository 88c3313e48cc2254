import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeRequestFile } from './loadgen.mjs';
import { searchClient } from './workspace-grpc.mjs';

/**
 * One set of requests, used round-robin by the load generators, in both
 * their formats: `json` (a JSON array, for ghz) and `b64` (serialized
 * protobuf, one base64 line each, for loadgen). `type` is the generated
 * message (SearchRequest or NearbyRequest).
 */
function writeRequests(dir, name, type, messages) {
  const json = join(dir, `${name}.json`);
  writeFileSync(json, JSON.stringify(messages));
  const b64 = writeRequestFile(
    join(dir, `${name}.b64`),
    messages.map((m) => type.encode(type.fromPartial(m)).finish()),
  );
  return { json, b64, count: messages.length };
}

/** The request sets of Search by point and of Nearby over `points`. */
export function writePointRequestFiles(grpc, dir, points) {
  return {
    searchPoint: writeRequests(
      dir,
      'search-point',
      grpc.SearchRequest,
      points.map((p) => ({ point: { lat: p.lat, lng: p.lng } })),
    ),
    nearby: writeRequests(
      dir,
      'nearby',
      grpc.NearbyRequest,
      points.map((p) => ({ point: { lat: p.lat, lng: p.lng }, limit: 10 })),
    ),
  };
}

/**
 * The request set of Search by name with paging: for each query, its first
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
  const file = writeRequests(dir, 'search-name', grpc.SearchRequest, requests);
  return { file, requests: requests.length, meanResults: results / requests.length };
}

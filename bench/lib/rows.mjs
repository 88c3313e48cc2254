/** Finding rows of a run (the report's measured rows) by what they measured. */

/** The closed-loop "Search by point" row of the server on `dataset` at `concurrency`, if any. */
export function pointSearchRow(rows, dataset, concurrency) {
  return rows.find(
    (r) =>
      r.kind === 'server' &&
      r.scenario === 'Search by point' &&
      !r.rps &&
      r.dataset === dataset &&
      r.concurrency === concurrency,
  );
}

/** The pgbench row of baseline `variant` with the same data set and concurrency as `row`, if any. */
export function pgbenchPeer(rows, row, variant) {
  return rows.find(
    (r) =>
      r.kind === 'pgbench' &&
      r.variant === variant &&
      r.dataset === row.dataset &&
      r.concurrency === row.concurrency,
  );
}

/** True for closed-loop Search-by-point rows of the server: the ones pgbench is a baseline for. */
export const isPointSearch = (row) =>
  row.kind === 'server' && !row.rps && row.scenario.startsWith('Search by point');

/** The echo row with the same concurrency as `row`, if any. */
export function echoPeer(rows, row) {
  return rows.find((r) => r.kind === 'echo' && r.concurrency === row.concurrency && !r.rps);
}

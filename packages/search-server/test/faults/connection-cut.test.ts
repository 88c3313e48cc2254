import { Status } from 'nice-grpc';
import { expect, it } from 'vitest';
import {
  DATABASE,
  importFeatures,
  outcome,
  reportFault,
  SERVING,
  squareFeatures,
  useFaultStack,
  waitFor,
} from './fault-stack.js';

/** Features per import batch: core writes each batch in one transaction. */
const BATCH = 500;

const stack = useFaultStack('faults-cut');

it('rolls back the batch in flight when the database connection is cut mid-transaction, and survives', async () => {
  const { search, health, dbProxy, postgres, server } = stack();
  const count = async (where: string) =>
    Number((await postgres.query(DATABASE, `SELECT count(*) FROM things WHERE ${where}`))[0]);

  // Slow replies from PostgreSQL (the transaction stays open for a while), then a 4-batch import.
  const latency = await dbProxy.addToxic({ type: 'latency', attributes: { latency: 700 } });
  const importing = outcome(() => importFeatures(search, squareFeatures('cut', 4 * BATCH), BATCH));

  // Cut once a batch has committed and the next one is inside its transaction: its INSERT has run,
  // its COMMIT has not arrived (seen directly in pg_stat_activity, not through the proxy).
  await waitFor('the first batch to commit', async () => (await count("external_id LIKE 'cut-%'")) >= BATCH, {
    timeoutMs: 30_000,
  });
  await waitFor(
    'a batch inside its transaction',
    async () =>
      Number(
        (
          await postgres.query(
            DATABASE,
            `SELECT count(*) FROM pg_stat_activity WHERE application_name = 'search-server'
               AND state = 'idle in transaction' AND query LIKE '%INSERT INTO things%'`,
          )
        )[0],
      ) > 0,
    { everyMs: 10, timeoutMs: 30_000 },
  );
  const cutAt = performance.now();
  const reset = await dbProxy.addToxic({ type: 'reset_peer', attributes: { timeout: 0 } });
  const result = await importing;
  const failedAfterMs = result.endedAt - cutAt;
  await dbProxy.removeToxic(reset);
  await dbProxy.removeToxic(latency);

  // The process survives and the import failed with a proper status.
  expect(server.child.exitCode, server.stderr()).toBeNull();
  expect(Status[result.code]).toBe('UNAVAILABLE');

  // Each batch is wholly there or not at all; the batches before the cut are there, the one in flight is not.
  const perBatch = await Promise.all(
    [0, 1, 2, 3].map((b) =>
      count(`external_id LIKE 'cut-%' AND split_part(external_id, '-', 2)::int / ${BATCH} = ${b}`),
    ),
  );
  for (const n of perBatch) expect([0, BATCH]).toContain(n);
  const committed = perBatch.filter((n) => n === BATCH).length;
  expect(perBatch).toEqual([...Array(committed).fill(BATCH), ...Array(4 - committed).fill(0)]);
  expect(committed).toBeGreaterThanOrEqual(1);
  expect(committed).toBeLessThan(4);
  // PostgreSQL rolled the transaction back: no session of the server is left inside one.
  await waitFor('no open transaction', async () => {
    const open = await postgres.query(
      DATABASE,
      "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'search-server' AND xact_start IS NOT NULL",
    );
    return open[0] === '0';
  });

  // The server serves again: the same import, re-run, completes (upserts are idempotent).
  const servingAt = await waitFor(
    'health SERVING',
    async () => (await health.check({ service: 'geosearch.v1.SearchService' })).status === SERVING,
  );
  const again = await importFeatures(search, squareFeatures('cut', 4 * BATCH), BATCH);
  expect(again.created + again.updated).toBe(4 * BATCH);
  expect(await count("external_id LIKE 'cut-%'")).toBe(4 * BATCH);
  reportFault('connection-cut-mid-transaction', {
    batchesCommittedBeforeCut: committed,
    importFailedAfterCutMs: failedAfterMs,
    servingAfterCutMs: servingAt - cutAt,
  });
});

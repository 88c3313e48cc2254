import { Status } from 'nice-grpc';
import { expect, it } from 'vitest';
import {
  importFeatures,
  NOT_SERVING,
  type Outcome,
  outcome,
  quantile,
  reportFault,
  SERVING,
  sleep,
  squareFeatures,
  useFaultStack,
  waitFor,
} from './fault-stack.js';

const stack = useFaultStack('faults-hang');

it('resolves every call within its deadline + 250 ms while PostgreSQL hangs, and health follows the database', async () => {
  const { search, sdk, health, dbProxy, server } = stack();
  await importFeatures(search, squareFeatures('seed', 20));
  const point = { lat: -79.75, lng: -169.75 }; // inside seed-0
  const status = async () =>
    (await health.check({ service: 'geosearch.v1.SearchService' }, { signal: AbortSignal.timeout(500) }))
      .status;
  expect(await status()).toBe(SERVING);

  // Every byte from PostgreSQL is dropped and no connection closes: the database hangs.
  const hangAt = performance.now();
  const toxic = await dbProxy.addToxic({ type: 'timeout', attributes: { timeout: 0 } });

  const deadlineMs = { search: 800, getThing: 1_000, nearby: 1_200, monitor: 600, importThings: 1_500 };
  const calls: Record<keyof typeof deadlineMs, (options: { deadlineMs: number }) => Promise<unknown>> = {
    search: (options) => sdk.search({ point }, options),
    getThing: (options) => sdk.getThing({ externalId: 'seed-1' }, options),
    nearby: (options) => sdk.nearby({ point, limit: 3 }, options),
    monitor: (options) => sdk.monitor(options),
    importThings: (options) => sdk.importThings(squareFeatures('hang', 3), options),
  };
  const late: { method: string; code: string; overMs: number }[] = [];
  const overruns: number[] = [];
  let hungCalls = 0;
  let lastFromIndexMs = 0;
  // Search by point is answered from the point index while its last sync is at most max(2 s, 5 syncs) old
  // (the server's defaults: 2 s); past that it goes to the database and fails within its deadline like the rest.
  const indexAnswersForMs = 2_000 + 200 + 100;
  const caller = async (method: keyof typeof deadlineMs) => {
    while (performance.now() < hangAt + 5_000) {
      const o = await outcome(() => calls[method]({ deadlineMs: deadlineMs[method] }));
      const overMs = o.endedAt - o.startedAt - deadlineMs[method];
      hungCalls++;
      overruns.push(overMs);
      const fromIndex =
        method === 'search' && o.code === Status.OK && o.startedAt - hangAt < indexAnswersForMs;
      if (fromIndex) lastFromIndexMs = Math.max(lastFromIndexMs, o.startedAt - hangAt);
      else if (![Status.DEADLINE_EXCEEDED, Status.UNAVAILABLE].includes(o.code) || overMs > 250)
        late.push({ method, code: Status[o.code], overMs });
    }
  };
  const probing = waitFor('health NOT_SERVING', async () => (await status()) === NOT_SERVING, {
    everyMs: 100,
    timeoutMs: 10_000,
  });
  await Promise.all([
    ...(Object.keys(deadlineMs) as (keyof typeof deadlineMs)[]).map(caller),
    caller('search'),
    caller('search'),
  ]);
  const notServingAt = await probing;
  expect(hungCalls).toBeGreaterThan(10);
  expect(late).toEqual([]);
  expect(lastFromIndexMs).toBeGreaterThan(1_000); // the index did answer while the database hung

  // The hang ends: health comes back, and so do the calls.
  await dbProxy.removeToxic(toxic);
  const healedAt = performance.now();
  const servingAt = await waitFor('health SERVING', async () => (await status()) === SERVING, {
    everyMs: 100,
    timeoutMs: 10_000,
  });
  let firstOk: Outcome | undefined;
  while (!firstOk && performance.now() < healedAt + 10_000) {
    const o = await outcome(() => sdk.search({ point }, { deadlineMs: 1_000 }));
    if (o.code === Status.OK) firstOk = o;
    else await sleep(20);
  }
  expect(firstOk).toBeDefined();
  const after = await Promise.all(
    Array.from({ length: 20 }, () => outcome(() => sdk.search({ point }, { deadlineMs: 2_000 }))),
  );
  expect(after.map((o) => Status[o.code])).toEqual(Array(20).fill('OK'));
  expect(server.child.exitCode, server.stderr()).toBeNull();

  // The readiness probe runs every 1 s with a 1 s timeout: NOT_SERVING within about two periods.
  expect(notServingAt - hangAt).toBeLessThan(3_000);
  expect(servingAt - healedAt).toBeLessThan(3_000);
  expect((firstOk as Outcome).endedAt - healedAt).toBeLessThan(2_000);
  reportFault('postgres-hang', {
    callsDuringHang: hungCalls,
    overDeadlineP50Ms: quantile(overruns, 0.5),
    overDeadlineMaxMs: Math.max(...overruns),
    notServingAfterMs: notServingAt - hangAt,
    servingAgainAfterMs: servingAt - healedAt,
    firstSearchOkAfterHealMs: (firstOk as Outcome).endedAt - healedAt,
    searchFromPointIndexUntilMs: lastFromIndexMs,
  });
});

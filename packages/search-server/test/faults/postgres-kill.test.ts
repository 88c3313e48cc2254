import { Status } from 'nice-grpc';
import { expect, it } from 'vitest';
import {
  DATABASE,
  importFeatures,
  type Outcome,
  outcome,
  quantile,
  reportFault,
  sleep,
  squareFeatures,
  useFaultStack,
  waitFor,
} from './fault-stack.js';

const stack = useFaultStack('faults-kill');

it('survives PostgreSQL killed with -9 under load: fails fast, recovers within 2 s, loses no acknowledged import', async () => {
  const { search, postgres, server } = stack();
  await importFeatures(search, squareFeatures('seed', 50));
  const point = { lat: -79.75, lng: -169.75 }; // inside seed-0

  let stopAt = Number.POSITIVE_INFINITY;
  const searches: Outcome[] = [];
  const acknowledged: { ids: string[]; at: number }[] = [];
  const imports: Outcome[] = [];
  const searcher = async () => {
    while (performance.now() < stopAt) {
      const o = await outcome(() => search.search({ point, pageSize: 5 }));
      searches.push(o);
      if (o.code !== Status.OK) await sleep(10);
    }
  };
  let batch = 0;
  const importer = async () => {
    while (performance.now() < stopAt) {
      const features = squareFeatures(`load-${batch++}`, 10);
      const o = await outcome(() => importFeatures(search, features));
      imports.push(o);
      if (o.code === Status.OK)
        acknowledged.push({ ids: features.map((f) => JSON.parse(f).id as string), at: o.endedAt });
      else await sleep(10);
    }
  };
  const load = [...Array.from({ length: 4 }, searcher), importer()];

  await sleep(2_000);
  const killAt = performance.now();
  await postgres.control('kill');
  await waitFor('PostgreSQL to be down', async () => !(await postgres.accepting()));
  await sleep(3_000);
  const restarting = postgres.control('start');
  const acceptingAt = await waitFor('PostgreSQL to accept connections', () => postgres.accepting(), {
    everyMs: 20,
  });
  await restarting;
  await sleep(3_000);
  stopAt = performance.now();
  await Promise.all(load);

  // The server never exited.
  expect(server.child.exitCode, server.stderr()).toBeNull();
  expect(server.child.signalCode, server.stderr()).toBeNull();

  // During the outage every call failed fast with UNAVAILABLE. It begins a moment after the kill (the
  // orphaned backends of a killed postmaster serve their open connections for a few hundred ms) and
  // ends when PostgreSQL accepts connections (seen by polling, up to ~50 ms late).
  const outageFrom = killAt + 1_000;
  const outage = [...searches, ...imports].filter(
    (o) => o.startedAt > outageFrom && o.endedAt < acceptingAt - 100,
  );
  expect(outage.length).toBeGreaterThan(20);
  const unexpected = outage
    .filter((o) => o.code !== Status.UNAVAILABLE)
    .map((o) => ({ code: Status[o.code], startedMs: o.startedAt - killAt, endedMs: o.endedAt - killAt }));
  expect(unexpected, `PostgreSQL back at ${acceptingAt - killAt} ms`).toEqual([]);
  const failMs = outage.map((o) => o.endedAt - o.startedAt);
  expect(quantile(failMs, 0.99)).toBeLessThan(1_000);

  // The first successful Search after the kill comes at most 2 s after PostgreSQL accepts connections.
  const firstOk = searches.find((o) => o.startedAt > outageFrom && o.code === Status.OK);
  expect(firstOk).toBeDefined();
  const recoveryMs = (firstOk as Outcome).endedAt - acceptingAt;
  expect(recoveryMs).toBeLessThanOrEqual(2_000);
  // ...and the load is healthy again afterwards.
  const tail = searches.filter((o) => o.startedAt > acceptingAt + 2_000);
  expect(tail.length).toBeGreaterThan(10);
  expect(tail.every((o) => o.code === Status.OK)).toBe(true);

  // Every import acknowledged before the kill (and after it) is there.
  const ackedBeforeKill = acknowledged.filter((a) => a.at < killAt).flatMap((a) => a.ids);
  expect(ackedBeforeKill.length).toBeGreaterThan(0);
  const stored = new Set(
    await postgres.query(DATABASE, "SELECT external_id FROM things WHERE external_id LIKE 'load-%'"),
  );
  expect(ackedBeforeKill.filter((id) => !stored.has(id))).toEqual([]);
  expect(acknowledged.flatMap((a) => a.ids).filter((id) => !stored.has(id))).toEqual([]);
  const got = await search.getThing({
    key: { $case: 'externalId', value: ackedBeforeKill.at(-1) as string },
  });
  expect(got.thing?.externalId).toBe(ackedBeforeKill.at(-1));

  reportFault('postgres-kill-9', {
    outageCalls: outage.length,
    failFastP50Ms: quantile(failMs, 0.5),
    failFastP99Ms: quantile(failMs, 0.99),
    failFastMaxMs: Math.max(...failMs),
    downMs: acceptingAt - killAt,
    firstSearchOkAfterPostgresBackMs: recoveryMs,
    importsAckedBeforeKill: ackedBeforeKill.length,
    importsAckedTotal: acknowledged.length * 10,
    importsLost: 0,
  });
});

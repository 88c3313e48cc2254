import { Writable } from 'node:stream';
import type { PointIndexStatus, SearchCore } from '@geosearch/search-core';
import pino from 'pino';
import { afterAll, expect, it, vi } from 'vitest';

// The module reads `globalThis.gc` when it loads: a spy stands in for V8's (exposed by --expose-gc).
const gc = vi.fn();
const exposed = (globalThis as { gc?: unknown }).gc;
(globalThis as { gc?: unknown }).gc = gc;
const { startPointIndexSync } = await import('../src/point-index-sync.js');
afterAll(() => {
  (globalThis as { gc?: unknown }).gc = exposed;
});

const status = (state: PointIndexStatus['state'], loads: number): PointIndexStatus => ({
  state,
  things: 3,
  vertices: 30,
  bytes: 2 ** 20,
  loads,
});

it('logs each change of state and each full reload, and collects garbage after every full load', async () => {
  const sequence = [
    status('ready', 1), // first load
    status('ready', 1), // caught up
    status('ready', 2), // read again in full
    status('stale', 2),
    status('ready', 2), // caught up again
  ];
  let calls = 0;
  const core = {
    syncPointIndex: async () => sequence[Math.min(calls++, sequence.length - 1)],
  } as unknown as SearchCore;
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  );
  const stop = startPointIndexSync({ core, intervalMs: 1, log });
  await vi.waitFor(() => expect(calls).toBeGreaterThan(sequence.length));
  await stop();

  expect(lines.map((l) => [l.msg, l.state])).toEqual([
    ['point index ready: point searches answered from memory', 'ready'],
    ['point index read again in full: point searches answered from memory', 'ready'],
    ['point index stale: point searches go to the database', 'stale'],
    ['point index ready: point searches answered from memory', 'ready'],
  ]);
  expect(gc).toHaveBeenCalledTimes(2);
  expect(gc).toHaveBeenCalledWith({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  for (const line of lines.slice(0, 2))
    expect(line).toMatchObject({ gcMs: expect.any(Number), rssAfterMiB: expect.any(Number) });
  expect(lines[0]).toHaveProperty('durationMs');
  expect(lines[3]).not.toHaveProperty('gcMs');
});

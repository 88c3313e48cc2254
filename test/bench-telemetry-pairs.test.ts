import { describe, expect, it } from 'vitest';
import { evaluateTargets, telemetryPairs } from '../bench/lib/targets.mjs';

/** A round's figures: `on` switched on, QPS and CPU per call of servers A and B, packets and log bytes as a real switch gives them. */
function round(config: string, on: 0 | 1, qps: [number, number], cpuUs: [number, number], confirmed = true) {
  return {
    config,
    on,
    confirmed,
    servers: qps.map((q, i) => ({
      qps: q,
      cpuUs: cpuUs[i],
      p50: 0.2,
      p99: 1,
      errors: 0,
      statsdPackets: 0,
      logBytes: 0,
    })),
  };
}

const switched = (rounds: ReturnType<typeof round>[]) => ({
  dataset: 'grid-100k',
  concurrency: 32,
  conns: 4,
  turnS: 0.25,
  roundS: 12,
  warmupS: 120,
  settleS: 0.5,
  rounds,
  rssMiB: [90, 91],
});

describe('the switched logging-and-metrics pairs', () => {
  it('cancel the servers’ own speed difference and give the configuration’s cost', () => {
    // A runs 10 % faster than B; switching a configuration on costs 4 % of QPS and adds 5 % CPU per call.
    const k = 1.1;
    const c = 0.04;
    const pairs = telemetryPairs(
      switched([
        round('loud', 0, [1000 * k * (1 - c), 1000], [105 / k, 100]),
        round('loud', 1, [1000 * k, 1000 * (1 - c)], [100 / k, 105]),
        round('logs', 1, [1000 * k, 1000 * (1 - 0.02)], [100 / k, 100]),
        round('logs', 0, [1000 * k * (1 - 0.02), 1000], [100 / k, 100]),
      ]),
    );
    expect(pairs).toHaveLength(2);
    expect(pairs[0]).toMatchObject({ config: 'loud', rounds: [1, 2], confirmed: true });
    expect(pairs[0]?.cost).toBeCloseTo(c, 10);
    expect(pairs[0]?.cpuCost).toBeCloseTo(1 - 1 / 1.05, 10);
    expect(pairs[0]?.serverFactor).toBeCloseTo(k, 10);
    // The order within the pair does not matter.
    expect(pairs[1]?.cost).toBeCloseTo(0.02, 10);
    expect(pairs[1]?.serverFactor).toBeCloseTo(k, 10);
  });

  it('skip two rounds that do not form a pair', () => {
    const pairs = telemetryPairs(
      switched([
        round('loud', 0, [900, 1000], [100, 100]),
        round('loud', 0, [900, 1000], [100, 100]),
        round('logs', 0, [900, 1000], [100, 100]),
        round('metrics', 1, [900, 1000], [100, 100]),
      ]),
    );
    expect(pairs).toEqual([]);
  });

  it('judge the target on the median of the loud pairs, and give no verdict when a switch was not confirmed', () => {
    const results = (confirmed: boolean) => ({
      rows: [],
      datasets: [],
      variants: [],
      coldStarts: [],
      memory: [],
      telemetrySwitch: switched([
        round('loud', 0, [970, 1000], [100, 100]),
        round('loud', 1, [1000, 970], [100, 100]),
        round('loud', 1, [1000, 900], [100, 100], confirmed),
        round('loud', 0, [900, 1000], [100, 100]),
        round('loud', 0, [980, 1000], [100, 100]),
        round('loud', 1, [1000, 980], [100, 100]),
        // The control is reported beside the verdict, not in it.
        round('control', 0, [700, 1000], [100, 100]),
        round('control', 1, [1000, 700], [100, 100]),
      ]),
    });
    const target = (confirmed: boolean) =>
      evaluateTargets(results(confirmed)).find((t: { target: string }) =>
        t.target.startsWith('logging and metrics'),
      );
    expect(target(true)).toMatchObject({ met: true });
    expect(target(true)?.measured).toMatch(
      /^3\.0 %, the median of 3 pairs of rounds \(3\.0 \/ 10\.0 \/ 2\.0 %/,
    );
    expect(target(true)?.measured).toContain(
      "control: logs error, metrics off 30.0 % (1 pair), which costs nothing: the method's own bias",
    );
    expect(target(false)).toMatchObject({ met: undefined });
    expect(target(false)?.measured).toContain('did not confirm: 1, so no verdict');
  });
});

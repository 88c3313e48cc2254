import { pgbenchVariants } from './pgbench.mjs';
import { pgbenchPeer, pointSearchRow } from './rows.mjs';

/** The least ratio the gate accepts at `concurrency`: one number for all, or one per concurrency. */
export const thresholdAt = (gate, concurrency) =>
  typeof gate.threshold === 'number' ? gate.threshold : gate.threshold[concurrency];

/** The gate's thresholds in words, e.g. "0.1 at 4 in flight and 0.3 at 32". */
export const describeThresholds = (gate) =>
  typeof gate.threshold === 'number'
    ? String(gate.threshold)
    : Object.entries(gate.threshold)
        .map(([c, t], i) => `${t} at ${c}${i === 0 ? ' in flight' : ''}`)
        .join(' and ');

/**
 * The smoke gate: closed-loop Search-by-point QPS over the QPS of the pgbench
 * baseline `gate.baseline`, at each of `gate.concurrency`, on `dataset`; it
 * passes when every ratio is at least its threshold (see {@link thresholdAt})
 * and no call failed. Undefined when the mode has no gate.
 */
export function evaluateGate(gate, rows, dataset) {
  if (!gate) return undefined;
  const checks = gate.concurrency.map((concurrency) => {
    const server = pointSearchRow(rows, dataset, concurrency);
    const baseline = server && pgbenchPeer(rows, server, gate.baseline);
    const ratio = baseline ? server.qps / baseline.qps : Number.NaN;
    return {
      dataset,
      concurrency,
      ratio,
      threshold: thresholdAt(gate, concurrency),
      errors: server?.errors ?? 0,
    };
  });
  return {
    threshold: gate.threshold,
    target: gate.target,
    targetMet: checks.every((c) => c.ratio >= (gate.target ?? c.threshold)),
    baseline: pgbenchVariants[gate.baseline],
    checks,
    pass: checks.every((c) => c.ratio >= c.threshold && c.errors === 0),
  };
}

/** One line per check, for the console. */
export const describeGate = (gate) =>
  `${gate.checks.map((c) => `c=${c.concurrency} ratio ${c.ratio.toFixed(2)} errors ${c.errors}`).join('; ')}` +
  ` (fails below ${describeThresholds(gate)}; target ${gate.target ?? describeThresholds(gate)} ${gate.targetMet ? 'met' : 'NOT met'})`;

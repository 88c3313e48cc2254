import { pgbenchVariants } from './pgbench.mjs';
import { pgbenchPeer, pointSearchRow } from './rows.mjs';

/**
 * The smoke gate: closed-loop Search-by-point QPS over the QPS of the pgbench
 * baseline `gate.baseline`, at each of `gate.concurrency`, on `dataset`; it
 * passes when every ratio is at least `gate.threshold` and no call failed.
 * Undefined when the mode has no gate.
 */
export function evaluateGate(gate, rows, dataset) {
  if (!gate) return undefined;
  const checks = gate.concurrency.map((concurrency) => {
    const server = pointSearchRow(rows, dataset, concurrency);
    const baseline = server && pgbenchPeer(rows, server, gate.baseline);
    const ratio = baseline ? server.qps / baseline.qps : Number.NaN;
    return { dataset, concurrency, ratio, errors: server?.errors ?? 0 };
  });
  return {
    threshold: gate.threshold,
    target: gate.target,
    targetMet: checks.every((c) => c.ratio >= (gate.target ?? gate.threshold)),
    baseline: pgbenchVariants[gate.baseline],
    checks,
    pass: checks.every((c) => c.ratio >= gate.threshold && c.errors === 0),
  };
}

/** One line per check, for the console. */
export const describeGate = (gate) =>
  `${gate.checks.map((c) => `c=${c.concurrency} ratio ${c.ratio.toFixed(2)} errors ${c.errors}`).join('; ')}` +
  ` (fails below ${gate.threshold}; target ${gate.target ?? gate.threshold} ${gate.targetMet ? 'met' : 'NOT met'})`;

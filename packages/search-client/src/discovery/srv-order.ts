/** One SRV answer whose target name has been resolved to an address. */
export interface SrvTarget {
  /** `host:port` (IPv6 in brackets). */
  readonly target: string;
  readonly priority: number;
  readonly weight: number;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * The targets to call, from SRV answers (RFC 2782): only the lowest
 * priority value is used while it has any target, and within it each target
 * appears in proportion to its weight, interleaved smoothly (weights reduced
 * by their common divisor, the list capped at `maxLength`), so a
 * round-robin over the list sends each target its weighted share of calls.
 * Weight 0 targets are used only when every weight is 0. The order is
 * deterministic for a given set of answers.
 */
export function srvOrder(answers: readonly SrvTarget[], maxLength = 64): string[] {
  if (answers.length === 0) return [];
  const top = Math.min(...answers.map((a) => a.priority));
  const group = new Map<string, number>();
  for (const a of answers) {
    if (a.priority === top) group.set(a.target, (group.get(a.target) ?? 0) + Math.max(0, a.weight));
  }
  let entries = [...group].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.every(([, w]) => w === 0)) entries = entries.map(([t]) => [t, 1]);
  else entries = entries.filter(([, w]) => w > 0);
  const divisor = entries.reduce((d, [, w]) => gcd(d, w), 0);
  let weights = entries.map(([, w]) => w / divisor);
  const total = weights.reduce((s, w) => s + w, 0);
  if (total > maxLength) {
    weights = weights.map((w) => Math.max(1, Math.round((w * maxLength) / total)));
  }
  // Smooth weighted round-robin: each step, every target gains its weight and the richest pays the total.
  const sum = weights.reduce((s, w) => s + w, 0);
  const credit = weights.map(() => 0);
  const order: string[] = [];
  for (let step = 0; step < sum; step++) {
    let best = 0;
    for (let i = 0; i < weights.length; i++) {
      credit[i] = (credit[i] as number) + (weights[i] as number);
      if ((credit[i] as number) > (credit[best] as number)) best = i;
    }
    credit[best] = (credit[best] as number) - sum;
    order.push((entries[best] as [string, number])[0]);
  }
  return order;
}

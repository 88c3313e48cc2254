/** The `p`-th percentile (0 to 100, nearest rank) of ascending `sorted` values; NaN when empty. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** The median of some numbers (the mean of the middle two for an even count); NaN when there are none. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The mean of some numbers; NaN when there are none. */
export const mean = (values) => values.reduce((sum, v) => sum + v, 0) / values.length;

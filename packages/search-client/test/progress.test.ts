import { describe, expect, it } from 'vitest';
import { createProgressReporter } from '../src/cli/progress.js';

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, isTTY, columns: 200, write: (text: string) => writes.push(text) };
}

describe('import progress', () => {
  const state = (features: number) => ({ features, bytesRead: features * 100, totalBytes: 1_000_000 });

  it('redraws one line with a bar on a terminal, and ends it', () => {
    let now = 0;
    const out = stream(true);
    const progress = createProgressReporter(out, { now: () => now });
    now = 1000;
    progress.update(state(2500));
    now = 1050;
    progress.update(state(3000)); // too soon: skipped
    now = 2000;
    progress.finish(state(10_000));
    expect(out.writes).toHaveLength(3);
    expect(out.writes[0]?.startsWith('\r\u001b[2K')).toBe(true);
    expect(out.writes[0]?.slice(5)).toMatch(
      /^import: \[######-+\] 2,500 features sent, 0\.3 MB of 1\.0 MB read \(25%\), 2,500 features\/s$/,
    );
    expect(out.writes[1]).toMatch(/\[#{24}\] 10,000 features sent.*\(100%\)/);
    expect(out.writes[2]).toBe('\n');
  });

  it('prints plain lines elsewhere: the first update, then at most one per interval, then the end', () => {
    let now = 0;
    const out = stream(false);
    const progress = createProgressReporter(out, { now: () => now, intervalMs: 1000 });
    for (let i = 1; i <= 30; i++) {
      now = i * 100;
      progress.update(state(i * 100));
    }
    progress.update({ ...state(3000), waiting: true });
    progress.finish(state(3000));
    expect(out.writes.every((w) => w.startsWith('import: '))).toBe(true);
    expect(out.writes.every((w) => w.endsWith('\n') && !w.includes('\r') && !w.includes('#'))).toBe(true);
    expect(out.writes).toHaveLength(3 + 1 + 1);
    expect(out.writes.at(-2)).toMatch(/waiting for the server to commit/);
  });
});

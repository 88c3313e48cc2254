import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { memoryChartSvg, qpsChartSvg } from './chart.mjs';
import { verdictWord } from './memory-soak.mjs';
import { markdownReport } from './report.mjs';

const barLabel = (r) =>
  `${r.rps ? `${r.scenario} at ${r.rps}/s` : r.scenario}${r.dataset === '—' ? '' : `, ${r.dataset}`}, ${r.concurrency} in flight`.slice(
    0,
    60,
  );

/**
 * Writes `<dir>/<base>.md` (the report), `.svg` (QPS per scenario),
 * `-memory.svg` (RSS over the memory soak, when it ran) and `.json` (every
 * figure; live handles such as processes left out).
 */
export function writeResults({ dir, base, results }) {
  mkdirSync(dir, { recursive: true });
  const chartFile = `${base}.svg`;
  const soak = results.memorySoak;
  const memoryChartFile = soak ? `${base}-memory.svg` : undefined;
  if (soak) {
    writeFileSync(
      join(dir, memoryChartFile),
      memoryChartSvg({
        title: `geosearch memory over ${soak.requests.toLocaleString('en-US')} requests, ${results.mode}, ${results.startedAt.slice(0, 10)}`,
        subtitle: `Search by point at ${soak.concurrency} in flight, ${soak.dataset}, logs info, metrics on; growth ${soak.growthMiB.toFixed(1)} MiB, bound ${soak.bound.toFixed(1)} MiB: ${verdictWord(soak.pass)}`,
        samples: soak.samples,
        idleMiB: soak.idleMiB,
        limitMiB: soak.settledMiB + soak.bound,
      }),
    );
  }
  writeFileSync(join(dir, `${base}.md`), markdownReport({ ...results, chartFile, memoryChartFile }));
  writeFileSync(
    join(dir, chartFile),
    qpsChartSvg({
      title: `geosearch benchmark, ${results.mode}, ${results.startedAt.slice(0, 10)}`,
      subtitle: `QPS per scenario; ${results.machine.nproc} CPUs, load average ${results.loadStart[0]} at start, ${results.loadEnd[0]} at end`,
      bars: results.rows.map((r) => ({
        kind: r.variant === 'inline' ? 'pgbench-inline' : r.kind,
        qps: r.qps,
        label: barLabel(r),
      })),
    }),
  );
  writeFileSync(
    join(dir, `${base}.json`),
    `${JSON.stringify({ ...results, chartFile, memoryChartFile }, null, 2)}\n`,
  );
}

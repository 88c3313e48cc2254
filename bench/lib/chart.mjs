const escapeXml = (text) =>
  String(text).replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c],
  );

/** The opening of a chart: the svg element, a white background, the title and the subtitle. */
const svgStart = ({ width, height, title, subtitle }) => [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
  `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  `<text x="12" y="22" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
  `<text x="12" y="42" fill="#555555">${escapeXml(subtitle)}</text>`,
];

/** Bar colours by row kind. */
const colours = { server: '#2f6db5', pgbench: '#d9822b', 'pgbench-inline': '#f2c08f', echo: '#6b9e3c' };
const legend = {
  server: 'search-server',
  pgbench: 'pgbench, same statement',
  'pgbench-inline': 'pgbench, LIMIT inline',
  echo: 'gRPC echo',
};

/**
 * A horizontal bar chart of QPS, one bar per row (`label`, `qps`, `kind`),
 * as standalone SVG text with a legend and the value printed on each bar.
 */
export function qpsChartSvg({ title, subtitle, bars }) {
  const labelWidth = 430;
  const barArea = 520;
  const rowHeight = 22;
  const top = 64;
  const width = labelWidth + barArea + 90;
  const height = top + bars.length * rowHeight + 40;
  const max = Math.max(1, ...bars.map((b) => (Number.isFinite(b.qps) ? b.qps : 0)));
  const parts = svgStart({ width, height, title, subtitle });
  bars.forEach((bar, i) => {
    const y = top + i * rowHeight;
    const qps = Number.isFinite(bar.qps) ? bar.qps : 0;
    const w = Math.max(1, (qps / max) * barArea);
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escapeXml(bar.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 6}" fill="${colours[bar.kind] ?? '#888888'}"/>`,
      `<text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + 15}">${escapeXml(Math.round(qps).toLocaleString('en-US'))}</text>`,
    );
  });
  const legendY = top + bars.length * rowHeight + 22;
  Object.entries(colours).forEach(([kind, colour], i) => {
    const x = 12 + i * 190;
    parts.push(
      `<rect x="${x}" y="${legendY - 10}" width="12" height="12" fill="${colour}"/>`,
      `<text x="${x + 18}" y="${legendY}">${escapeXml(legend[kind] ?? kind)}</text>`,
    );
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}

/** A round step for about `count` ticks over 0…`max` (1, 2 or 5 times a power of ten). */
function tickStep(max, count) {
  const raw = Math.max(max, 1e-9) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw) ?? 10 * power;
}

/** A request count as a short label: 500, 20k, 1.5M. */
const shortCount = (n) =>
  n >= 1e6 ? `${+(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${+(n / 1e3).toFixed(1)}k` : String(n);

/**
 * A line chart of RSS (MiB) against requests served: the soak's `samples`
 * (`served`, `rssMiB`) as a line with a dot each, `idleMiB` as a dashed
 * line and `limitMiB` (settled RSS plus the bound) as a dotted one, both
 * axes from zero. Standalone SVG text.
 */
export function memoryChartSvg({ title, subtitle, samples, idleMiB, limitMiB }) {
  const width = 760;
  const height = 420;
  const left = 70;
  const right = 30;
  const top = 70;
  const bottom = 70;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const finite = (values) => values.filter((v) => Number.isFinite(v));
  const xStep = tickStep(Math.max(1, ...samples.map((s) => s.served)), 5);
  const xMax = xStep * Math.ceil(Math.max(1, ...samples.map((s) => s.served)) / xStep);
  const yTop = Math.max(1, ...finite([...samples.map((s) => s.rssMiB), idleMiB, limitMiB]));
  const yStep = tickStep(yTop * 1.05, 5);
  const yMax = yStep * Math.ceil((yTop * 1.05) / yStep);
  const x = (served) => (left + (served / xMax) * plotW).toFixed(1);
  const y = (mib) => (top + plotH - (mib / yMax) * plotH).toFixed(1);
  const parts = svgStart({ width, height, title, subtitle });
  for (let i = 0; i * yStep <= yMax + yStep / 2; i++) {
    const v = i * yStep;
    parts.push(
      `<line x1="${left}" y1="${y(v)}" x2="${left + plotW}" y2="${y(v)}" stroke="#e4e4e4"/>`,
      `<text x="${left - 6}" y="${(Number(y(v)) + 4).toFixed(1)}" text-anchor="end">${escapeXml(String(+v.toFixed(3)))}</text>`,
    );
  }
  for (let i = 0; i * xStep <= xMax + xStep / 2; i++) {
    const v = i * xStep;
    parts.push(
      `<line x1="${x(v)}" y1="${top + plotH}" x2="${x(v)}" y2="${top + plotH + 4}" stroke="#555555"/>`,
      `<text x="${x(v)}" y="${top + plotH + 17}" text-anchor="middle">${escapeXml(shortCount(v))}</text>`,
    );
  }
  parts.push(
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#555555"/>`,
    `<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="#555555"/>`,
    `<text x="${left + plotW / 2}" y="${top + plotH + 36}" text-anchor="middle">requests served</text>`,
    `<text x="16" y="${top + plotH / 2}" text-anchor="middle" transform="rotate(-90 16 ${top + plotH / 2})">RSS MiB</text>`,
  );
  for (const [mib, colour, dash] of [
    [idleMiB, '#777777', '6 4'],
    [limitMiB, '#c0392b', '2 3'],
  ]) {
    if (!Number.isFinite(mib)) continue;
    parts.push(
      `<line x1="${left}" y1="${y(mib)}" x2="${left + plotW}" y2="${y(mib)}" stroke="${colour}" stroke-width="1.5" stroke-dasharray="${dash}"/>`,
    );
  }
  const drawn = samples.filter((s) => Number.isFinite(s.rssMiB));
  parts.push(
    `<polyline fill="none" stroke="#2f6db5" stroke-width="2" points="${drawn.map((s) => `${x(s.served)},${y(s.rssMiB)}`).join(' ')}"/>`,
    ...drawn.map((s) => `<circle cx="${x(s.served)}" cy="${y(s.rssMiB)}" r="3" fill="#2f6db5"/>`),
  );
  const legendY = height - 14;
  const entries = [
    ['#2f6db5', '', 'RSS after each segment'],
    ['#777777', '6 4', 'idle RSS (1 s after start)'],
    ['#c0392b', '2 3', 'settled RSS + bound'],
  ];
  entries.forEach(([colour, dash, label], i) => {
    const lx = left + i * 220;
    parts.push(
      `<line x1="${lx}" y1="${legendY - 4}" x2="${lx + 24}" y2="${legendY - 4}" stroke="${colour}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
      `<text x="${lx + 30}" y="${legendY}">${escapeXml(label)}</text>`,
    );
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}

const escapeXml = (text) =>
  String(text).replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c],
  );

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
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="12" y="42" fill="#555555">${escapeXml(subtitle)}</text>`,
  ];
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

import { parseGeometry } from '../geometry.js';
import type { Thing } from '../results.js';
import type { OutputStream } from './cli-io.js';

/** Writes one JSON document (and a newline). */
export function writeJson(stream: OutputStream, value: unknown): void {
  stream.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A thing for JSON output: the geometry as an object (when sent) instead of text. */
export function thingJson(thing: Thing): Record<string, unknown> {
  const { geometryGeojson: _text, ...rest } = thing;
  const geometry = parseGeometry(thing);
  return geometry === undefined ? rest : { ...rest, geometry };
}

/** Text columns padded to the widest cell; `right` columns (numbers) are right-aligned. */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly number[] = [],
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => {
        const width = widths[i] ?? 0;
        return right.includes(i) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

/** `key  value` lines, keys padded. */
export function formatFields(fields: readonly (readonly [string, string])[]): string {
  const width = Math.max(...fields.map(([k]) => k.length));
  return `${fields.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`;
}

/** A thing's fields for a table view. */
export function thingFields(thing: Thing): [string, string][] {
  const bbox = thing.bbox
    ? `${thing.bbox.minLng}, ${thing.bbox.minLat} .. ${thing.bbox.maxLng}, ${thing.bbox.maxLat} (lng, lat)`
    : '';
  const fields: [string, string][] = [
    ['id', String(thing.id)],
    ['external id', thing.externalId],
    ['name', thing.name],
    ['version', String(thing.version)],
    ['bbox', bbox],
    ['created', thing.createTime?.toISOString() ?? ''],
    ['updated', thing.updateTime?.toISOString() ?? ''],
    ['properties', JSON.stringify(thing.properties)],
  ];
  if (thing.geometryGeojson !== undefined) {
    fields.push(['geometry', `${thing.geometryGeojson.length} characters of GeoJSON (--json prints it)`]);
  }
  return fields;
}

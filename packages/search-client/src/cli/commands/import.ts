import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { readGeoJsonFeatures } from '../../geojson-features.js';
import type { ImportResult } from '../../results.js';
import { isSearchClientError } from '../../search-client-error.js';
import { numberOption, stringOption } from '../arguments.js';
import type { Command } from '../command.js';
import { writeJson } from '../output.js';
import { createProgressReporter } from '../progress.js';
import { UsageError } from '../usage-error.js';

/** The input and its size, when it is a file. */
async function openInput(
  file: string,
  stdin: AsyncIterable<string | Uint8Array> | undefined,
): Promise<{ chunks: AsyncIterable<string | Uint8Array>; totalBytes: number | undefined }> {
  if (file === '-') {
    if (stdin === undefined) throw new UsageError('FILE', 'standard input is not available');
    return { chunks: stdin, totalBytes: undefined };
  }
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new UsageError('FILE', `'${file}' is not a file`);
    return { chunks: createReadStream(file, { highWaterMark: 256 * 1024 }), totalBytes: info.size };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as { code?: unknown }).code;
    throw new UsageError('FILE', `cannot read '${file}' (${typeof code === 'string' ? code : error})`);
  }
}

function summary(file: string, result: ImportResult, features: number, seconds: number): string {
  const rate = seconds > 0 ? Math.round(features / seconds) : features;
  const lines = [
    `imported ${file}: created=${result.created} updated=${result.updated} rejected=${result.rejected}` +
      ` (${features} features in ${seconds.toFixed(1)} s, ${rate} features/s)`,
    ...result.rejections.map(
      (r) => `  rejected #${r.index}${r.externalId === undefined ? '' : ` (${r.externalId})`}: ${r.reason}`,
    ),
  ];
  if (result.rejected > result.rejections.length) {
    lines.push(`  ... and ${result.rejected - result.rejections.length} more`);
  }
  return `${lines.join('\n')}\n`;
}

/** `geosearch import`: streams a GeoJSON file's features to the server (upsert by external id). */
export const importCommand: Command = {
  name: 'import',
  summary: 'import the features of a GeoJSON file (upsert by external id)',
  usage: 'geosearch import FILE.geojson [--id-property NAME] [--name-property NAME] [--batch-features N]',
  positionals: [1, 1],
  options: {
    'id-property': { type: 'string' },
    'name-property': { type: 'string' },
    'batch-features': { type: 'string' },
  },
  optionsHelp: `Arguments:
  FILE                   a FeatureCollection, a Feature, or newline-delimited
                         features; '-' reads standard input. Read as a stream.
Options:
  --id-property NAME     property holding the external id when a feature has
                         no "id" (server default: id)
  --name-property NAME   property holding the name (server default: name)
  --batch-features N     most features per stream message (default 1000)

Progress goes to stderr; the summary (and each rejected feature) to stdout.
Re-running an import is safe: features upsert by external id.`,
  async run({ values, positionals, io, json, client }) {
    const file = positionals[0] ?? '';
    const batchFeatures = numberOption(values, 'batch-features', { integer: true, min: 1 });
    const idProperty = stringOption(values, 'id-property');
    const nameProperty = stringOption(values, 'name-property');
    const sdk = await client();
    const { chunks, totalBytes } = await openInput(file, io.stdin);
    let bytesRead = 0;
    async function* counted() {
      for await (const chunk of chunks) {
        bytesRead += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
        yield chunk;
      }
    }
    let features = 0;
    const progress = createProgressReporter(io.stderr);
    const started = performance.now();
    let result: ImportResult;
    try {
      result = await sdk.importThings(readGeoJsonFeatures(counted()), {
        ...(idProperty === undefined ? {} : { idProperty }),
        ...(nameProperty === undefined ? {} : { nameProperty }),
        ...(batchFeatures === undefined ? {} : { batchFeatures }),
        onProgress: (p) => {
          features = p.features;
          progress.update({ features, bytesRead, totalBytes, waiting: p.finished });
        },
      });
    } catch (error) {
      const violation = isSearchClientError(error) ? error.violations[0] : undefined;
      if (violation?.field === 'geojson' && isSearchClientError(error) && error.method === undefined) {
        throw new UsageError(file, `not GeoJSON: ${violation.reason}`);
      }
      throw error;
    } finally {
      progress.finish({ features, bytesRead, totalBytes });
    }
    const seconds = (performance.now() - started) / 1000;
    if (json) {
      writeJson(io.stdout, { file, features, durationMs: Math.round(seconds * 1000), ...result });
    } else {
      io.stdout.write(summary(file, result, features, seconds));
    }
  },
};

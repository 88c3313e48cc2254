import { Buffer } from 'node:buffer';
import type { ImportThingsRequest } from '@geosearch/generated';
import type { ImportItem, ImportProgress } from './requests.js';

/** Options of {@link importMessages}. */
export interface ImportMessagesOptions {
  readonly idProperty?: string | undefined;
  readonly nameProperty?: string | undefined;
  /** Most features per message. */
  readonly batchFeatures: number;
  /** Most bytes per encoded message (the server refuses messages over 4 MiB by default). */
  readonly maxMessageBytes: number;
  readonly onProgress?: ((progress: ImportProgress) => void) | undefined;
}

/** Default message cap: ~3.5 MB, safely under the server's default 4 MiB limit. */
export const defaultMaxMessageBytes = 3.5 * 1024 * 1024;

const varintSize = (n: number) => (n < 2 ** 7 ? 1 : n < 2 ** 14 ? 2 : n < 2 ** 21 ? 3 : n < 2 ** 28 ? 4 : 5);
/** Encoded size of one length-delimited field: tag, length, bytes. */
const fieldSize = (text: string) => {
  const length = Buffer.byteLength(text, 'utf8');
  return 1 + varintSize(length) + length;
};

function isCollection(item: unknown): item is { features: readonly unknown[] } {
  const candidate = item as { type?: unknown; features?: unknown } | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    candidate.type === 'FeatureCollection' &&
    Array.isArray(candidate.features)
  );
}

/** The GeoJSON text of every feature of one item (collections are sent feature by feature). */
function* featureTexts(item: ImportItem): Generator<string> {
  if (typeof item === 'string') {
    yield item;
  } else if (isCollection(item)) {
    for (const feature of item.features) yield JSON.stringify(feature) ?? 'null';
  } else {
    yield JSON.stringify(item) ?? 'null';
  }
}

/**
 * The ImportThings request stream for `items`: features serialized one by
 * one and packed into messages of at most `batchFeatures` features and
 * `maxMessageBytes` bytes (a single larger feature goes alone, and the
 * server decides). The first message carries the property names; there is
 * always at least one message. `onProgress` runs after each message is
 * handed to gRPC.
 */
export async function* importMessages(
  items: AsyncIterable<ImportItem> | Iterable<ImportItem>,
  options: ImportMessagesOptions,
): AsyncGenerator<ImportThingsRequest, void, undefined> {
  const idProperty = options.idProperty ?? '';
  const nameProperty = options.nameProperty ?? '';
  const progress = { features: 0, bytes: 0, messages: 0 };
  let batch: string[] = [];
  let batchBytes = 0;
  let first = true;
  const overhead = () => (first ? fieldSize(idProperty) + fieldSize(nameProperty) : 0);

  async function* flush(finished: boolean): AsyncGenerator<ImportThingsRequest, void, undefined> {
    const message = {
      geojson: batch,
      idProperty: first ? idProperty : '',
      nameProperty: first ? nameProperty : '',
    };
    const sent = { features: batch.length, bytes: batchBytes };
    first = false;
    batch = [];
    batchBytes = 0;
    yield message;
    progress.features += sent.features;
    progress.bytes += sent.bytes;
    progress.messages += 1;
    options.onProgress?.({ ...progress, finished });
  }

  for await (const item of items) {
    for (const text of featureTexts(item)) {
      const size = fieldSize(text);
      if (
        batch.length > 0 &&
        (batch.length >= options.batchFeatures || overhead() + batchBytes + size > options.maxMessageBytes)
      ) {
        yield* flush(false);
      }
      batch.push(text);
      batchBytes += size;
    }
  }
  if (batch.length > 0 || first) yield* flush(true);
}

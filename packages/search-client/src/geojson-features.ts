import { TextDecoder } from 'node:util';
import { invalidArgument } from './search-client-error.js';

const OPEN_OBJECT = 0x7b; // {
const CLOSE_OBJECT = 0x7d; // }
const OPEN_ARRAY = 0x5b; // [
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \
const COLON = 0x3a; // :
const COMMA = 0x2c; // ,

/** Whitespace between JSON values, and the record separator of GeoJSON text sequences (RFC 8142). */
const isSeparator = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x1e;

/**
 * Streams the features of GeoJSON text without holding the whole document:
 * yields the JSON text of each element of a FeatureCollection's `features`
 * array, each element of a top-level array, and each other top-level object
 * (a lone Feature). Several top-level values may follow one another
 * (newline-delimited GeoJSON, GeoJSON text sequences). Only the structure is
 * checked here; the server parses and validates each feature and rejects the
 * bad ones one by one. Throws an `invalid_argument` SearchClientError
 * (field `geojson`) when the structure is broken or the text is cut short.
 *
 * Memory stays bounded by the largest feature, whatever the file size.
 */
export async function* readGeoJsonFeatures(
  chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>,
): AsyncGenerator<string, void, undefined> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let offset = 0; // characters consumed before the current chunk
  let depth = 0;
  let inString = false;
  let escaped = false;
  // The root value, minus the features array's elements (a collection's shell is small).
  let rootParts: string[] = [];
  let rootStart: number | undefined;
  let sawFeatures = false;
  // The features array: elements sit at this depth; 0 when not inside one.
  let featuresDepth = 0;
  let featureParts: string[] = [];
  let featureStart: number | undefined;
  let featureIndex = 0;
  // Strings at the root object's level, to spot the `features` key.
  let stringParts: string[] | undefined;
  let stringStart: number | undefined;
  let lastString = '';
  let key = '';

  const fail = (reason: string) => invalidArgument('geojson', reason);

  function* scan(text: string): Generator<string, void, undefined> {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) {
          inString = false;
          if (stringParts !== undefined) {
            stringParts.push(text.slice(stringStart ?? 0, i));
            lastString = stringParts.join('');
            stringParts = undefined;
            stringStart = undefined;
          }
        }
        continue;
      }
      if (depth === 0) {
        if (isSeparator(c)) continue;
        if (c !== OPEN_OBJECT && c !== OPEN_ARRAY) {
          throw fail(`unexpected '${text[i]}' at character ${offset + i}: expected an object or an array`);
        }
        depth = 1;
        if (c === OPEN_ARRAY) {
          featuresDepth = 1;
          sawFeatures = true;
        } else {
          rootStart = i;
          key = '';
        }
        continue;
      }
      if (featuresDepth > 0 && depth === featuresDepth && featureStart === undefined) {
        // Between elements of the features array.
        if (isSeparator(c) || c === COMMA) continue;
        if (c === CLOSE_ARRAY) {
          depth--;
          featuresDepth = 0;
          if (depth === 0) sawFeatures = true;
          else rootStart = i;
          if (depth === 0) yield* endRoot(text, i);
          continue;
        }
        if (c !== OPEN_OBJECT) throw fail(`features[${featureIndex}]: is not an object`);
        featureStart = i;
        depth++;
        continue;
      }
      switch (c) {
        case QUOTE:
          inString = true;
          if (depth === 1 && featuresDepth === 0) {
            stringParts = [];
            stringStart = i + 1;
          }
          break;
        case COLON:
          if (depth === 1) key = lastString;
          break;
        case COMMA:
          if (depth === 1) key = '';
          break;
        case OPEN_OBJECT:
          depth++;
          break;
        case OPEN_ARRAY:
          depth++;
          if (depth === 2 && featuresDepth === 0 && key === 'features') {
            featuresDepth = 2;
            sawFeatures = true;
            rootParts.push(text.slice(rootStart ?? 0, i + 1));
            rootStart = undefined;
          }
          break;
        case CLOSE_OBJECT:
        case CLOSE_ARRAY:
          depth--;
          if (featureStart !== undefined && depth === featuresDepth) {
            featureParts.push(text.slice(featureStart, i + 1));
            featureStart = undefined;
            featureIndex++;
            yield featureParts.join('');
            featureParts = [];
          } else if (depth === 0) {
            yield* endRoot(text, i);
          }
          break;
        default:
          break;
      }
    }
    // Keep what straddles the chunk boundary.
    if (rootStart !== undefined) {
      rootParts.push(text.slice(rootStart));
      rootStart = 0;
    }
    if (featureStart !== undefined) {
      featureParts.push(text.slice(featureStart));
      featureStart = 0;
    }
    if (stringParts !== undefined) {
      stringParts.push(text.slice(stringStart ?? 0));
      stringStart = 0;
    }
    offset += text.length;
  }

  /** A top-level value ended at `text[i]`: a lone object is one feature; a collection's shell is dropped. */
  function* endRoot(text: string, i: number): Generator<string, void, undefined> {
    if (rootStart !== undefined) rootParts.push(text.slice(rootStart, i + 1));
    const root = rootParts.join('');
    rootParts = [];
    rootStart = undefined;
    if (!sawFeatures && root !== '') yield root;
    sawFeatures = false;
    key = '';
  }

  for await (const chunk of chunks) {
    const text = typeof chunk === 'string' ? chunk : decodeChunk(decoder, chunk, fail);
    yield* scan(text);
  }
  yield* scan(decodeChunk(decoder, undefined, fail));
  if (depth !== 0 || inString) throw fail('ends inside a JSON value (is the file cut short?)');
}

function decodeChunk(
  decoder: TextDecoder,
  chunk: Uint8Array | undefined,
  fail: (reason: string) => Error,
): string {
  try {
    return chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true });
  } catch {
    throw fail('is not valid UTF-8');
  }
}

import Flatbush from 'flatbush';
import type { Thing } from '../thing.js';
import { createIdTable } from './id-table.js';
import {
  locateInQuantizedPolygon,
  NEAR_UNITS,
  type QuantizeFrame,
  quantizeFrame,
} from './point-in-polygon.js';
import type { PolygonRings } from './wkb.js';

/** The basic view of a thing, as the store keeps it (dates in epoch ms, properties as JSON text). */
export interface ThingRecord {
  readonly id: number;
  readonly externalId: string;
  readonly name: string;
  readonly propertiesJson: string;
  readonly minLng: number;
  readonly minLat: number;
  readonly maxLng: number;
  readonly maxLat: number;
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A thing with the pieces of its footprint, as the store takes it. */
export interface StoredThing {
  readonly record: ThingRecord;
  /** The footprint's pieces (polygons with holes); together they cover exactly the footprint. */
  readonly pieces: readonly PolygonRings[];
}

/** Things and their footprints in memory, with a spatial index over the pieces. */
export interface PointStore {
  /** Adds `thing`, or replaces the thing with its id. */
  put(thing: StoredThing): void;
  /** Forgets the thing with `id`, if held. */
  remove(id: number): void;
  /** Makes the spatial index cover what was put since it was last built, when that is worth it. */
  settle(): void;
  /**
   * The ids of the things whose footprint covers the point (boundary
   * included), ascending; undefined when the point lies so close to a
   * piece's edge that the stored coordinates cannot tell (ask the database).
   */
  covering(lng: number, lat: number): number[] | undefined;
  /** The thing with `id`, if held (basic view). */
  get(id: number): Thing | undefined;
  /** How many things are held. */
  readonly size: number;
  /** How many coordinate pairs are held (a ring's closing point, a repeat of its first, is not). */
  readonly vertices: number;
  /** An estimate of the memory the store holds, in bytes (what it keeps, not what the allocator spent). */
  readonly bytes: number;
}

/** Pieces put since the index was built are scanned one by one; past this many, the index is built again. */
const MAX_UNINDEXED = 512;
const NUMBERS_PER_SLOT = 4; // min lng, min lat, max lng, max lat (the version apart, a Uint32; the dates shared)
/**
 * Bytes per piece (owner, first bound, frame origin, exponent and width,
 * a bound, its tree entry: a float32 box and an index, with the
 * tree's nodes) and per thing (id, box, version, dates' index, first piece, id table entry
 * at half load, string offsets and lengths); the strings' UTF-8 bytes are added, and the
 * date pairs (16 bytes each; an import's batch shares one).
 */
const PIECE_BYTES = 4 + 4 + 11 + 8 + 24;
const THING_BYTES = 8 + NUMBERS_PER_SLOT * 8 + 4 + 4 + 4 + 8 + 8 + 4;
/** A string length at least this is kept in a map (they fit in 16 bits under the default limits). */
const LONG_TEXT = 2 ** 16 - 1;

type TypedArray =
  | Float64Array
  | Float32Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Uint8Array;

/**
 * `array`, or a copy a quarter larger (at least) when it cannot hold `length`
 * elements: doubling left a million octagons' coordinates (144 MB) a copy of
 * 288 MB for one more thing.
 */
function ensure<T extends TypedArray>(array: T, length: number): T {
  if (length <= array.length) return array;
  const bigger = new (array.constructor as new (n: number) => T)(
    Math.max(length, Math.ceil(array.length * 1.25), 64),
  );
  bigger.set(array);
  return bigger;
}

/**
 * `array`, or a copy of its first `length` elements when more than a quarter
 * of it is unused (not right after {@link ensure} grew it, so that adding a
 * few things at a time does not copy everything back and forth).
 */
function trim<T extends TypedArray>(array: T, length: number): T {
  return array.length - length > array.length / 4 ? (array.slice(0, length) as T) : array;
}

const scratchFloat = new Float32Array(1);
const scratchBits = new Uint32Array(scratchFloat.buffer);

/** The largest float32 value at most `x` (what a box's minimum can be stored as, without shrinking the box). */
export function float32AtMost(x: number): number {
  const f = Math.fround(x);
  if (f <= x) return f;
  if (f === 0) return -(2 ** -149); // x is a tiny negative number that rounded to zero
  // f > x: one float32 step towards minus infinity (bits down for a positive value, up for a negative one).
  scratchFloat[0] = f;
  scratchBits[0] = (scratchBits[0] as number) + (f > 0 ? -1 : 1);
  return scratchFloat[0] as number;
}

/** The smallest float32 value at least `x` (a box's maximum). */
export const float32AtLeast = (x: number): number => -float32AtMost(-x);

/** A box holding nothing yet: min lng, min lat, max lng, max lat. */
const EMPTY_BOX = [
  Number.POSITIVE_INFINITY,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
];

/** The frame of a piece without coordinates. */
const EMPTY_FRAME = { originX: 0, originY: 0, exponent: 0 };

/** Grows `box` to hold the points `values[start, end)` (x, y pairs). */
function growBox(box: Float64Array, values: ArrayLike<number>, start: number, end: number): void {
  for (let i = start; i < end; i += 2) {
    const x = values[i] as number;
    const y = values[i + 1] as number;
    if (x < (box[0] as number)) box[0] = x;
    if (y < (box[1] as number)) box[1] = y;
    if (x > (box[2] as number)) box[2] = x;
    if (y > (box[3] as number)) box[3] = y;
  }
}

/**
 * A piece whose coordinates span at most 2^16 - 1 units of at most 2^-17°
 * (0.5°, about 55 km, in units of 85 cm or less) is stored as Uint16
 * steps (4 bytes a vertex); a larger one as Int32 steps of 2^-30 of its
 * extent (8 bytes). Near its edges, within two units, the database is asked:
 * 1.7 m at most for a small piece, about 5 cm for an octagon 0.01° wide.
 */
const NARROW_STEPS = 2 ** 16 - 1;
const NARROW_MAX_EXPONENT = -17;

/**
 * How many of `ring`'s numbers the store keeps: its last point, when it
 * repeats the first (as WKB has it), is left out; the ring closes anyway.
 */
function keptLength(ring: readonly number[]): number {
  const n = ring.length;
  return n >= 4 && ring[0] === ring[n - 2] && ring[1] === ring[n - 1] ? n - 2 : n;
}

/** What a store will hold, when known before it is filled: its arrays are sized once instead of grown. */
export interface PointStoreCapacity {
  readonly things: number;
  readonly pieces: number;
  /** Rings of all pieces. */
  readonly rings: number;
  /** Coordinate pairs the store keeps: those of all rings, less each ring's closing point. */
  readonly vertices: number;
  /** Of `vertices`, those of pieces too large for 16-bit coordinates (about 0.5° across or more); default 0. */
  readonly wideVertices?: number;
}

/**
 * {@link PointStore.bytes} of a store holding `capacity`, without the
 * things' strings: at least 4 bytes a vertex, 8 for those counted in `wideVertices`.
 */
export function estimateBytes(capacity: PointStoreCapacity): number {
  return (
    capacity.vertices * 4 +
    (capacity.wideVertices ?? 0) * 4 +
    capacity.pieces * PIECE_BYTES +
    capacity.things * THING_BYTES
  );
}

/**
 * An empty {@link PointStore}. Everything numeric sits in typed arrays
 * (coordinates, ring bounds, thing fields). Each piece's coordinates are
 * integer steps of a power-of-two unit from its box's corner (see
 * `quantizeFrame`): Uint16 for a piece under about 0.5° across, Int32
 * otherwise (see {@link NARROW_STEPS}); a quarter or half the memory of
 * float64, exact except within two units of an edge (cm for a small piece,
 * mm for a large one), where `covering` answers undefined. The spatial index is a packed
 * Hilbert R-tree (flatbush) of the pieces' boxes as float32, rounded outwards;
 * what was put since the tree was built is scanned by its boxes, kept apart
 * until the tree takes them. A piece's box is not kept twice: the tree is
 * built again from the coordinates.
 */
export function createPointStore(capacity?: PointStoreCapacity): PointStore {
  const things = capacity?.things ?? 0;
  const piecesAhead = capacity?.pieces ?? 0;
  // Things, by slot.
  const freeSlots: number[] = [];
  let slotCount = 0;
  // Ids by slot (-1: a free slot), and slots by id.
  let thingIds = new Float64Array(things);
  const slotOfId = createIdTable((slot) => thingIds[slot] as number, things);
  let thingNumbers = new Float64Array(things * NUMBERS_PER_SLOT);
  let thingVersions = new Uint32Array(things); // a positive SQL integer
  // A thing's pieces are `firstPiece[slot]` and those after it with the same owner (a thing's pieces are
  // added together, and a removed piece's owner is -1).
  let firstPiece = new Int32Array(things);
  // The dates (created, updated; epoch ms) as pairs, and per slot the index of its pair. Consecutive puts with
  // the same dates share one: an import's batch is written in one transaction, whose things have the same
  // dates (100k octagons: 0.4 MB against 1.6 MB as two numbers a thing). Unused pairs are dropped once they
  // outnumber the things (see `compactDates`).
  let datePairs = new Float64Array(64);
  let dateCount = 0;
  let thingDates = new Uint32Array(things);
  // The things' strings (external id, name, properties JSON) as UTF-8, one after another in `text`; per slot
  // where its external id starts and where its properties end, and the lengths of its external id and name
  // (16 bits; `longLengths` holds those of {@link LONG_TEXT} bytes or more, by slot * 2 + k). As JS strings
  // they took about three times the memory (100k octagons: 12 MB of heap against 4 MB here).
  let text = Buffer.alloc(things * 48);
  let textEnd = 0;
  let deadText = 0;
  let textBounds = new Uint32Array(things * 2);
  let textLengths = new Uint16Array(things * 2);
  const longLengths = new Map<number, number>();
  // Pieces: owner slot (-1 once removed), and rings as runs of `narrow` or `wide` delimited by `bounds`.
  let pieceCount = 0;
  let deadPieces = 0;
  let pieceSlot = new Int32Array(piecesAhead);
  let pieceFirstBound = new Uint32Array(piecesAhead);
  let bounds = new Uint32Array((capacity?.rings ?? 0) + piecesAhead);
  let boundCount = 0;
  // Coordinates of narrow pieces (Uint16) and of wide ones (Int32); a piece's bounds index its own array.
  const wideAhead = Math.min(capacity?.wideVertices ?? 0, capacity?.vertices ?? 0);
  let narrow = new Uint16Array(((capacity?.vertices ?? 0) - wideAhead) * 2);
  let narrowCount = 0;
  let wide = new Int32Array(wideAhead * 2);
  let wideCount = 0;
  let pieceWide = new Uint8Array(piecesAhead);
  // Per piece, the frame of its coordinates: x = origin x + k * 2^exponent (and y alike).
  let pieceOrigin = new Float32Array(piecesAhead * 2);
  let pieceExponent = new Int16Array(piecesAhead);
  let vertices = 0;
  let wideVertices = 0; // of `vertices`, in wide pieces
  let tree: Flatbush | undefined;
  let indexed = 0; // pieces [0, indexed) are in the tree
  // The boxes of pieces [indexed, pieceCount), four numbers each (min lng, min lat, max lng, max lat);
  // sized ahead for a full load, whose pieces all wait here until the tree is built.
  let newBoxes = new Float64Array(piecesAhead * 4);
  // The frame of the piece being checked, and a box, reused (no object per candidate or piece).
  const frame = { originX: 0, originY: 0, exponent: 0 };
  const box = new Float64Array(4);

  /**
   * The box of piece `p`'s shell (its first ring), into `out` at `at`, in
   * degrees, grown by the units within which `covering` asks the database.
   */
  function shellBox(p: number, out: Float64Array, at: number): void {
    const first = pieceFirstBound[p] as number;
    const end = ringsOf(p) > 0 ? (bounds[first + 1] as number) : (bounds[first] as number);
    box.set(EMPTY_BOX);
    growBox(box, coordsOf(p), bounds[first] as number, end);
    const unit = 2 ** (pieceExponent[p] as number);
    const originX = pieceOrigin[p * 2] as number;
    const originY = pieceOrigin[p * 2 + 1] as number;
    out[at] = originX + ((box[0] as number) - NEAR_UNITS) * unit;
    out[at + 1] = originY + ((box[1] as number) - NEAR_UNITS) * unit;
    out[at + 2] = originX + ((box[2] as number) + NEAR_UNITS) * unit;
    out[at + 3] = originY + ((box[3] as number) + NEAR_UNITS) * unit;
  }

  /**
   * How many rings piece `p` has: its bounds (one per ring, and where the
   * last ends) run up to the next piece's, as pieces are laid out in order.
   */
  function ringsOf(p: number): number {
    const next = p + 1 < pieceCount ? (pieceFirstBound[p + 1] as number) : boundCount;
    return next - (pieceFirstBound[p] as number) - 1;
  }

  /** The array holding piece `p`'s coordinates. */
  function coordsOf(p: number): Uint16Array | Int32Array {
    return pieceWide[p] === 1 ? wide : narrow;
  }

  /** The frame of a piece whose coordinates lie in `box` (origin rounded down to a float32), and its width. */
  function frameFor(box: Float64Array): { frame: QuantizeFrame; isWide: boolean } {
    if ((box[0] as number) > (box[2] as number)) return { frame: EMPTY_FRAME, isWide: false };
    const [minX, minY] = [float32AtMost(box[0] as number), float32AtMost(box[1] as number)];
    const small = quantizeFrame(minX, minY, box[2] as number, box[3] as number, NARROW_STEPS);
    if (small.exponent <= NARROW_MAX_EXPONENT) return { frame: small, isWide: false };
    return { frame: quantizeFrame(minX, minY, box[2] as number, box[3] as number), isWide: true };
  }

  function addPiece(slot: number, rings: PolygonRings): void {
    const p = pieceCount++;
    pieceSlot = ensure(pieceSlot, pieceCount);
    pieceFirstBound = ensure(pieceFirstBound, pieceCount);
    pieceOrigin = ensure(pieceOrigin, pieceCount * 2);
    pieceExponent = ensure(pieceExponent, pieceCount);
    pieceWide = ensure(pieceWide, pieceCount);
    pieceSlot[p] = slot;
    pieceFirstBound[p] = boundCount;
    // The frame spans every ring, holes too (valid holes lie inside the shell; others must fit as well).
    box.set(EMPTY_BOX);
    for (const ring of rings) growBox(box, ring, 0, ring.length);
    // The origin is the box's low corner rounded down to a float32, which is how it is stored (8 bytes, not 16).
    const { frame: own, isWide } = frameFor(box);
    pieceOrigin[p * 2] = own.originX;
    pieceOrigin[p * 2 + 1] = own.originY;
    pieceExponent[p] = own.exponent;
    pieceWide[p] = isWide ? 1 : 0;
    const unitsPerDegree = 2 ** -own.exponent;
    let length = 0;
    for (const ring of rings) length += keptLength(ring);
    if (isWide) wide = ensure(wide, wideCount + length);
    else narrow = ensure(narrow, narrowCount + length);
    const into = isWide ? wide : narrow;
    let at = isWide ? wideCount : narrowCount;
    bounds = ensure(bounds, boundCount + rings.length + 1);
    for (const ring of rings) {
      bounds[boundCount++] = at;
      for (let i = 0, end = keptLength(ring); i < end; i += 2) {
        into[at++] = Math.round(((ring[i] as number) - own.originX) * unitsPerDegree);
        into[at++] = Math.round(((ring[i + 1] as number) - own.originY) * unitsPerDegree);
      }
    }
    vertices += length / 2;
    if (isWide) wideVertices += length / 2;
    bounds[boundCount++] = at;
    if (isWide) wideCount = at;
    else narrowCount = at;
    newBoxes = ensure(newBoxes, (pieceCount - indexed) * 4);
    shellBox(p, newBoxes, (p - indexed) * 4);
  }

  /** Piece `p` and the pieces of the same owner after it: where that owner's run of pieces ends. */
  function piecesEnd(p: number): number {
    const slot = pieceSlot[p];
    let end = p;
    while (end < pieceCount && pieceSlot[end] === slot) end++;
    return end;
  }

  function killPieces(slot: number): void {
    const first = firstPiece[slot] as number;
    if (first >= pieceCount || pieceSlot[first] !== slot) return; // no pieces
    for (let p = first, end = piecesEnd(first); p < end; p++) {
      pieceSlot[p] = -1;
      deadPieces++;
      const first = pieceFirstBound[p] as number;
      const count = ((bounds[first + ringsOf(p)] as number) - (bounds[first] as number)) / 2;
      vertices -= count;
      if (pieceWide[p] === 1) wideVertices -= count;
    }
  }

  /** Gives back what the arrays hold beyond their use (after a load sized ahead, or removals). */
  function trimAll(): void {
    thingIds = trim(thingIds, slotCount);
    thingNumbers = trim(thingNumbers, slotCount * NUMBERS_PER_SLOT);
    thingVersions = trim(thingVersions, slotCount);
    thingDates = trim(thingDates, slotCount);
    firstPiece = trim(firstPiece, slotCount);
    pieceSlot = trim(pieceSlot, pieceCount);
    pieceFirstBound = trim(pieceFirstBound, pieceCount);
    pieceOrigin = trim(pieceOrigin, pieceCount * 2);
    pieceExponent = trim(pieceExponent, pieceCount);
    pieceWide = trim(pieceWide, pieceCount);
    bounds = trim(bounds, boundCount);
    narrow = trim(narrow, narrowCount);
    wide = trim(wide, wideCount);
    textBounds = trim(textBounds, slotCount * 2);
    textLengths = trim(textLengths, slotCount * 2);
    datePairs = trim(datePairs, dateCount * 2);
    if (deadText > 0 || text.length - textEnd > text.length / 4) compactText();
  }

  /**
   * Copies the live pieces, in slot order, into fresh arrays (when some were
   * removed) and builds the tree over them.
   */
  function rebuild(): void {
    if (deadPieces > 0) compact();
    trimAll();
    const q = pieceCount;
    if (q > 0) {
      // Float32 boxes, rounded outwards so that no box shrinks: the tree takes half the memory (1M
      // pieces: 23 instead of 40 MB with its nodes) and only finds a few more candidates near edges.
      const built = new Flatbush(q, 16, Float32Array);
      const shell = new Float64Array(4);
      for (let p = 0; p < q; p++) {
        shellBox(p, shell, 0);
        built.add(
          float32AtMost(shell[0] as number),
          float32AtMost(shell[1] as number),
          float32AtLeast(shell[2] as number),
          float32AtLeast(shell[3] as number),
        );
      }
      built.finish();
      tree = built;
    } else {
      tree = undefined;
    }
    indexed = q;
    newBoxes = new Float64Array(0);
  }

  /** Copies the live pieces, in slot order, into fresh arrays of their exact size. */
  function compact(): void {
    const live = pieceCount - deadPieces;
    const next = {
      pieceSlot: new Int32Array(live),
      pieceFirstBound: new Uint32Array(live),
      pieceOrigin: new Float32Array(live * 2),
      pieceExponent: new Int16Array(live),
      pieceWide: new Uint8Array(live),
    };
    let liveBounds = 0;
    for (let p = 0; p < pieceCount; p++) if ((pieceSlot[p] as number) >= 0) liveBounds += ringsOf(p) + 1;
    const nextBounds = new Uint32Array(liveBounds);
    const nextNarrow = new Uint16Array((vertices - wideVertices) * 2);
    const nextWide = new Int32Array(wideVertices * 2);
    let q = 0;
    let b = 0;
    let n = 0;
    let w = 0;
    for (let slot = 0; slot < slotCount; slot++) {
      const from = firstPiece[slot] as number;
      if (from >= pieceCount || pieceSlot[from] !== slot) continue;
      firstPiece[slot] = q;
      for (let p = from, end = piecesEnd(from); p < end; p++, q++) {
        const isWide = pieceWide[p] === 1;
        next.pieceSlot[q] = slot;
        next.pieceOrigin[q * 2] = pieceOrigin[p * 2] as number;
        next.pieceOrigin[q * 2 + 1] = pieceOrigin[p * 2 + 1] as number;
        next.pieceExponent[q] = pieceExponent[p] as number;
        next.pieceWide[q] = pieceWide[p] as number;
        next.pieceFirstBound[q] = b;
        const first = pieceFirstBound[p] as number;
        const last = first + ringsOf(p);
        const start = bounds[first] as number;
        const end = bounds[last] as number;
        const c = isWide ? w : n;
        for (let r = first; r <= last; r++) nextBounds[b++] = (bounds[r] as number) - start + c;
        if (isWide) {
          nextWide.set(wide.subarray(start, end), c);
          w += end - start;
        } else {
          nextNarrow.set(narrow.subarray(start, end), c);
          n += end - start;
        }
      }
    }
    ({ pieceSlot, pieceFirstBound, pieceOrigin, pieceExponent, pieceWide } = next);
    bounds = nextBounds;
    boundCount = b;
    narrow = nextNarrow;
    narrowCount = n;
    wide = nextWide;
    wideCount = w;
    pieceCount = q;
    deadPieces = 0;
  }

  function putText(slot: number, ...strings: [string, string, string]): void {
    let need = 0;
    for (const string of strings) need += Buffer.byteLength(string);
    if (textEnd + need > text.length) {
      if (deadText > textEnd / 4) compactText(need);
      if (textEnd + need > text.length) {
        const bigger = Buffer.alloc(Math.max(textEnd + need, Math.ceil(text.length * 1.25), 4096));
        text.copy(bigger, 0, 0, textEnd);
        text = bigger;
      }
    }
    textBounds[slot * 2] = textEnd;
    for (const [k, string] of strings.entries()) {
      const length = text.write(string, textEnd, 'utf8');
      textEnd += length;
      if (k === 2) break;
      const at = slot * 2 + k;
      textLengths[at] = Math.min(length, LONG_TEXT);
      if (length >= LONG_TEXT) longLengths.set(at, length);
    }
    textBounds[slot * 2 + 1] = textEnd;
  }

  /** The length in bytes of string `k` (0: external id, 1: name) of the thing in `slot`. */
  function textLength(slot: number, k: number): number {
    const at = slot * 2 + k;
    const length = textLengths[at] as number;
    return length < LONG_TEXT ? length : (longLengths.get(at) as number);
  }

  /** String `k` (0: external id, 1: name, 2: properties JSON) of the thing in `slot`. */
  function textOf(slot: number, k: number): string {
    let start = textBounds[slot * 2] as number;
    for (let i = 0; i < k; i++) start += textLength(slot, i);
    const end = k < 2 ? start + textLength(slot, k) : (textBounds[slot * 2 + 1] as number);
    return text.toString('utf8', start, end);
  }

  /** Copies the live strings into a buffer of their size plus `room` bytes. */
  function compactText(room = 0): void {
    const next = Buffer.alloc(textEnd - deadText + room);
    let end = 0;
    for (let slot = 0; slot < slotCount; slot++) {
      if ((thingIds[slot] as number) < 0) continue;
      const t = slot * 2;
      const start = textBounds[t] as number;
      textBounds[t] = end;
      end += text.copy(next, end, start, textBounds[t + 1] as number);
      textBounds[t + 1] = end;
    }
    text = next;
    textEnd = end;
    deadText = 0;
  }

  /** The index of the date pair (`created`, `updated`): the last one added when it is the same, else a new one. */
  function datesIndex(created: number, updated: number): number {
    const last = (dateCount - 1) * 2;
    if (dateCount > 0 && datePairs[last] === created && datePairs[last + 1] === updated) return dateCount - 1;
    datePairs = ensure(datePairs, (dateCount + 1) * 2);
    datePairs[dateCount * 2] = created;
    datePairs[dateCount * 2 + 1] = updated;
    return dateCount++;
  }

  /** Keeps only the date pairs that held things use, in a fresh array of their size (and 64 more). */
  function compactDates(): void {
    const moved = new Int32Array(dateCount).fill(-1);
    const next = new Float64Array(2 * Math.min(dateCount, slotOfId.size + 64));
    let count = 0;
    for (let slot = 0; slot < slotCount; slot++) {
      if ((thingIds[slot] as number) < 0) continue;
      const from = thingDates[slot] as number;
      if ((moved[from] as number) < 0) {
        next[count * 2] = datePairs[from * 2] as number;
        next[count * 2 + 1] = datePairs[from * 2 + 1] as number;
        moved[from] = count++;
      }
      thingDates[slot] = moved[from] as number;
    }
    datePairs = next;
    dateCount = count;
  }

  function remove(id: number): void {
    const slot = slotOfId.get(id);
    if (slot === undefined) return;
    killPieces(slot);
    const t = slot * 2;
    deadText += (textBounds[t + 1] as number) - (textBounds[t] as number);
    textBounds.fill(0, t, t + 2);
    longLengths.delete(t);
    longLengths.delete(t + 1);
    slotOfId.delete(id);
    thingIds[slot] = -1;
    freeSlots.push(slot);
  }

  return {
    put({ record, pieces }) {
      remove(record.id);
      if (dateCount > 2 * slotOfId.size + 64) compactDates();
      const dates = datesIndex(record.createdAt, record.updatedAt);
      const slot = freeSlots.pop() ?? slotCount++;
      thingIds = ensure(thingIds, slotCount);
      thingNumbers = ensure(thingNumbers, slotCount * NUMBERS_PER_SLOT);
      thingVersions = ensure(thingVersions, slotCount);
      thingDates = ensure(thingDates, slotCount);
      firstPiece = ensure(firstPiece, slotCount);
      thingIds[slot] = record.id;
      slotOfId.add(record.id, slot);
      textBounds = ensure(textBounds, slotCount * 2);
      textLengths = ensure(textLengths, slotCount * 2);
      putText(slot, record.externalId, record.name, record.propertiesJson);
      thingNumbers.set([record.minLng, record.minLat, record.maxLng, record.maxLat], slot * NUMBERS_PER_SLOT);
      thingVersions[slot] = record.version;
      thingDates[slot] = dates;
      firstPiece[slot] = pieceCount;
      for (const rings of pieces) addPiece(slot, rings);
    },
    remove,
    settle() {
      if (pieceCount - indexed > MAX_UNINDEXED || deadPieces > Math.max(MAX_UNINDEXED, pieceCount / 4))
        rebuild();
    },
    covering(lng, lat) {
      const found: number[] = [];
      // Things with a piece too close to the point to tell; decided only if another of their pieces covers it.
      const near: number[] = [];
      const check = (p: number) => {
        const slot = pieceSlot[p] as number;
        if (slot < 0) return;
        const id = thingIds[slot] as number;
        if (found.includes(id)) return;
        frame.originX = pieceOrigin[p * 2] as number;
        frame.originY = pieceOrigin[p * 2 + 1] as number;
        frame.exponent = pieceExponent[p] as number;
        const location = locateInQuantizedPolygon(
          coordsOf(p),
          bounds,
          pieceFirstBound[p] as number,
          ringsOf(p),
          frame,
          lng,
          lat,
        );
        if (location === 'near') {
          near.push(id);
          return;
        }
        if (location === 'inside') found.push(id);
      };
      if (tree) for (const p of tree.search(lng, lat, lng, lat)) check(p);
      for (let p = indexed; p < pieceCount; p++) {
        const box = (p - indexed) * 4;
        if (
          lng >= (newBoxes[box] as number) &&
          lat >= (newBoxes[box + 1] as number) &&
          lng <= (newBoxes[box + 2] as number) &&
          lat <= (newBoxes[box + 3] as number)
        ) {
          check(p);
        }
      }
      for (const id of near) if (!found.includes(id)) return undefined;
      return found.sort((a, b) => a - b);
    },
    get(id) {
      const slot = slotOfId.get(id);
      if (slot === undefined) return undefined;
      const n = slot * NUMBERS_PER_SLOT;
      const number = (k: number) => thingNumbers[n + k] as number;
      const dates = (thingDates[slot] as number) * 2;
      return {
        id,
        externalId: textOf(slot, 0),
        name: textOf(slot, 1),
        properties: JSON.parse(textOf(slot, 2)) as Record<string, unknown>,
        bbox: { minLng: number(0), minLat: number(1), maxLng: number(2), maxLat: number(3) },
        createdAt: new Date(datePairs[dates] as number),
        updatedAt: new Date(datePairs[dates + 1] as number),
        version: thingVersions[slot] as number,
      };
    },
    get size() {
      return slotOfId.size;
    },
    get vertices() {
      return vertices;
    },
    get bytes() {
      return (
        estimateBytes({
          things: slotOfId.size,
          pieces: pieceCount - deadPieces,
          rings: 0,
          vertices,
          wideVertices,
        }) +
        (textEnd - deadText) +
        dateCount * 16
      );
    },
  };
}

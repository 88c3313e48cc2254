/**
 * The part of a `Map<number, T>` that Node's HTTP/2 session uses for its open
 * streams (`get`, `set`, `delete`, `size`, `forEach`), plus iteration.
 */
export interface StreamTable<T> {
  readonly size: number;
  get(id: number): T | undefined;
  has(id: number): boolean;
  set(id: number, value: T): StreamTable<T>;
  delete(id: number): boolean;
  forEach(each: (value: T, id: number, table: StreamTable<T>) => void): void;
  keys(): IterableIterator<number>;
  values(): IterableIterator<T>;
  entries(): IterableIterator<[number, T]>;
  [Symbol.iterator](): IterableIterator<[number, T]>;
}

/** The tables made by {@link createStreamTable}. */
const tables = new WeakSet<object>();

/** Whether `value` was made by {@link createStreamTable}. */
export const isStreamTable = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && tables.has(value);

/**
 * A table of HTTP/2 streams by id (a non-negative integer) that, unlike a
 * `Map`, does not chain its old storage to its new one. V8 grows and tidies a
 * `Map` by copying it into a new table and leaving in the old one a link to
 * the new one, with the old entries still in it. When a session's `Map`
 * churns through streams, an old table that a collection had moved to the
 * old generation keeps, through that link, every newer table and the streams
 * in them alive at each young collection, until the next full one. Here the
 * entries live in an object's indexed properties, whose storage is replaced
 * without such a link. Iteration is in ascending id order, which for one
 * session's streams is the order they were opened in, as with the `Map`. Values must not be
 * `undefined` (streams never are).
 */
export function createStreamTable<T>(entries: Iterable<readonly [number, T]> = []): StreamTable<T> {
  const byId: Record<number, T> = Object.create(null);
  let size = 0;
  function* ids(): IterableIterator<number> {
    // for-in skips ids deleted while it runs, as a Map's iterators do.
    for (const id in byId) yield Number(id);
  }
  function* values(): IterableIterator<T> {
    for (const id of ids()) yield byId[id] as T;
  }
  function* pairs(): IterableIterator<[number, T]> {
    for (const id of ids()) yield [id, byId[id] as T];
  }
  const table: StreamTable<T> = {
    get size() {
      return size;
    },
    get: (id) => byId[id],
    has: (id) => byId[id] !== undefined,
    set(id, value) {
      if (byId[id] === undefined) size += 1;
      byId[id] = value;
      return table;
    },
    delete(id) {
      if (byId[id] === undefined) return false;
      delete byId[id];
      size -= 1;
      return true;
    },
    forEach(each) {
      for (const [id, value] of pairs()) each(value, id, table);
    },
    keys: ids,
    values,
    entries: pairs,
    [Symbol.iterator]: pairs,
  };
  for (const [id, value] of entries) table.set(id, value);
  tables.add(table);
  return table;
}

/**
 * Request limits. Defaults suit a public service; the server may change them
 * at run time (live configuration), so core reads them per call.
 */
export interface Limits {
  /** Page size when a search asks for none. */
  readonly defaultPageSize: number;
  /** Largest page size a search may ask for. */
  readonly maxPageSize: number;
  /** Result count when a nearby query asks for none. */
  readonly defaultNearbyLimit: number;
  /** Largest result count a nearby query may ask for. */
  readonly maxNearbyLimit: number;
  /** Longest name query, in characters. */
  readonly maxQueryLength: number;
  /** Longest thing name, in characters. */
  readonly maxNameLength: number;
  /** Longest external id, in characters. */
  readonly maxExternalIdLength: number;
  /** Most vertices in one imported geometry. */
  readonly maxVertices: number;
  /** Features written per import transaction. */
  readonly importBatchSize: number;
}

/** The default {@link Limits}. */
export const defaultLimits: Limits = Object.freeze({
  defaultPageSize: 50,
  maxPageSize: 1000,
  defaultNearbyLimit: 10,
  maxNearbyLimit: 1000,
  maxQueryLength: 256,
  maxNameLength: 512,
  maxExternalIdLength: 256,
  maxVertices: 250_000,
  importBatchSize: 500,
});

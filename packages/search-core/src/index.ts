export type { CallOptions, CoreContext } from './context.js';
export type { Database, SettingsTable, ThingChangesTable, ThingPartsTable, ThingsTable } from './database.js';
export {
  type ErrorCode,
  errorCodes,
  type FieldViolation,
  GeoSearchError,
  type GeoSearchErrorOptions,
  invalidArgument,
  isGeoSearchError,
} from './errors.js';
export type { CoreEvent, CoreEventListener, QueryEvent } from './events.js';
export {
  checkFeature,
  type FeatureCheck,
  type FeatureKeys,
  featuresOf,
  type ValidFeature,
} from './geojson.js';
export { defaultLimits, type Limits } from './limits.js';
export {
  latestSchemaVersion,
  type MigrationOutcome,
  migrateDown,
  migrateToLatest,
  schemaVersion,
} from './migrate.js';
export { createPageTokens, type PageCursor, type PageTokens } from './page-token.js';
export {
  createPointIndex,
  type PointIndex,
  type PointIndexOptions,
  type PointIndexState,
  type PointIndexStatus,
} from './point-index/point-index.js';
export * from './postgis.js';
export type { DeletedThing } from './queries/delete-thing.js';
export type { ImportOptions, ImportRejection, ImportResult, UpsertedThing } from './queries/import-things.js';
export type { NearbyHit } from './queries/nearby.js';
export { escapeLike, type SearchHit, type SearchPage } from './queries/search.js';
export type { Stats } from './queries/stats.js';
export { createSearchCore, type SearchCore, type SearchCoreOptions } from './search-core.js';
export type { BoundingBox, Thing } from './thing.js';
export {
  type NearbyInput,
  type NearbyParams,
  nearbyInputSchema,
  pointSchema,
  type SearchInput,
  type SearchParams,
  searchInputSchema,
  type ThingKey,
  type ThingView,
  thingKeySchema,
  violationsOf,
} from './validation.js';

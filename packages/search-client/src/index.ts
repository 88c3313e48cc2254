export type { BackoffOptions } from './backoff.js';
export type { RetryOptions, SearchClientOptions } from './client-options.js';
export * from './discovery/index.js';
export { createStaticDiscovery, isHostPort, type TargetDiscovery } from './discovery.js';
export { codeOfStatus, type ErrorCode, errorCodes, isErrorCode } from './error-codes.js';
export { readGeoJsonFeatures } from './geojson-features.js';
export { type MultiPolygonGeometry, parseGeometry } from './geometry.js';
export type {
  CallOptions,
  DeleteThingRequest,
  GeoJsonFeature,
  GeoJsonFeatureCollection,
  GetThingRequest,
  ImportItem,
  ImportOptions,
  ImportProgress,
  LatLng,
  NearbyRequest,
  SearchRequest,
  ThingKey,
  ThingView,
} from './requests.js';
export type {
  BoundingBox,
  DeletedThing,
  ImportRejection,
  ImportResult,
  InstanceStatus,
  NearbyHit,
  SearchHit,
  SearchPage,
  Thing,
} from './results.js';
export type { RetryBudgetOptions } from './retry-budget.js';
export { createSearchClient, type SearchClient } from './search-client.js';
export {
  type FieldViolation,
  isSearchClientError,
  SearchClientError,
  type SearchClientErrorOptions,
} from './search-client-error.js';
export {
  createGrpcTransport,
  type GrpcTransportOptions,
  type Pem,
  type TargetConnection,
  type TlsOptions,
  type Transport,
} from './transport.js';

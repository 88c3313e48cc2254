import { Status } from 'nice-grpc-common';

/**
 * The geosearch error codes: the server's catalogue (each sent as exactly one
 * gRPC status), plus `unknown` for statuses the v1 contract never sends on
 * purpose (a proxy's UNAUTHENTICATED, an UNIMPLEMENTED method, ...).
 */
export const errorCodes = [
  'invalid_argument',
  'not_found',
  'conflict',
  'resource_exhausted',
  'deadline_exceeded',
  'cancelled',
  'unavailable',
  'internal',
  'unknown',
] as const;

/** One of {@link errorCodes}. */
export type ErrorCode = (typeof errorCodes)[number];

const codeByStatus: ReadonlyMap<number, ErrorCode> = new Map<number, ErrorCode>([
  [Status.INVALID_ARGUMENT, 'invalid_argument'],
  [Status.NOT_FOUND, 'not_found'],
  [Status.ABORTED, 'conflict'],
  [Status.RESOURCE_EXHAUSTED, 'resource_exhausted'],
  [Status.DEADLINE_EXCEEDED, 'deadline_exceeded'],
  [Status.CANCELLED, 'cancelled'],
  [Status.UNAVAILABLE, 'unavailable'],
  [Status.INTERNAL, 'internal'],
]);

/**
 * The one mapping from a gRPC status code back to the geosearch error code:
 * the inverse of the server's mapping; `unknown` for any other status.
 */
export function codeOfStatus(status: number): ErrorCode {
  return codeByStatus.get(status) ?? 'unknown';
}

/** True when `value` names a code of {@link errorCodes}. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (errorCodes as readonly string[]).includes(value);
}

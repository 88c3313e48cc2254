import { type ErrorCode, isGeoSearchError } from '@geosearch/search-core';
import { Status } from 'nice-grpc-common';

/** The one mapping from core error codes to gRPC status codes. */
export const statusOfCode: Readonly<Record<ErrorCode, Status>> = {
  invalid_argument: Status.INVALID_ARGUMENT,
  not_found: Status.NOT_FOUND,
  conflict: Status.ABORTED,
  resource_exhausted: Status.RESOURCE_EXHAUSTED,
  deadline_exceeded: Status.DEADLINE_EXCEEDED,
  cancelled: Status.CANCELLED,
  unavailable: Status.UNAVAILABLE,
  internal: Status.INTERNAL,
};

/** A failure with the status to send and a message that is safe to show. */
export interface Classified {
  readonly status: Status;
  /** Safe for clients; undefined means "internal: use the generic message". */
  readonly message: string | undefined;
}

const unavailableErrnos = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/** SQLSTATE classes and codes that mean "the database is not there right now". */
function isUnavailableSqlState(code: string): boolean {
  return (
    code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300'
  );
}

/**
 * Classifies any error thrown while serving a call. Core errors keep their
 * code and message; database outages become UNAVAILABLE; a statement timeout
 * becomes DEADLINE_EXCEEDED; anything else is INTERNAL with no detail.
 */
export function classifyError(error: unknown, aborted: boolean): Classified {
  if (isGeoSearchError(error)) {
    const status = statusOfCode[error.code];
    return { status, message: status === Status.INTERNAL ? undefined : error.message };
  }
  if (aborted) return { status: Status.CANCELLED, message: 'the call was cancelled' };
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : '';
  if (typeof code === 'string') {
    if (unavailableErrnos.has(code) || isUnavailableSqlState(code)) {
      return { status: Status.UNAVAILABLE, message: 'the database is unavailable' };
    }
    if (code === '57014') return { status: Status.DEADLINE_EXCEEDED, message: 'the query took too long' };
  }
  // pg-pool gives this one message both when a new connection cannot be made in time and when every
  // pooled connection stayed busy for that long (overload: the benchmark's name searches on 1M polygons).
  if (/timeout exceeded when trying to connect/i.test(message)) {
    return {
      status: Status.UNAVAILABLE,
      message:
        'no database connection within the connect timeout: the database is unreachable or every pooled connection is busy',
    };
  }
  if (/Connection terminated|connection timeout|Client has encountered a connection error/i.test(message)) {
    return { status: Status.UNAVAILABLE, message: 'the database is unavailable' };
  }
  return { status: Status.INTERNAL, message: undefined };
}

import { randomUUID } from 'node:crypto';
import { isGeoSearchError } from '@geosearch/search-core';
import { ServerError, Status } from 'nice-grpc-common';
import type { Logger } from 'pino';
import type { RpcContext } from './grpc-host.js';
import { classifyError } from './status.js';

/** Turns what a handler threw into the ServerError the caller receives; see {@link createErrorMapper}. */
export type ErrorMapper = (error: unknown, method: string, context: RpcContext) => ServerError;

/**
 * Maps every error a handler throws to a ServerError. Core and database
 * errors keep a safe message (core errors also send trailers
 * `geosearch-error-code` and `geosearch-violations`, a JSON array of
 * `{ field, reason }`); anything unexpected becomes INTERNAL with a
 * correlation id, and only the log sees the cause (never the client).
 * Applied by the call wrapper (call-telemetry.ts).
 */
export function createErrorMapper(log: () => Logger): ErrorMapper {
  return (error, method, context) => {
    if (error instanceof ServerError) return error;
    if (isGeoSearchError(error)) {
      // Machine-readable detail for clients: the core code and the field violations, as JSON trailers.
      context.trailer.set('geosearch-error-code', error.code);
      if (error.violations.length > 0)
        context.trailer.set('geosearch-violations', JSON.stringify(error.violations));
    }
    const classified = classifyError(error, context.cancelled);
    if (classified.message !== undefined) return new ServerError(classified.status, classified.message);
    const correlationId = randomUUID();
    log().error({ err: error, correlationId, method }, 'internal error');
    return new ServerError(Status.INTERNAL, `internal error (correlation id ${correlationId})`);
  };
}

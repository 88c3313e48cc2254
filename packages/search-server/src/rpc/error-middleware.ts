import { randomUUID } from 'node:crypto';
import { isGeoSearchError } from '@geosearch/search-core';
import { type CallContext, ServerError, type ServerMiddlewareCall, Status } from 'nice-grpc';
import type { Logger } from 'pino';
import { classifyError } from './status.js';

/**
 * Turns every error a handler throws into a ServerError. Core and database
 * errors keep a safe message (core errors also send trailers
 * `geosearch-error-code` and `geosearch-violations`, a JSON array of
 * `{ field, reason }`); anything unexpected becomes INTERNAL with a
 * correlation id, and only the log sees the cause (never the client).
 */
export function createErrorMiddleware(log: () => Logger) {
  return async function* errorMiddleware<Request, Response>(
    call: ServerMiddlewareCall<Request, Response>,
    context: CallContext,
  ) {
    try {
      return yield* call.next(call.request, context);
    } catch (error) {
      if (error instanceof ServerError) throw error;
      if (isGeoSearchError(error)) {
        // Machine-readable detail for clients: the core code and the field violations, as JSON trailers.
        context.trailer.set('geosearch-error-code', error.code);
        if (error.violations.length > 0)
          context.trailer.set('geosearch-violations', JSON.stringify(error.violations));
      }
      const classified = classifyError(error, context.signal.aborted);
      if (classified.message !== undefined) throw new ServerError(classified.status, classified.message);
      const correlationId = randomUUID();
      log().error({ err: error, correlationId, method: call.method.path }, 'internal error');
      throw new ServerError(Status.INTERNAL, `internal error (correlation id ${correlationId})`);
    }
  };
}

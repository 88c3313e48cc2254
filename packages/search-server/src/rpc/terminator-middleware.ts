import type { CallContext, ServerMiddleware, ServerMiddlewareCall } from 'nice-grpc';

/** Ends long-lived server streams (health Watch) so that a graceful shutdown need not wait for them. */
export interface Terminator {
  /** Middleware for the services whose streams may be ended. */
  readonly middleware: ServerMiddleware;
  /** Ends every open stream cleanly (status OK), now and for calls that start later. */
  terminate(): void;
}

/** Creates a {@link Terminator}: streaming handlers see an aborted signal on terminate and their stream ends with OK. */
export function createTerminator(): Terminator {
  const controller = new AbortController();
  return {
    async *middleware<Request, Response>(
      call: ServerMiddlewareCall<Request, Response>,
      context: CallContext,
    ) {
      if (!call.responseStream) return yield* call.next(call.request, context);
      const signal = AbortSignal.any([context.signal, controller.signal]);
      try {
        return yield* call.next(call.request, { ...context, signal });
      } catch (error) {
        if (controller.signal.aborted && !context.signal.aborted) return;
        throw error;
      }
    },
    terminate: () => controller.abort(),
  };
}

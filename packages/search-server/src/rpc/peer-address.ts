/**
 * The caller's address of a call, as grpc-js's `getPeer()` writes it
 * (`127.0.0.1:54321`, `::1:54321`, or `unknown`), made once per connection.
 *
 * Why: `getPeer()` reads the address and port through the HTTP/2 session's
 * socket proxy and builds the string anew for every call (0.22 µs a read in a
 * tight loop inside a call, against 0.01 µs from here), and a connection
 * carries many calls.
 */

/** A grpc-js server call, as far as its peer is concerned. */
export interface PeerOfCall {
  getPeer(): string;
}

/** Finds the peer address of calls. */
export interface PeerAddresses {
  /** The call's `getPeer()`, the same string for every call of a connection while it lasts. */
  of(call: PeerOfCall): string;
}

/**
 * The socket `getPeer()` reads: grpc-js keeps the HTTP/2 stream on the call
 * under it (`call.call.stream`, a ServerHttp2Stream, when no interceptors are
 * configured), and the stream's `session.socket` is the session's socket
 * proxy, made once per session and gone (`undefined`) once the session is
 * cleaned up, as is `session` once the stream is. Undefined when the call is
 * not shaped so (another grpc-js, interceptors): then every call asks
 * `getPeer()`.
 */
function socketOf(call: PeerOfCall): object | undefined {
  const inner = (call as { call?: { stream?: { session?: { socket?: unknown } } } }).call;
  const socket = inner?.stream?.session?.socket;
  return typeof socket === 'object' && socket !== null ? socket : undefined;
}

/**
 * Peer addresses kept per connection (the session's socket) for as long as it
 * is referenced. `unknown` (no address, or none yet) is not kept, so a call's
 * peer is always what `getPeer()` would have answered: a connected socket's
 * address and port never change, and Node keeps them once read.
 */
export function createPeerAddresses(): PeerAddresses {
  const bySocket = new WeakMap<object, string>();
  return {
    of(call) {
      const socket = socketOf(call);
      if (socket === undefined) return call.getPeer();
      let peer = bySocket.get(socket);
      if (peer === undefined) {
        peer = call.getPeer();
        if (peer !== 'unknown') bySocket.set(socket, peer);
      }
      return peer;
    },
  };
}

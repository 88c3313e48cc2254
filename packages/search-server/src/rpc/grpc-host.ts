import * as grpc from '@grpc/grpc-js';
import { type CallContext, Metadata, ServerError, Status } from 'nice-grpc-common';
import { createPeerAddresses, type PeerAddresses } from './peer-address.js';

/**
 * The server's gRPC transport: services on one @grpc/grpc-js server, each
 * call handed to a plain async function with a {@link RpcContext}.
 *
 * It replaces nice-grpc's server, whose per-call layers (an AbortController,
 * three listeners and two metadata objects made up front, the caller's
 * metadata converted whole, async generators around every handler, and a
 * deep copy of every response by `fromPartial` before encoding) measured
 * about a sixth of an echo server's throughput on two cores (bench/README.md).
 * Here the context makes each of those only when it is read, a service's own
 * handlers return complete messages that are encoded as they are, and a
 * service's wrapper (the telemetry, call-telemetry.ts) is one async function.
 *
 * nice-grpc style implementations (the health and reflection services) run
 * here too: the context is a nice-grpc `CallContext`, and their partial
 * responses go through `fromPartial`.
 */

/** A ts-proto message type: what encoding and decoding needs. */
export interface MessageType<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
  fromPartial?(object: unknown): T;
}

/** A method of a ts-proto generic service definition (`outputServices=generic-definitions`). */
export interface MethodDefinition {
  readonly name: string;
  // biome-ignore lint/suspicious/noExplicitAny: any message type; the handlers' types are taken from decode.
  readonly requestType: MessageType<any>;
  readonly requestStream: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  readonly responseType: MessageType<any>;
  readonly responseStream: boolean;
}

/** A ts-proto generic service definition. */
export interface ServiceDefinition {
  readonly name: string;
  readonly fullName: string;
  readonly methods: { readonly [method: string]: MethodDefinition };
}

type RequestOf<M> = M extends { requestType: { decode(input: Uint8Array): infer Request } } ? Request : never;
type ResponseOf<M> = M extends { responseType: { decode(input: Uint8Array): infer Response } }
  ? Response
  : never;

/** One method's handler: a message or a stream of them in, a complete message or a stream of them out. */
export type MethodHandler<M> = (
  request: M extends { requestStream: true } ? AsyncIterable<RequestOf<M>> : RequestOf<M>,
  context: RpcContext,
) => M extends { responseStream: true } ? AsyncIterable<ResponseOf<M>> : Promise<ResponseOf<M>>;

/** The handlers of a service: one per method of its definition. */
export type ServiceHandlers<D extends ServiceDefinition> = {
  readonly [K in keyof D['methods']]: MethodHandler<D['methods'][K]>;
};

/** What a wrapper is told of the method it wraps. */
export interface MethodInfo {
  /** `/package.Service/Method`. */
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: a wrapper sees every method's handler, whatever its messages.
type AnyHandler = (request: any, context: RpcContext) => any;

/** Wraps each method's handler once, when the service is added (telemetry, error mapping). */
export type HandlerWrapper = (method: MethodInfo, handler: AnyHandler) => AnyHandler;

/** What {@link GrpcHost.add} takes besides the handlers. */
export interface AddOptions {
  readonly wrap?: HandlerWrapper;
}

/** Options of {@link createGrpcHost}. */
export interface GrpcHostOptions {
  /** Channel options of the grpc-js server (`grpc.max_receive_message_length`, …). */
  readonly channelOptions?: grpc.ServerOptions;
  /** A handler failed with neither a ServerError nor an abort: the caller gets UNKNOWN. */
  readonly onUnexpectedError?: (error: unknown, path: string) => void;
}

/** A gRPC server in the making, then running. */
export interface GrpcHost {
  /** Adds a ts-proto service with handlers returning complete messages. Before `listen`. */
  add<D extends ServiceDefinition>(definition: D, handlers: ServiceHandlers<D>, options?: AddOptions): void;
  /**
   * Adds a nice-grpc style implementation (responses may be partial and go
   * through `fromPartial`) of a ts-proto definition or a grpc-js one
   * (grpc-tools' `*_grpc_pb`). Before `listen`.
   */
  addImplementation(definition: ServiceDefinition | grpc.ServiceDefinition, implementation: object): void;
  /** Binds and starts serving; resolves to the port bound. */
  listen(address: string, credentials: grpc.ServerCredentials): Promise<number>;
  /**
   * Ends the calls that stream responses: their handlers see an aborted
   * signal, and a stream ended that way closes with OK. Calls starting later
   * are ended the same way. For graceful shutdown (health Watch streams never end otherwise).
   */
  endStreams(): void;
  /** Stops accepting calls and resolves once the calls in progress have finished. */
  shutdown(): Promise<void>;
  /** Cancels every call in progress and stops. */
  forceShutdown(): void;
}

type AnyServerCall =
  | grpc.ServerUnaryCall<unknown, unknown>
  | grpc.ServerReadableStream<unknown, unknown>
  | grpc.ServerWritableStream<unknown, unknown>
  | grpc.ServerDuplexStream<unknown, unknown>;

/**
 * A call's context. Everything is made when first read: a handler that only
 * answers from memory allocates no AbortController and converts no metadata.
 * It is a nice-grpc `CallContext`, and also the core's call options (its
 * `signal`).
 */
export class RpcContext implements CallContext {
  /** Set by the telemetry wrapper: the caller's `x-request-id`, or one made for the call. */
  requestId = '';
  readonly #call: AnyServerCall;
  readonly #peers: PeerAddresses;
  readonly #ended: AbortSignal | undefined;
  #controller: AbortController | undefined;
  #metadata: Metadata | undefined;
  #header: Metadata | undefined;
  #outHeader: grpc.Metadata | undefined;
  #headerSent = false;
  #trailer: Metadata | undefined;

  constructor(call: AnyServerCall, peers: PeerAddresses, ended?: AbortSignal) {
    this.#call = call;
    this.#peers = peers;
    this.#ended = ended;
  }

  /**
   * Aborted when the caller cancels, the call's deadline passes (grpc-js
   * answers DEADLINE_EXCEEDED and reports the call cancelled), or, for
   * streaming responses, the host ends streams.
   */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const controller = new AbortController();
      this.#controller = controller;
      if (this.#call.cancelled) controller.abort();
      else (this.#call as NodeJS.EventEmitter).once('cancelled', () => controller.abort());
      if (this.#ended !== undefined) {
        if (this.#ended.aborted) controller.abort();
        else this.#ended.addEventListener('abort', () => controller.abort(), { once: true });
      }
    }
    return this.#controller.signal;
  }

  /** Aborts the signal: the host saw the call end before grpc-js reported it cancelled. */
  abort(): void {
    if (!this.signal.aborted) this.#controller?.abort();
  }

  /** Whether the caller cancelled (or the deadline passed), without making a signal. */
  get cancelled(): boolean {
    return this.#call.cancelled || (this.#controller?.signal.aborted ?? false);
  }

  /** The caller's metadata, converted whole when first read. */
  get metadata(): Metadata {
    if (this.#metadata === undefined) {
      const metadata = Metadata();
      for (const [key, values] of Object.entries(this.#call.metadata.toJSON())) {
        for (const value of values) metadata.append(key, value);
      }
      this.#metadata = metadata;
    }
    return this.#metadata;
  }

  /** The first value of one of the caller's text metadata keys, read directly. */
  firstMetadata(key: string): string | undefined {
    const value = this.#call.metadata.get(key)[0];
    return typeof value === 'string' ? value : undefined;
  }

  /** The caller's address, as grpc-js's `getPeer()` writes it (peer-address.ts). */
  get peer(): string {
    return this.#peers.of(this.#call);
  }

  /** Response headers (nice-grpc style); see also {@link setHeader}. */
  get header(): Metadata {
    this.#header ??= Metadata();
    return this.#header;
  }

  /** Sets a text response header directly. */
  setHeader(key: string, value: string): void {
    this.#outHeader ??= new grpc.Metadata();
    this.#outHeader.set(key, value);
  }

  /** Sends the response headers now, if there are any and they were not sent. */
  sendHeader(): void {
    if (this.#headerSent) return;
    this.#headerSent = true;
    let out = this.#outHeader;
    if (this.#header !== undefined) out = toGrpcMetadata(this.#header, out);
    if (out !== undefined) this.#call.sendMetadata(out);
  }

  /** Response trailers. */
  get trailer(): Metadata {
    this.#trailer ??= Metadata();
    return this.#trailer;
  }

  /** The trailers to send, if any were set. */
  grpcTrailer(): grpc.Metadata | undefined {
    return this.#trailer === undefined ? undefined : toGrpcMetadata(this.#trailer);
  }
}

function toGrpcMetadata(metadata: Metadata, into = new grpc.Metadata()): grpc.Metadata {
  for (const [key, values] of metadata) {
    for (const value of values) into.add(key, typeof value === 'string' ? value : Buffer.from(value));
  }
  return into;
}

const isAbortError = (error: unknown) => (error as { name?: unknown } | null)?.name === 'AbortError';

/** A zero-copy Buffer over encoded bytes (grpc-js copies the message into its frame with `Buffer#copy`). */
const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function grpcMethod(
  path: string,
  method: MethodDefinition,
  partialResponses: boolean,
): grpc.MethodDefinition<unknown, unknown> {
  const request: MessageType<unknown> = method.requestType;
  const response: MessageType<unknown> = method.responseType;
  const fromPartial = partialResponses ? response.fromPartial : undefined;
  return {
    path,
    requestStream: method.requestStream,
    responseStream: method.responseStream,
    requestSerialize: (value) => asBuffer(request.encode(value).finish()),
    requestDeserialize: (bytes) => request.decode(bytes),
    responseSerialize: fromPartial
      ? (value) => asBuffer(response.encode(fromPartial(value)).finish())
      : (value) => asBuffer(response.encode(value).finish()),
    responseDeserialize: (bytes) => response.decode(bytes),
  };
}

const isTsProto = (definition: object): definition is ServiceDefinition =>
  'fullName' in definition && 'methods' in definition;

/**
 * The incoming messages of a streaming call; ending the iteration early
 * leaves the call open. A stream grpc-js destroys because the call was
 * cancelled throws an AbortError, with the context's signal aborted. (A
 * caller may also half-close and then cancel, as nice-grpc's client does: the
 * messages end normally and the signal aborts when the cancellation arrives.)
 */
async function* incoming(
  call: grpc.ServerReadableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>,
  context: RpcContext,
): AsyncGenerator<unknown, void, undefined> {
  try {
    yield* call.iterator({ destroyOnReturn: false });
  } catch (error) {
    if (!call.cancelled) throw error;
    context.abort();
    throw new DOMException('the call was cancelled', 'AbortError');
  }
}

/** Creates a {@link GrpcHost}. */
export function createGrpcHost(options: GrpcHostOptions = {}): GrpcHost {
  const added: { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation }[] =
    [];
  let server: grpc.Server | undefined;
  let listened = false;
  const streamsEnded = new AbortController();
  const peers = createPeerAddresses();

  const statusOf = (path: string, error: unknown, context: RpcContext): Partial<grpc.StatusObject> => {
    const metadata = context.grpcTrailer();
    const trailer = metadata ? { metadata } : {};
    if (error instanceof ServerError)
      return { code: error.code as number, details: error.details, ...trailer };
    if (isAbortError(error))
      return { code: Status.CANCELLED as number, details: 'the call was cancelled', ...trailer };
    options.onUnexpectedError?.(error, path);
    return { code: Status.UNKNOWN as number, details: 'unknown server error' };
  };

  /** Writes each response of a streaming handler, then ends the call (OK when the host ended streams). */
  const respond = (
    path: string,
    call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>,
    context: RpcContext,
    responses: () => AsyncIterable<unknown>,
  ) => {
    (async () => {
      for await (const response of responses()) {
        context.sendHeader();
        if (!call.write(response)) {
          const emitter: NodeJS.EventEmitter = call;
          await new Promise<void>((resolve) => {
            const done = () => {
              emitter.off('drain', done);
              context.signal.removeEventListener('abort', done);
              resolve();
            };
            emitter.once('drain', done);
            context.signal.addEventListener('abort', done, { once: true });
          });
          if (context.signal.aborted) break;
        }
      }
    })().then(
      () => {
        context.sendHeader();
        call.end(context.grpcTrailer());
      },
      (error: unknown) => {
        context.sendHeader();
        if (streamsEnded.signal.aborted && !call.cancelled && isAbortError(error))
          call.end(context.grpcTrailer());
        else call.emit('error', statusOf(path, error, context));
      },
    );
  };

  const handlerFor = (method: MethodInfo, handler: AnyHandler) => {
    const { path } = method;
    if (!method.responseStream) {
      const finish = (
        promise: Promise<unknown>,
        context: RpcContext,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        promise.then(
          (response) => {
            context.sendHeader();
            callback(null, response, context.grpcTrailer());
          },
          (error: unknown) => {
            context.sendHeader();
            callback(statusOf(path, error, context));
          },
        );
      };
      const call = (request: unknown, context: RpcContext): Promise<unknown> => {
        try {
          return Promise.resolve(handler(request, context));
        } catch (error) {
          return Promise.reject(error);
        }
      };
      return method.requestStream
        ? (stream: grpc.ServerReadableStream<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
            const context = new RpcContext(stream, peers);
            finish(call(incoming(stream, context), context), context, callback);
          }
        : (unary: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
            const context = new RpcContext(unary, peers);
            finish(call(unary.request, context), context, callback);
          };
    }
    return method.requestStream
      ? (duplex: grpc.ServerDuplexStream<unknown, unknown>) => {
          const context = new RpcContext(duplex, peers, streamsEnded.signal);
          respond(path, duplex, context, () => handler(incoming(duplex, context), context));
        }
      : (writable: grpc.ServerWritableStream<unknown, unknown>) => {
          const context = new RpcContext(writable, peers, streamsEnded.signal);
          respond(path, writable, context, () => handler(writable.request, context));
        };
  };

  const register = (
    definition: grpc.ServiceDefinition,
    handlers: Record<string, AnyHandler>,
    wrap: HandlerWrapper | undefined,
  ) => {
    if (listened) throw new Error('services must be added before listen()');
    const implementation: grpc.UntypedServiceImplementation = {};
    for (const [name, method] of Object.entries(definition)) {
      const handler = handlers[name];
      if (typeof handler !== 'function') throw new Error(`no handler for ${method.path}`);
      const info: MethodInfo = {
        path: method.path,
        requestStream: method.requestStream,
        responseStream: method.responseStream,
      };
      implementation[name] = handlerFor(info, wrap ? wrap(info, handler) : handler) as grpc.UntypedHandleCall;
    }
    added.push({ definition, implementation });
  };

  const toGrpcDefinition = (definition: ServiceDefinition, partialResponses: boolean) =>
    Object.fromEntries(
      Object.entries(definition.methods).map(([name, method]) => [
        name,
        grpcMethod(`/${definition.fullName}/${method.name}`, method, partialResponses),
      ]),
    ) as grpc.ServiceDefinition;

  /** The implementation's method for each of the definition's methods, bound to it (it may be a class instance). */
  const bound = (definition: grpc.ServiceDefinition, implementation: object) => {
    const handlers: Record<string, AnyHandler> = {};
    for (const name of Object.keys(definition)) {
      const method: unknown = (implementation as Record<string, unknown>)[name];
      if (typeof method === 'function') handlers[name] = method.bind(implementation);
    }
    return handlers;
  };

  return {
    add(definition, handlers, addOptions) {
      register(toGrpcDefinition(definition, false), handlers as Record<string, AnyHandler>, addOptions?.wrap);
    },
    addImplementation(definition, implementation) {
      const grpcDefinition = isTsProto(definition) ? toGrpcDefinition(definition, true) : definition;
      register(grpcDefinition, bound(grpcDefinition, implementation), undefined);
    },
    async listen(address, credentials) {
      if (listened) throw new Error('listen() was already called');
      listened = true;
      const next = new grpc.Server(options.channelOptions);
      for (const { definition, implementation } of added) next.addService(definition, implementation);
      server = next;
      try {
        return await new Promise<number>((resolve, reject) => {
          next.bindAsync(address, credentials, (error, port) => (error ? reject(error) : resolve(port)));
        });
      } catch (error) {
        server = undefined;
        listened = false;
        next.forceShutdown();
        throw error;
      }
    },
    endStreams: () => streamsEnded.abort(),
    async shutdown() {
      const running = server;
      if (running === undefined) return;
      await new Promise<void>((resolve, reject) =>
        running.tryShutdown((error) => (error ? reject(error) : resolve())),
      );
      server = undefined;
    },
    forceShutdown() {
      server?.forceShutdown();
      server = undefined;
    },
  };
}

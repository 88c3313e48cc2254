import { Buffer } from 'node:buffer';
import { type SearchServiceClient, SearchServiceDefinition } from '@geosearch/generated';
import { ChannelCredentials, type ChannelOptions, createChannel, createClient } from 'nice-grpc';
import { invalidArgument } from './search-client-error.js';

/** A client for one target and the means to release it. */
export interface TargetConnection {
  /** The generated SearchService client bound to this target. */
  readonly client: SearchServiceClient;
  /** Releases the connection; calls in flight may finish. */
  close(): void;
}

/**
 * Opens connections to targets. The default is gRPC
 * ({@link createGrpcTransport}); tests may pass an in-memory one.
 */
export interface Transport {
  /** A connection to `target` (`host:port`). Called once per target while the target is known. */
  connect(target: string): TargetConnection;
}

/** PEM text or bytes. */
export type Pem = string | Uint8Array;

/** TLS settings: with none of them, TLS with the system's root certificates. */
export interface TlsOptions {
  /** Root certificates to trust instead of the system's. */
  readonly ca?: Pem;
  /** Client certificate chain, for mutual TLS (needs `key`). */
  readonly cert?: Pem;
  /** Client private key, for mutual TLS (needs `cert`). */
  readonly key?: Pem;
  /** The name to expect in the server's certificate, when it differs from the target's host. */
  readonly serverName?: string;
}

/** Options of {@link createGrpcTransport}. */
export interface GrpcTransportOptions {
  /** TLS settings; plaintext when omitted. */
  readonly tls?: TlsOptions | undefined;
  /** Extra grpc-js channel options (they override the SDK's). */
  readonly channelOptions?: ChannelOptions | undefined;
}

const bytes = (pem: Pem | undefined) => (pem === undefined ? null : Buffer.from(pem));

/** grpc-js credentials for `tls`: insecure without it, `createSsl` with it. */
export function channelCredentials(tls: TlsOptions | undefined): ChannelCredentials {
  if (tls === undefined) return ChannelCredentials.createInsecure();
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw invalidArgument(tls.cert === undefined ? 'tls.cert' : 'tls.key', 'is required with the other');
  }
  return ChannelCredentials.createSsl(bytes(tls.ca), bytes(tls.key), bytes(tls.cert));
}

/** Largest response the SDK accepts by default: full-view pages of large places run to megabytes. */
const defaultMaxReceiveBytes = 64 * 1024 * 1024;

/** The gRPC transport: one grpc-js channel per target, plaintext or TLS. */
export function createGrpcTransport(options: GrpcTransportOptions = {}): Transport {
  const credentials = channelCredentials(options.tls);
  const serverName = options.tls?.serverName;
  const channelOptions: ChannelOptions = {
    'grpc.max_receive_message_length': defaultMaxReceiveBytes,
    ...(serverName === undefined
      ? {}
      : { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName }),
    ...options.channelOptions,
  };
  return {
    connect(target) {
      const channel = createChannel(target, credentials, channelOptions);
      return { client: createClient(SearchServiceDefinition, channel), close: () => channel.close() };
    },
  };
}

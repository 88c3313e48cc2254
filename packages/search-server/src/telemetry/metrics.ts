import { StatsD } from 'hot-shots';

/** Where metrics go; every method returns at once and never throws. */
export interface Metrics {
  timing(name: string, ms: number): void;
  increment(name: string, by?: number): void;
  gauge(name: string, value: number): void;
  /** Changes the prefix and timer sample rate at run time. */
  configure(changes: { prefix?: string; sampleRate?: number }): void;
  /** Sends anything buffered and closes the socket. */
  close(): Promise<void>;
}

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /** `host:port` of the StatsD daemon (UDP). */
  readonly target: string;
  readonly prefix: string;
  readonly sampleRate: number;
  /** Called when a send fails; sends never throw. */
  readonly onError: (error: Error) => void;
}

/** Metrics that go nowhere, for `metrics=false`. */
export function createNoopMetrics(): Metrics {
  return {
    timing() {},
    increment() {},
    gauge() {},
    configure() {},
    close: async () => {},
  };
}

/**
 * StatsD metrics through hot-shots over UDP, buffered (flushed every 200 ms
 * or when a datagram fills), so a request never waits on the network.
 */
export function createMetrics(options: MetricsOptions): Metrics {
  const separator = options.target.lastIndexOf(':');
  let prefix = options.prefix;
  let sampleRate = options.sampleRate;
  const client = new StatsD({
    host: options.target.slice(0, separator).replace(/^\[|\]$/g, ''),
    port: Number(options.target.slice(separator + 1)),
    protocol: 'udp',
    maxBufferSize: 1400,
    bufferFlushInterval: 200,
    errorHandler: options.onError,
  });
  client.socket?.unref?.();
  return {
    timing: (name, ms) => client.timing(prefix + name, ms, sampleRate),
    increment: (name, by = 1) => client.increment(prefix + name, by),
    gauge: (name, value) => client.gauge(prefix + name, value),
    configure: (changes) => {
      if (changes.prefix !== undefined) prefix = changes.prefix;
      if (changes.sampleRate !== undefined) sampleRate = changes.sampleRate;
    },
    close: () =>
      new Promise<void>((resolve) => {
        client.close(() => resolve());
      }),
  };
}

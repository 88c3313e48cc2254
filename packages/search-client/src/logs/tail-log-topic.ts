/** Where reading starts. */
export type TailStart =
  | { readonly kind: 'beginning' }
  | { readonly kind: 'end' }
  /** Records with a timestamp at or after this time (ms since the epoch). */
  | { readonly kind: 'since'; readonly timeMs: number };

/** SASL mechanisms the log reader can authenticate with. */
export type TailSaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** SASL credentials for the brokers. */
export interface TailSasl {
  readonly mechanism: TailSaslMechanism;
  readonly username: string;
  readonly password: string;
}

/** Options of {@link tailLogTopic}. */
export interface TailLogTopicOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly start: TailStart;
  /** Keep reading new records until `signal` aborts; otherwise stop at the end as it was at start. */
  readonly follow: boolean;
  /** Receives every record value (the JSON line) in partition order. */
  readonly onLine: (line: string, key: string | undefined) => void;
  /** Stops reading (follow mode's only way to end). */
  readonly signal?: AbortSignal;
  /** Bound on connecting and on each request (default 10000 ms). */
  readonly timeoutMs?: number;
  /** Authenticate with SASL (over plain TCP); absent: no authentication. */
  readonly sasl?: TailSasl;
}

/**
 * Reads a log topic with a throwaway consumer group that commits nothing.
 * Without `follow` it resolves once every partition reached its high
 * watermark as listed at start (at once for an empty topic). `since`
 * starts at the earliest offsets and skips older records by timestamp.
 * The Kafka client is loaded only when called (it compiles WebAssembly).
 */
export async function tailLogTopic(options: TailLogTopicOptions): Promise<void> {
  const kafka = await import('@platformatic/kafka');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const consumer = new kafka.Consumer({
    clientId: 'geosearch-cli',
    groupId: `geosearch-cli-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`,
    bootstrapBrokers: [...options.brokers],
    deserializers: kafka.stringDeserializers,
    connectTimeout: Math.min(timeoutMs, 5_000),
    timeout: timeoutMs,
    requestTimeout: timeoutMs,
    retries: 1,
    ...(options.sasl ? { sasl: { ...options.sasl } } : {}),
  });
  try {
    const topics = [options.topic];
    // The end as it is now, and the first offset still kept, per partition.
    const ends = (await consumer.listOffsets({ topics })).get(options.topic) ?? [];
    const starts = (await consumer.listOffsets({ topics, timestamp: -2n })).get(options.topic) ?? [];
    const next = new Map<number, bigint>(starts.map((offset, partition) => [partition, offset]));
    const reachedEnd = () =>
      !options.follow && ends.every((end, partition) => (next.get(partition) ?? 0n) >= end);
    if (!options.follow && (options.start.kind === 'end' || reachedEnd())) return;
    if (options.signal?.aborted) return;

    const stream = await consumer.consume({
      topics,
      mode: options.start.kind === 'end' ? 'latest' : 'earliest',
      autocommit: false,
      maxWaitTime: 500,
    });
    const sinceMs = options.start.kind === 'since' ? BigInt(Math.floor(options.start.timeMs)) : undefined;
    await new Promise<void>((resolve, reject) => {
      const finish = () => {
        options.signal?.removeEventListener('abort', finish);
        resolve();
      };
      options.signal?.addEventListener('abort', finish, { once: true });
      stream.on('data', (message) => {
        next.set(message.partition, message.offset + 1n);
        if (sinceMs === undefined || message.timestamp >= sinceMs) {
          options.onLine(String(message.value), message.key === undefined ? undefined : String(message.key));
        }
        if (reachedEnd()) finish();
      });
      stream.on('error', (error) => {
        options.signal?.removeEventListener('abort', finish);
        reject(error);
      });
    });
  } catch (error) {
    if (options.sasl && messagesOf(error).some((m) => m.includes('SASL authentication failed'))) {
      throw new Error(
        `SASL authentication failed (mechanism ${options.sasl.mechanism}, user ${options.sasl.username}): the brokers refused the credentials`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    await consumer.close(true).catch(() => {});
  }
}

/** Every message in an error, its aggregated errors and its causes (the Kafka client nests them deeply). */
function messagesOf(error: unknown, depth = 0): string[] {
  if (!(error instanceof Error) || depth > 8) return [];
  const nested = error instanceof AggregateError ? (error.errors as unknown[]) : [];
  return [error.message, ...[...nested, error.cause].flatMap((e) => messagesOf(e, depth + 1))];
}

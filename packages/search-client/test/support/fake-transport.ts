import type { SearchServiceClient } from '@geosearch/generated';
import { type CallOptions, ClientError, Metadata, Status } from 'nice-grpc-common';
import type { Transport } from '../../src/transport.js';

/** How a fake target answers. */
export type Behaviour = 'ok' | 'unavailable' | 'not_found' | 'hang';

/** An in-memory transport: each target answers as its behaviour says; every call is recorded. */
export interface FakeTransport extends Transport {
  readonly behaviour: Map<string, Behaviour>;
  /** `target method` per attempt, in order. */
  readonly calls: string[];
  readonly closed: string[];
}

function hang(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
  });
}

/** Creates a {@link FakeTransport}; unknown targets answer `ok`. */
export function createFakeTransport(initial: Record<string, Behaviour> = {}): FakeTransport {
  const behaviour = new Map(Object.entries(initial));
  const calls: string[] = [];
  const closed: string[] = [];
  const answer = async <T>(target: string, method: string, options: CallOptions | undefined, value: T) => {
    calls.push(`${target} ${method}`);
    const mode = behaviour.get(target) ?? 'ok';
    if (mode === 'hang') return hang(options?.signal);
    if (mode === 'unavailable')
      throw new ClientError(`/geosearch.v1.SearchService/${method}`, Status.UNAVAILABLE, 'down');
    if (mode === 'not_found') {
      options?.onTrailer?.(Metadata({ 'geosearch-error-code': 'not_found' }));
      throw new ClientError(`/geosearch.v1.SearchService/${method}`, Status.NOT_FOUND, 'no such thing');
    }
    return value;
  };
  return {
    behaviour,
    calls,
    closed,
    connect(target) {
      const client: SearchServiceClient = {
        search: (_r, o) => answer(target, 'Search', o, { results: [], nextPageToken: '' }),
        nearby: (_r, o) => answer(target, 'Nearby', o, { results: [] }),
        getThing: (_r, o) => answer(target, 'GetThing', o, { thing: undefined }),
        deleteThing: (_r, o) => answer(target, 'DeleteThing', o, { id: 1, externalId: 'x' }),
        monitor: (_r, o) =>
          answer(target, 'Monitor', o, {
            nThings: 0,
            schemaVersion: '',
            serverVersion: '',
            uptimeSeconds: 0,
            instanceId: target,
            databaseBackend: 'fake',
            logsDropped: 0,
            pointIndexState: 'off',
            pointIndexThings: 0,
          }),
        importThings: async (requests, o) => {
          for await (const _ of requests) {
            // drain the stream like a server would
          }
          return answer(target, 'ImportThings', o, { created: 0, updated: 0, rejected: 0, rejections: [] });
        },
      };
      return { client, close: () => closed.push(target) };
    },
  };
}

import { channel } from 'node:diagnostics_channel';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { replaceHttp2StreamMaps } from '../src/rpc/http2-stream-tables.js';
import { createStreamTable, isStreamTable } from '../src/rpc/stream-table.js';

describe('createStreamTable', () => {
  type Step = { op: 'open' } | { op: 'replace' | 'close'; pick: number } | { op: 'closeMissing' };
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.constant({ op: 'open' as const }),
    fc.record({ op: fc.constantFrom('replace' as const, 'close' as const), pick: fc.nat() }),
    fc.constant({ op: 'closeMissing' as const }),
  );

  it('behaves as a Map for streams opened in ascending id order', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 300 }), (steps) => {
        const map = new Map<number, string>();
        const table = createStreamTable<string>();
        let next = 1;
        for (const [i, s] of steps.entries()) {
          const ids = [...map.keys()];
          if (s.op === 'open') {
            expect(table.set(next, `v${i}`)).toBe(table);
            map.set(next, `v${i}`);
            next += 2; // client-opened stream ids are odd and increasing
          } else if (s.op === 'closeMissing') {
            expect(table.delete(next + 2)).toBe(map.delete(next + 2));
          } else if (ids.length > 0) {
            const id = ids[s.pick % ids.length] as number;
            if (s.op === 'replace') {
              table.set(id, `r${i}`);
              map.set(id, `r${i}`);
            } else {
              expect(table.delete(id)).toBe(map.delete(id));
              expect(table.delete(id)).toBe(false);
            }
          }
          expect(table.size).toBe(map.size);
        }
        expect([...table]).toEqual([...map]);
        expect([...table.keys()]).toEqual([...map.keys()]);
        expect([...table.values()]).toEqual([...map.values()]);
        for (const id of [...map.keys(), next, 0]) {
          expect(table.get(id)).toBe(map.get(id));
          expect(table.has(id)).toBe(map.has(id));
        }
      }),
    );
  });

  it('visits in forEach what a Map would when entries are deleted during the walk', () => {
    const entries = [1, 3, 5, 7, 9].map((id): [number, string] => [id, `s${id}`]);
    const walk = (target: {
      forEach(f: (v: string, id: number) => void): void;
      delete(id: number): boolean;
    }) => {
      const seen: number[] = [];
      target.forEach((_value, id) => {
        seen.push(id);
        target.delete(id);
        target.delete(id + 2); // the next one: never visited
      });
      return seen;
    };
    const table = createStreamTable(entries);
    expect(walk(table)).toEqual(walk(new Map(entries)));
    expect(table.size).toBe(0);
  });

  it('is recognised by isStreamTable, and a Map is not', () => {
    expect(isStreamTable(createStreamTable())).toBe(true);
    expect(isStreamTable(new Map())).toBe(false);
    expect(isStreamTable(undefined)).toBe(false);
  });
});

describe('replaceHttp2StreamMaps', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  /** The session's stream map, found as the module finds it. */
  const streamsOf = (session: http2.Http2Session) => {
    const key = Object.getOwnPropertySymbols(session).find((s) => s.description === 'state') as symbol;
    const state = (session as unknown as Record<symbol, { streams: { size: number } } | undefined>)[key];
    if (!state) throw new Error('no session state');
    return state.streams;
  };

  /** An HTTP/2 server that answers each stream after `delayMs`, and a way to open sessions to it. */
  async function serve(delayMs: number) {
    const server = http2.createServer();
    // Each stream with its session (a closed stream no longer knows its session).
    const seen: { stream: http2.ServerHttp2Stream; session: http2.Http2Session }[] = [];
    server.on('stream', (stream) => {
      seen.push({ stream, session: stream.session as http2.Http2Session });
      stream.on('error', () => {});
      setTimeout(() => {
        if (!stream.destroyed) stream.respond({ ':status': 200 }, { endStream: true });
      }, delayMs);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const sessions: http2.ClientHttp2Session[] = [];
    cleanups.push(() => {
      for (const s of sessions) s.destroy();
      server.close();
    });
    const connect = () => {
      const session = http2.connect(`http://127.0.0.1:${port}`);
      session.on('error', () => {});
      sessions.push(session);
      return session;
    };
    /** Opens `n` requests at once; resolves with their outcomes (the status, or the error's code). */
    const requests = (session: http2.ClientHttp2Session, n: number) =>
      Promise.all(
        Array.from(
          { length: n },
          () =>
            new Promise<number | string>((resolve) => {
              const request = session.request({ ':path': '/' });
              request.on('response', (headers) => resolve(Number(headers[':status'])));
              request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
              request.on('close', () => resolve('closed'));
              request.end();
            }),
        ),
      );
    return { seen, connect, requests };
  }

  it('gives every new server session a stream table holding its streams, and calls are answered', async () => {
    const maps = replaceHttp2StreamMaps();
    cleanups.push(maps.stop);
    const { seen, connect, requests } = await serve(20);
    const outcomes = await Promise.all([requests(connect(), 40), requests(connect(), 40)]);
    expect(outcomes.flat()).toEqual(Array(80).fill(200));
    expect(maps).toMatchObject({ replaced: 2, skipped: 0 });
    const serverSessions = new Set(seen.map((s) => s.session));
    expect(serverSessions.size).toBe(2);
    for (const session of serverSessions) {
      expect(isStreamTable(streamsOf(session))).toBe(true);
      expect(streamsOf(session).size).toBe(0);
    }
  });

  it('lets a closing session wait for its open streams, and a destroyed one close them all', async () => {
    const maps = replaceHttp2StreamMaps();
    cleanups.push(maps.stop);
    const { seen, connect, requests } = await serve(100);

    const graceful = requests(connect(), 10);
    await new Promise((r) => setTimeout(r, 30));
    const closing = seen[0]?.session as http2.Http2Session;
    expect(streamsOf(closing).size).toBe(10);
    const closed = new Promise((resolve) => closing.on('close', resolve));
    closing.close(); // waits for the 10 open streams (the table's size)
    expect(await graceful).toEqual(Array(10).fill(200));
    await closed;

    const cut = requests(connect(), 10);
    await new Promise((r) => setTimeout(r, 30));
    const destroyed = seen[10]?.session as http2.Http2Session;
    expect(streamsOf(destroyed).size).toBe(10);
    destroyed.destroy(); // closes every open stream through the table's forEach
    const outcomes = await cut;
    expect(outcomes.filter((o) => o === 200)).toEqual([]);
    expect(seen.slice(10).every((s) => s.stream.destroyed)).toBe(true);
    expect(streamsOf(destroyed).size).toBe(0);
    expect(maps).toMatchObject({ replaced: 2, skipped: 0 });
  });

  it('leaves a session that does not look as expected alone, says why once, and stops when told', async () => {
    const reasons: string[] = [];
    const maps = replaceHttp2StreamMaps({ onSkip: (reason) => reasons.push(reason) });
    cleanups.push(maps.stop);
    const created = channel('http2.server.stream.created');
    created.publish({ stream: { id: 1, session: {} } });
    created.publish({ stream: { id: 1, session: { [Symbol('state')]: { streams: [] } } } });
    expect(maps).toMatchObject({ replaced: 0, skipped: 2 });
    expect(reasons).toEqual(['no state symbol on the session']);

    maps.stop();
    const { seen, connect, requests } = await serve(0);
    expect(await requests(connect(), 3)).toEqual([200, 200, 200]);
    expect(isStreamTable(streamsOf(seen[0]?.session as http2.Http2Session))).toBe(false);
    expect(maps).toMatchObject({ replaced: 0, skipped: 2 });
  });
});

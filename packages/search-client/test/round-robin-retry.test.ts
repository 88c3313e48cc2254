import { describe, expect, it } from 'vitest';
import { createSearchClient } from '../src/search-client.js';
import { SearchClientError } from '../src/search-client-error.js';
import { createFakeTransport } from './support/fake-transport.js';

const fast = { initialBackoffMs: 1, maxBackoffMs: 2 };

async function failure(promise: Promise<unknown>): Promise<SearchClientError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SearchClientError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('round-robin, set-aside and retries (in-memory transport)', () => {
  it('calls the targets in turn', async () => {
    const transport = createFakeTransport();
    const client = createSearchClient({ targets: ['a:1', 'b:1', 'c:1'], transport });
    const answered = [];
    for (let i = 0; i < 6; i++) answered.push((await client.monitor()).instanceId);
    expect(answered).toEqual(['a:1', 'b:1', 'c:1', 'a:1', 'b:1', 'c:1']);
    await client.close();
    expect(transport.closed.sort()).toEqual(['a:1', 'b:1', 'c:1']);
  });

  it('sets a target answering UNAVAILABLE aside and retries idempotent calls on another', async () => {
    const transport = createFakeTransport({ 'a:1': 'unavailable' });
    const client = createSearchClient({ targets: ['a:1', 'b:1'], transport, retry: fast });
    for (let i = 0; i < 4; i++) expect((await client.monitor()).instanceId).toBe('b:1');
    await client.search({ query: 'x' });
    await client.nearby({ point: { lat: 0, lng: 0 } });
    // a:1 was tried once, then avoided while set aside.
    expect(transport.calls.filter((c) => c.startsWith('a:1'))).toEqual(['a:1 Monitor']);
    await client.close();
  });

  it('comes back to a set-aside target once its time is up', async () => {
    const transport = createFakeTransport({ 'a:1': 'unavailable' });
    const client = createSearchClient({ targets: ['a:1', 'b:1'], transport, retry: fast, setAsideMs: 30 });
    await client.monitor();
    transport.behaviour.set('a:1', 'ok');
    await new Promise((resolve) => setTimeout(resolve, 40));
    const answered = new Set<string>();
    for (let i = 0; i < 4; i++) answered.add((await client.monitor()).instanceId);
    expect(answered).toEqual(new Set(['a:1', 'b:1']));
    await client.close();
  });

  it('never retries deletes and imports', async () => {
    const transport = createFakeTransport({ 'a:1': 'unavailable' });
    const client = createSearchClient({ targets: ['a:1', 'b:1'], transport, retry: fast });
    const deleted = await failure(client.deleteThing({ id: 1 }));
    expect(deleted).toMatchObject({
      code: 'unavailable',
      grpcCode: 14,
      method: 'DeleteThing',
      target: 'a:1',
    });
    // a:1 is now set aside, so the next (non-idempotent) call goes to b:1.
    await client.importThings([]);
    transport.behaviour.set('b:1', 'unavailable');
    await failure(client.importThings([]));
    expect(transport.calls).toEqual(['a:1 DeleteThing', 'b:1 ImportThings', 'b:1 ImportThings']);
    await client.close();
  });

  it('retries only on UNAVAILABLE', async () => {
    const transport = createFakeTransport({ 'a:1': 'not_found', 'b:1': 'not_found' });
    const client = createSearchClient({ targets: ['a:1', 'b:1'], transport, retry: fast });
    const error = await failure(client.getThing({ externalId: 'x' }));
    expect(error).toMatchObject({ code: 'not_found', grpcCode: 5, details: 'no such thing' });
    expect(transport.calls).toHaveLength(1);
    await client.close();
  });

  it('stops after maxAttempts and reports the last failure', async () => {
    const transport = createFakeTransport({ 'a:1': 'unavailable', 'b:1': 'unavailable' });
    const client = createSearchClient({
      targets: ['a:1', 'b:1'],
      transport,
      retry: { ...fast, maxAttempts: 3 },
    });
    const error = await failure(client.search({ query: 'x' }));
    expect(error.code).toBe('unavailable');
    expect(error.message).toMatch(/is unavailable: down/);
    expect(transport.calls).toEqual(['a:1 Search', 'b:1 Search', 'a:1 Search']);
    await client.close();
  });

  it('bounds retries with the budget: the reserve, then a share of the calls', async () => {
    const transport = createFakeTransport({ 'a:1': 'unavailable' });
    const client = createSearchClient({
      targets: ['a:1'],
      transport,
      retry: { ...fast, maxAttempts: 10, budget: { ratio: 0.2, reserve: 3 } },
    });
    // The first call spends the reserve of 3 (plus 0.2 deposited by itself).
    await failure(client.monitor());
    expect(transport.calls).toHaveLength(4);
    // Then retries come only from calls: 5 calls deposit one retry.
    transport.calls.length = 0;
    for (let i = 0; i < 10; i++) await failure(client.monitor());
    expect(transport.calls.length).toBeLessThanOrEqual(10 + 2 + 1);
    expect(transport.calls.length).toBeGreaterThanOrEqual(10 + 1);
    await client.close();
  });

  it('fails with deadline_exceeded when the deadline passes, and cancelled when the caller aborts', async () => {
    const transport = createFakeTransport({ 'a:1': 'hang' });
    const client = createSearchClient({ targets: ['a:1'], transport, deadlineMs: 50 });
    const started = performance.now();
    const late = await failure(client.search({ query: 'x' }));
    expect(late).toMatchObject({ code: 'deadline_exceeded', grpcCode: 4 });
    expect(performance.now() - started).toBeLessThan(1000);
    const overridden = await failure(client.search({ query: 'x' }, { deadlineMs: 10 }));
    expect(overridden.message).toMatch(/10 ms/);
    const controller = new AbortController();
    const pending = failure(client.search({ query: 'x' }, { signal: controller.signal, deadlineMs: 10_000 }));
    controller.abort();
    expect(await pending).toMatchObject({ code: 'cancelled', grpcCode: 1 });
    await client.close();
  });

  it('fails with cancelled after close, and with invalid_argument for bad options', async () => {
    const client = createSearchClient({ targets: ['a:1'], transport: createFakeTransport() });
    await client.close();
    expect(await failure(client.monitor())).toMatchObject({ code: 'cancelled' });
    expect(() => createSearchClient({ targets: ['nope'] })).toThrow(/targets: 'nope' is not host:port/);
    expect(() => createSearchClient({ targets: [] })).toThrow(SearchClientError);
    expect(() => createSearchClient({ targets: ['a:1'], deadlineMs: 0 })).toThrow(/deadlineMs/);
  });

  it('follows a discovery source: new targets are used, dropped ones closed', async () => {
    const transport = createFakeTransport();
    let targets: readonly string[] = ['a:1'];
    let notify = () => {};
    let discoveryClosed = false;
    const client = createSearchClient({
      transport,
      discovery: {
        targets: () => targets,
        subscribe: (onChange) => {
          notify = onChange;
          return () => {
            notify = () => {};
          };
        },
        close: () => {
          discoveryClosed = true;
        },
      },
    });
    expect((await client.monitor()).instanceId).toBe('a:1');
    targets = ['b:1'];
    notify();
    expect(transport.closed).toEqual(['a:1']);
    expect((await client.monitor()).instanceId).toBe('b:1');
    targets = [];
    expect(await failure(client.monitor())).toMatchObject({ code: 'unavailable' });
    await client.close();
    expect(discoveryClosed).toBe(true);
  });

  it('passes errors of the caller’s own import source through unchanged', async () => {
    const client = createSearchClient({ targets: ['a:1'], transport: createFakeTransport() });
    const mine = new Error('my source broke');
    async function* broken() {
      yield { type: 'Feature' as const, geometry: null };
      throw mine;
    }
    await expect(client.importThings(broken())).rejects.toBe(mine);
    await client.close();
  });
});

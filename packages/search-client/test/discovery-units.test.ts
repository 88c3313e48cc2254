import { describe, expect, it } from 'vitest';
import { createConsulDiscovery, healthTargets } from '../src/discovery/consul-discovery.js';
import { createDnsSrvDiscovery, type SrvResolver } from '../src/discovery/dns-srv-discovery.js';
import { srvOrder } from '../src/discovery/srv-order.js';
import { createTargetList } from '../src/discovery/target-list.js';
import { isSearchClientError } from '../src/search-client-error.js';

describe('SRV order', () => {
  it('uses only the lowest priority value, in proportion to weight, interleaved', () => {
    const order = srvOrder([
      { target: 'a:1', priority: 10, weight: 3 },
      { target: 'b:1', priority: 10, weight: 1 },
      { target: 'backup:1', priority: 20, weight: 100 },
    ]);
    expect(order).toEqual(['a:1', 'a:1', 'b:1', 'a:1']);
  });

  it('reduces weights, uses weight-0 targets only when all are 0, and caps the list', () => {
    expect(
      srvOrder([
        { target: 'a:1', priority: 1, weight: 50 },
        { target: 'b:1', priority: 1, weight: 50 },
      ]),
    ).toEqual(['a:1', 'b:1']);
    expect(
      srvOrder([
        { target: 'a:1', priority: 1, weight: 0 },
        { target: 'b:1', priority: 1, weight: 5 },
      ]),
    ).toEqual(['b:1']);
    expect(
      srvOrder([
        { target: 'a:1', priority: 1, weight: 0 },
        { target: 'b:1', priority: 1, weight: 0 },
      ]),
    ).toEqual(['a:1', 'b:1']);
    const capped = srvOrder(
      [
        { target: 'a:1', priority: 1, weight: 997 },
        { target: 'b:1', priority: 1, weight: 3 },
      ],
      10,
    );
    expect(capped.length).toBeLessThanOrEqual(11);
    expect(capped).toContain('b:1');
    expect(srvOrder([])).toEqual([]);
  });
});

describe('target list', () => {
  it('keeps the same array until the list changes, and notifies only on change', () => {
    const list = createTargetList();
    let changes = 0;
    list.subscribe(() => changes++);
    const before = list.get();
    expect(list.set([])).toBe(false);
    expect(list.get()).toBe(before);
    expect(list.set(['a:1', 'b:1'])).toBe(true);
    const after = list.get();
    expect(list.set(['a:1', 'b:1'])).toBe(false);
    expect(list.get()).toBe(after);
    expect(changes).toBe(1);
  });
});

/** A fake agent answering `/v1/health/service` from a script of answers. */
function fakeConsul(answers: ({ index: number; ports: number[] } | 'down')[], onAsk: () => void = () => {}) {
  const asked: string[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    asked.push(url);
    onAsk();
    const answer = answers.shift();
    if (answer === undefined) {
      return new Promise((_resolve, reject) =>
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
      );
    }
    if (answer === 'down') throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') });
    const body = answer.ports.map((port) => ({
      Node: { Address: '10.0.0.1' },
      Service: { Address: '', Port: port },
    }));
    return new Response(JSON.stringify(body), {
      headers: { 'content-type': 'application/json', 'x-consul-index': String(answer.index) },
    });
  }) as typeof globalThis.fetch;
  return { fetch, asked };
}

describe('Consul discovery', () => {
  it('lists passing instances, keeps the last list while Consul is down, and resets a backwards index', async () => {
    const seen: (readonly string[])[] = [];
    let targets = (): readonly string[] => [];
    const consul = fakeConsul(
      [
        { index: 7, ports: [2, 1] },
        'down',
        'down',
        { index: 9, ports: [1] },
        { index: 3, ports: [1, 3] },
        { index: 4, ports: [1, 3] },
      ],
      () => seen.push(targets()),
    );
    const errors: string[] = [];
    const discovery = createConsulDiscovery({
      addr: '127.0.0.1:8500',
      service: 'search service',
      token: 'tok',
      minIntervalMs: 10,
      fetch: consul.fetch,
      onError: (e) => errors.push(e.message),
    });
    targets = discovery.targets;
    let changes = 0;
    discovery.subscribe(() => changes++);
    expect(await discovery.ready()).toEqual(['10.0.0.1:1', '10.0.0.1:2']);
    await expect.poll(() => discovery.targets(), { timeout: 5_000 }).toEqual(['10.0.0.1:1', '10.0.0.1:3']);
    await expect.poll(() => consul.asked.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(7);
    discovery.close();
    expect(errors).toEqual([
      'consul 127.0.0.1:8500: connect ECONNREFUSED',
      'consul 127.0.0.1:8500: connect ECONNREFUSED',
    ]);
    expect(changes).toBe(3);
    // While Consul was down (the asks after each failure) the last known list stayed.
    expect(seen[2]).toEqual(['10.0.0.1:1', '10.0.0.1:2']);
    expect(seen[3]).toEqual(['10.0.0.1:1', '10.0.0.1:2']);
    const indexes = consul.asked.map((u) => new URL(u).searchParams.get('index'));
    // 0 → 7; 7 → down; from 0 after a failure → down; 0 → 9; 9 → 3 went backwards: reset; 0 → 4; 4 …
    expect(indexes.slice(0, 7)).toEqual(['0', '7', '0', '0', '9', '0', '4']);
    expect(consul.asked[0]).toMatch(
      /^http:\/\/127\.0\.0\.1:8500\/v1\/health\/service\/search%20service\?passing&index=0&wait=30s$/,
    );
  });

  it('rejects a malformed address', () => {
    try {
      createConsulDiscovery({ addr: 'nope', service: 's' });
      expect.unreachable();
    } catch (error) {
      expect(isSearchClientError(error) && error.code).toBe('invalid_argument');
    }
  });

  it('reads Service.Address before Node.Address and brackets IPv6', () => {
    expect(
      healthTargets([
        { Node: { Address: '10.0.0.1' }, Service: { Address: 'fd00::1', Port: 5 } },
        { Node: { Address: '10.0.0.2' }, Service: { Address: '', Port: 6 } },
      ]),
    ).toEqual(['10.0.0.2:6', '[fd00::1]:5']);
  });
});

describe('DNS SRV discovery', () => {
  it('resolves targets through the same server, honours priority, and keeps the last list on errors', async () => {
    const servers: string[][] = [];
    let fail = false;
    const resolver: SrvResolver = {
      setServers: (s) => servers.push([...s]),
      resolveSrv: async () => {
        if (fail) throw Object.assign(new Error('timeout'), { code: 'ETIMEOUT' });
        return [
          { name: '7f000001.addr.dc1.consul.', port: 50051, priority: 1, weight: 1 },
          { name: 'node-b.node.dc1.consul.', port: 50052, priority: 1, weight: 1 },
          { name: 'far.node.dc1.consul.', port: 50053, priority: 2, weight: 1 },
        ];
      },
      resolve4: async (name) => (name === 'node-b.node.dc1.consul' ? ['10.0.0.2'] : ['127.0.0.1']),
      resolve6: async () => [],
      cancel: () => {},
    };
    const errors: Error[] = [];
    const discovery = createDnsSrvDiscovery({
      server: '127.0.0.1:8600',
      name: 'search-service.service.consul',
      refreshMs: 20,
      resolver,
      onError: (e) => errors.push(e),
    });
    expect(servers).toEqual([['127.0.0.1:8600']]);
    expect(await discovery.ready()).toEqual(['10.0.0.2:50052', '127.0.0.1:50051']);
    fail = true;
    await expect.poll(() => errors.length, { timeout: 2_000 }).toBeGreaterThan(0);
    expect(discovery.targets()).toEqual(['10.0.0.2:50052', '127.0.0.1:50051']);
    discovery.close();
  });

  it('bounds each refresh by its timeout', async () => {
    let cancelled = 0;
    const resolver: SrvResolver = {
      setServers: () => {},
      resolveSrv: () => new Promise(() => {}),
      resolve4: async () => [],
      resolve6: async () => [],
      cancel: () => cancelled++,
    };
    const errors: Error[] = [];
    const discovery = createDnsSrvDiscovery({
      name: 's.service.consul',
      timeoutMs: 50,
      refreshMs: 10_000,
      resolver,
      onError: (e) => errors.push(e),
    });
    await expect.poll(() => errors[0]?.message, { timeout: 2_000 }).toMatch(/within 50 ms/);
    expect(cancelled).toBe(1);
    discovery.close();
  });
});

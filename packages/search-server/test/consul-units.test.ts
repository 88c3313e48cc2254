import { createServer } from 'node:net';
import { nextIndex, startBlockingQuery } from '@geosearch/search-client/blocking-query';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load-config.js';
import { createConsulHttp } from '../src/consul/consul-http.js';
import { kvSnapshot } from '../src/consul/consul-kv-config.js';
import { consulServiceDefinition, ttlTiming } from '../src/consul/consul-service-definition.js';
import { consulSettingsFromConfig, durationMs } from '../src/consul/consul-settings.js';
import { planKvConfig } from '../src/consul/kv-config-plan.js';

describe('consul settings', () => {
  it('is off without an agent, and takes CONSUL_HTTP_ADDR and CONSUL_HTTP_TOKEN when the keys are unset', () => {
    expect(consulSettingsFromConfig(parseConfig({}), {})).toBeUndefined();
    const fromEnv = consulSettingsFromConfig(parseConfig({}), {
      CONSUL_HTTP_ADDR: '10.0.0.5:8500',
      CONSUL_HTTP_TOKEN: 'secret',
      CONSUL_HTTP_SSL: 'true',
    });
    expect(fromEnv).toMatchObject({ addr: 'https://10.0.0.5:8500', token: 'secret' });
    const own = consulSettingsFromConfig(parseConfig({ consul_addr: '127.0.0.1:8500', consul_token: 't' }), {
      CONSUL_HTTP_ADDR: 'elsewhere:8500',
      CONSUL_HTTP_TOKEN: 'other',
    });
    expect(own).toMatchObject({ addr: '127.0.0.1:8500', token: 't', kvPrefix: 'config/search-service/' });
  });

  it('registers the listen host, or loopback for a wildcard listen address', () => {
    const settings = (listen: string, extra: Record<string, string> = {}) =>
      consulSettingsFromConfig(parseConfig({ consul_addr: 'c:8500', listen, ...extra }));
    expect(settings('0.0.0.0:50051')?.serviceAddress).toBe('127.0.0.1');
    expect(settings('[::]:50051')?.serviceAddress).toBe('::1');
    expect(settings('[fd00::7]:50051')?.serviceAddress).toBe('fd00::7');
    expect(settings('10.1.2.3:50051')?.serviceAddress).toBe('10.1.2.3');
    expect(settings('0.0.0.0:1', { consul_service_address: 'search-1.internal' })?.serviceAddress).toBe(
      'search-1.internal',
    );
    expect(settings('0.0.0.0:1', { consul_kv: 'false' })?.kvPrefix).toBeUndefined();
    expect(settings('0.0.0.0:1', { consul_kv_prefix: 'cfg/search' })?.kvPrefix).toBe('cfg/search/');
  });

  it('rejects malformed durations and addresses at parse time', () => {
    expect(() => parseConfig({ consul_check_interval: '2 seconds' })).toThrow(/consul_check_interval/);
    expect(() => parseConfig({ consul_addr: 'no-port' })).toThrow(/consul_addr/);
    expect(durationMs('1500ms')).toBe(1500);
    expect(durationMs('2s')).toBe(2000);
    expect(durationMs('1m')).toBe(60_000);
  });
});

describe('service definition', () => {
  const facts = { instanceId: 'search-a', port: 50051, version: '1.2.3' };
  it('registers a gRPC check on the SearchService health, with id, metadata and tags', () => {
    const settings = consulSettingsFromConfig(
      parseConfig({ consul_addr: 'c:8500', listen: '[::1]:0', consul_service_tags: 'blue, eu ,' }),
    );
    if (!settings) throw new Error('no settings');
    expect(consulServiceDefinition(settings, facts)).toEqual({
      ID: 'search-a',
      Name: 'search-service',
      Address: '::1',
      Port: 50051,
      Tags: ['blue', 'eu'],
      Meta: { version: '1.2.3', proto_package: 'geosearch.v1', instance_id: 'search-a' },
      Check: {
        CheckID: 'service:search-a',
        Name: 'gRPC health',
        GRPC: '[::1]:50051/geosearch.v1.SearchService',
        GRPCUseTLS: false,
        Interval: '2s',
        Timeout: '1s',
        DeregisterCriticalServiceAfter: '1m',
      },
    });
  });

  it('in ttl mode reports every half interval against a TTL of interval plus timeout', () => {
    const settings = consulSettingsFromConfig(
      parseConfig({ consul_addr: 'c:8500', consul_check_mode: 'ttl' }),
    );
    if (!settings) throw new Error('no settings');
    expect(ttlTiming(settings)).toEqual({ ttlMs: 3000, reportEveryMs: 1000 });
    expect(consulServiceDefinition(settings, facts).Check).toEqual({
      CheckID: 'service:search-a',
      Name: 'TTL reported by the server',
      TTL: '3000ms',
      DeregisterCriticalServiceAfter: '1m',
    });
  });
});

describe('KV configuration plan', () => {
  const base = parseConfig({ max_page_size: '20' });
  const snap = (entries: Record<string, string>) => new Map(Object.entries(entries));

  it('applies valid live values, rejects invalid ones, flags start-only keys, and ignores unknown names', () => {
    const plan = planKvConfig(
      snap({ log_level: 'debug\n', max_page_size: 'abc', listen: '127.0.0.1:1', nonsense: '1' }),
      new Map(),
      base,
      base,
    );
    expect(plan.live).toEqual({ log_level: 'debug' });
    expect(plan.rejected).toEqual([
      { key: 'max_page_size', value: 'abc', reason: expect.stringMatching(/number/) },
    ]);
    expect(plan.restartNeeded).toEqual([{ key: 'listen', value: '127.0.0.1:1' }]);
    expect(plan.unknown).toEqual(['nonsense']);
  });

  it('considers only changed texts, and returns a removed key to its value from env, flags or default', () => {
    const current = { ...base, max_page_size: 5 };
    const previous = snap({ max_page_size: '5', log_level: 'bogus' });
    expect(planKvConfig(previous, previous, current, base)).toEqual({
      live: {},
      rejected: [],
      restartNeeded: [],
      unknown: [],
    });
    expect(planKvConfig(snap({ log_level: 'bogus' }), previous, current, base).live).toEqual({
      max_page_size: 20,
    });
    // A value equal to the one in force changes nothing (and a start-only key equal to its value asks nothing).
    expect(
      planKvConfig(snap({ max_page_size: '20', listen: base.listen }), new Map(), base, base),
    ).toMatchObject({
      live: {},
      restartNeeded: [],
    });
  });

  it('reads only keys directly in the folder, decoding base64 values', () => {
    const value = (text: string) => Buffer.from(text).toString('base64');
    expect(
      kvSnapshot(
        [
          { Key: 'config/s/', Value: null },
          { Key: 'config/s/log_level', Value: value('warn') },
          { Key: 'config/s/empty', Value: null },
          { Key: 'config/s/sub/max_page_size', Value: value('3') },
          { Key: 'config/other', Value: value('x') },
        ],
        'config/s/',
      ),
    ).toEqual(
      new Map([
        ['log_level', 'warn'],
        ['empty', ''],
      ]),
    );
  });
});

describe('blocking queries', () => {
  it('follow Consul index rules: reset to 0 when the index goes backwards, never below 1 otherwise', () => {
    expect(nextIndex(0n, 42n)).toBe(42n);
    expect(nextIndex(42n, 42n)).toBe(42n);
    expect(nextIndex(42n, 7n)).toBe(0n);
    expect(nextIndex(42n, 0n)).toBe(1n);
    expect(nextIndex(0n, undefined)).toBe(1n);
  });

  it('pass values on when the index moves, are rate-limited, and restart from 0 after failures', async () => {
    const answers: (bigint | Error)[] = [10n, 10n, new Error('down'), new Error('down'), 12n, 3n, 5n];
    const asked: bigint[] = [];
    const starts: number[] = [];
    const values: bigint[] = [];
    const errors: number[] = [];
    let recovered = 0;
    const loop = startBlockingQuery<bigint>({
      query: async (index, signal) => {
        asked.push(index);
        starts.push(performance.now());
        const answer = answers.shift();
        if (answer === undefined) {
          return new Promise((_resolve, reject) =>
            signal.addEventListener('abort', () => reject(signal.reason)),
          );
        }
        if (answer instanceof Error) throw answer;
        return { index: answer, value: answer };
      },
      onValue: (v) => values.push(v),
      onError: (_e, failures) => errors.push(failures),
      onRecovered: (failures) => {
        recovered = failures;
      },
      minIntervalMs: 40,
      random: () => 0,
    });
    await expect.poll(() => asked.length, { timeout: 5_000 }).toBe(8);
    loop.stop();
    await loop.done;
    // 10 (first), 10 (same: no value), fail, fail (asked from 0 after a failure), 12, 3 (went backwards: reset), 5
    expect(values).toEqual([10n, 12n, 3n, 5n]);
    expect(asked).toEqual([0n, 10n, 10n, 0n, 0n, 12n, 0n, 5n]);
    expect(errors).toEqual([1, 2]);
    expect(recovered).toBe(2);
    for (let i = 1; i < starts.length; i++) {
      expect((starts[i] as number) - (starts[i - 1] as number)).toBeGreaterThanOrEqual(19);
    }
  });
});

describe('consul HTTP', () => {
  it('sends the token, bounds every call, and reports an unreachable agent clearly', async () => {
    const seen: { url: string; headers: Headers }[] = [];
    const http = createConsulHttp({
      addr: '127.0.0.1:1',
      token: 'tok',
      timeoutMs: 200,
      fetch: (async (url: string, init: RequestInit) => {
        seen.push({ url, headers: new Headers(init.headers) });
        return new Promise((_resolve, reject) => {
          init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        });
      }) as typeof fetch,
    });
    const t0 = performance.now();
    await expect(http.call('/kv/a', { query: { recurse: true, index: '3' } })).rejects.toThrow(
      /no answer within 200 ms/,
    );
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(seen[0]?.url).toBe('http://127.0.0.1:1/v1/kv/a?recurse&index=3');
    expect(seen[0]?.headers.get('x-consul-token')).toBe('tok');
    const real = createConsulHttp({ addr: `127.0.0.1:${await closedPort()}`, timeoutMs: 1_000 });
    await expect(real.call('/agent/self')).rejects.toThrow(/ECONNREFUSED/);
  });
});

/** A loopback port nobody listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

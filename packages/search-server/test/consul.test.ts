import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import type { AddressInfo } from 'node:net';
import { SearchServiceDefinition } from '@geosearch/generated';
import { ClientError, createChannel, createClient, Status } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateConsul, startPrivateConsul } from '../../../test/support/private-consul.js';
import {
  databaseEnv,
  type ServerProcess,
  startServerProcess,
  stopAllServers,
} from '../../../test/support/server-process.js';

// End-to-end: real server binaries against a real Consul agent (scripts/services/consul, dev mode) on
// ports of its own, so it runs beside any other agent. Check interval 2s, timeout 1s (the defaults).

const intervalMs = 2_000;

type Agent = PrivateConsul;

/** PUT on the agent's HTTP API; fails unless it succeeds. */
async function put(agent: Agent, path: string, body: string): Promise<void> {
  const { status } = await agent.request(path, { method: 'PUT', body });
  if (status >= 300) throw new Error(`PUT ${path}: ${status}`);
}

/** Polls `probe` every 50 ms until it returns a value other than undefined; fails after `timeoutMs`. */
async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const includesAll = (list: readonly string[], ids: readonly string[]) => ids.every((id) => list.includes(id));
const instanceOf = (server: ServerProcess) => String(server.logs[0]?.instance);

interface HealthEntry {
  Service: { ID: string; Port: number; Meta: Record<string, string> };
  Checks: { CheckID: string; Status: string }[];
}

/** Instance ids Consul lists as passing for `service`. */
async function passing(agent: Agent, service = 'search-service'): Promise<string[]> {
  const { body } = await agent.request(`/health/service/${service}?passing`);
  return (body as HealthEntry[]).map((e) => e.Service.ID).sort();
}

/** The status of an instance's own check (`service:<id>`), or undefined when the agent has none. */
async function checkStatus(agent: Agent, id: string): Promise<string | undefined> {
  const { body } = await agent.request('/agent/checks');
  return (body as Record<string, { Status: string }>)[`service:${id}`]?.Status;
}

async function startRegistered(agent: Agent, env: Record<string, string> = {}): Promise<ServerProcess> {
  return startServerProcess({
    env: { ...(await databaseEnv('pglite')), GEOSEARCH_CONSUL_ADDR: agent.addr, ...env },
  });
}

let agent: Agent;
// Builds Consul from source first when it is not cached yet (10-15 minutes on 2 cores).
const buildTimeoutMs = 1_200_000;
beforeAll(async () => {
  agent = await startPrivateConsul('consul-test', { start: false });
}, buildTimeoutMs);
afterAll(async () => {
  await stopAllServers();
  await agent?.close().catch(() => {});
});

describe('Consul unreachable at start', () => {
  it('serves anyway, logs degraded discovery, and registers once the agent is up', async () => {
    const server = await startRegistered(agent);
    const waiting = await startRegistered(agent);
    await until('the degraded log', 5_000, async () =>
      server.logs.find((l) => String(l.msg).includes('discovery degraded')),
    );
    const degraded = server.logs.find((l) => String(l.msg).includes('discovery degraded'));
    expect(degraded).toMatchObject({ level: 'warn', consul: `http://${agent.addr}/v1` });
    expect(String(degraded?.msg)).toMatch(/serving anyway/);

    const channel = createChannel(server.address);
    const page = await createClient(SearchServiceDefinition, channel).search({ query: 'land', pageSize: 3 });
    expect(page.results.length).toBeGreaterThan(0);
    channel.close();

    // Shutting down while the agent is away is not held up by it.
    const t0 = performance.now();
    expect(await waiting.stop('SIGTERM')).toBe(0);
    expect(performance.now() - t0).toBeLessThan(5_000);

    await agent.control('start');
    const upAt = performance.now();
    await until('registration after the agent came up', 3 * intervalMs, async () =>
      (await passing(agent)).includes(instanceOf(server)) ? true : undefined,
    );
    console.info(`registered and passing ${Math.round(performance.now() - upAt)} ms after the agent was up`);
    expect(server.logs.some((l) => l.msg === 'consul: registered' && l.failedAttempts !== undefined)).toBe(
      true,
    );
    expect(await server.stop('SIGTERM')).toBe(0);
  }, 120_000);
});

describe('registration and health', () => {
  let servers: ServerProcess[] = [];
  beforeAll(async () => {
    await agent.control('start');
    servers = await Promise.all([startRegistered(agent), startRegistered(agent), startRegistered(agent)]);
  });

  it('registers three instances that pass their gRPC check, with metadata; DNS SRV lists them', async () => {
    const ids = servers.map(instanceOf).sort();
    await until('three passing instances', 5 * intervalMs, async () =>
      includesAll(await passing(agent), ids) ? true : undefined,
    );
    const { body } = await agent.request('/health/service/search-service?passing');
    for (const entry of body as HealthEntry[]) {
      const server = servers.find((s) => instanceOf(s) === entry.Service.ID);
      expect(entry.Service.Port).toBe(server?.port);
      expect(entry.Service.Meta).toMatchObject({
        proto_package: 'geosearch.v1',
        version: expect.any(String),
      });
      expect(entry.Checks.find((c) => c.CheckID === `service:${entry.Service.ID}`)?.Status).toBe('passing');
    }

    const resolver = new Resolver({ timeout: 2_000, tries: 1 });
    resolver.setServers([`127.0.0.1:${agent.dnsPort}`]);
    const records = await resolver.resolveSrv('search-service.service.consul');
    expect(records.map((r) => r.port).sort()).toEqual(servers.map((s) => s.port).sort());
  });

  it('registers every live instance again within two check intervals after the agent restarts', async () => {
    const ids = servers.map(instanceOf).sort();
    await put(agent, '/kv/test/before-restart', 'x');
    await agent.control('restart'); // dev mode: the new agent knows nothing
    const upAt = performance.now();
    // The new agent's state is empty: a KV key set before is gone. (Counting services here raced the servers,
    // which can all register again before the first request.)
    expect((await agent.request('/kv/test/before-restart')).status).toBe(404);
    await until('every instance registered again', 2 * intervalMs, async () => {
      const services = (await agent.request('/agent/services')).body as Record<string, unknown>;
      return ids.every((id) => id in services) ? true : undefined;
    });
    const registeredMs = Math.round(performance.now() - upAt);
    await until('every instance passing again', 3 * intervalMs, async () =>
      includesAll(await passing(agent), ids) ? true : undefined,
    );
    console.info(
      `after an agent restart: all registered again in ${registeredMs} ms, passing in ${Math.round(performance.now() - upAt)} ms`,
    );
    expect(registeredMs).toBeLessThan(2 * intervalMs);
    for (const server of servers) {
      expect(server.logs.some((l) => String(l.msg).startsWith('consul: registered again'))).toBe(true);
    }
  });

  it('marks a SIGKILLed instance critical within about the check interval', async () => {
    const victim = servers[0] as ServerProcess;
    const id = instanceOf(victim);
    await until('the victim passing', 3 * intervalMs, async () =>
      (await checkStatus(agent, id)) === 'passing' ? true : undefined,
    );
    await victim.stop('SIGKILL');
    const killedAt = performance.now();
    await until('the victim critical', 3 * intervalMs, async () =>
      (await checkStatus(agent, id)) === 'critical' ? true : undefined,
    );
    const detectedMs = Math.round(performance.now() - killedAt);
    console.info(`SIGKILLed instance marked critical after ${detectedMs} ms (interval ${intervalMs} ms)`);
    expect(detectedMs).toBeLessThanOrEqual(intervalMs + 1_000);
    expect(await passing(agent)).not.toContain(id);
  });

  it('deregisters a SIGTERMed instance before it exits', async () => {
    const leaving = servers[1] as ServerProcess;
    const id = instanceOf(leaving);
    expect(await passing(agent)).toContain(id);
    expect(await leaving.stop('SIGTERM')).toBe(0);
    // Right after exit (long before the 1m critical-deregistration), the agent no longer knows it.
    expect((await agent.request(`/agent/service/${id}`)).status).toBe(404);
    expect(await passing(agent)).not.toContain(id);
    const order = leaving.logs.map((l) => l.msg);
    expect(order.indexOf('shutting down: NOT_SERVING')).toBeLessThan(order.indexOf('consul: deregistered'));
    expect(order.indexOf('consul: deregistered')).toBeLessThan(order.indexOf('stopped'));
  });

  it('in ttl mode the server reports its own health, and a dead instance turns critical', async () => {
    const server = await startRegistered(agent, {
      GEOSEARCH_SERVICE_NAME: 'search-ttl',
      GEOSEARCH_CONSUL_CHECK_MODE: 'ttl',
    });
    const id = instanceOf(server);
    await until('the ttl instance passing', 2 * intervalMs, async () =>
      (await passing(agent, 'search-ttl')).includes(id) ? true : undefined,
    );
    await server.stop('SIGKILL');
    const killedAt = performance.now();
    await until('the ttl instance critical', 3 * intervalMs, async () =>
      (await checkStatus(agent, id)) === 'critical' ? true : undefined,
    );
    console.info(
      `ttl mode: SIGKILLed instance critical after ${Math.round(performance.now() - killedAt)} ms`,
    );
  }, 120_000);
});

describe('live configuration from KV', () => {
  const kv = (key: string) => `/kv/config/search-service/${key}`;
  const searchCode = async (server: ServerProcess, pageSize: number) => {
    const channel = createChannel(server.address);
    try {
      await createClient(SearchServiceDefinition, channel).search({ query: 'land', pageSize });
      return Status.OK;
    } catch (error) {
      return error instanceof ClientError ? error.code : Status.UNKNOWN;
    } finally {
      channel.close();
    }
  };

  it('applies live keys within 2 s, rejects invalid values, and needs a restart for start-only keys', async () => {
    await agent.control('start');
    const server = await startRegistered(agent, { GEOSEARCH_MAX_PAGE_SIZE: '20' });
    await until('the KV watch', 5_000, async () =>
      server.logs.find((l) => l.msg === 'consul: registered') ? true : undefined,
    );
    expect(await searchCode(server, 10)).toBe(Status.OK);
    const debugBefore = server.logs.filter((l) => l.level === 'debug').length;

    await put(agent, kv('log_level'), 'debug');
    await put(agent, kv('max_page_size'), '5');
    const setAt = performance.now();
    await until('max_page_size 5 in force', 2_000, async () =>
      (await searchCode(server, 10)) === Status.INVALID_ARGUMENT ? true : undefined,
    );
    const appliedMs = Math.round(performance.now() - setAt);
    console.info(`KV change in force (shown by a Search) ${appliedMs} ms after the write`);
    expect(appliedMs).toBeLessThan(2_000);
    expect(await searchCode(server, 5)).toBe(Status.OK);
    await until('debug lines', 2_000, async () =>
      server.logs.filter((l) => l.level === 'debug').length > debugBefore ? true : undefined,
    );
    expect(server.logs.some((l) => l.level === 'debug' && l.msg === 'request')).toBe(true);

    await put(agent, kv('max_page_size'), 'abc');
    const rejected = await until('the rejection', 2_000, async () =>
      server.logs.find(
        (l) => l.msg === 'consul kv: invalid value rejected; the previous value stays in force',
      ),
    );
    expect(rejected).toMatchObject({ level: 'error', key: 'max_page_size', value: 'abc', inForce: 5 });
    expect(await searchCode(server, 10)).toBe(Status.INVALID_ARGUMENT);
    expect(await searchCode(server, 5)).toBe(Status.OK);

    await put(agent, kv('listen'), '127.0.0.1:1');
    const restart = await until('the restart notice', 2_000, async () =>
      server.logs.find((l) => l.key === 'listen' && String(l.msg).includes('restart needed')),
    );
    expect(restart).toMatchObject({ level: 'warn' });
    expect(await searchCode(server, 5)).toBe(Status.OK);

    // Removing the key returns it to its value from the environment (GEOSEARCH_MAX_PAGE_SIZE=20).
    await agent.request(kv('max_page_size'), { method: 'DELETE' });
    await until('max_page_size back to 20', 2_000, async () =>
      (await searchCode(server, 10)) === Status.OK ? true : undefined,
    );
    expect(await searchCode(server, 21)).toBe(Status.INVALID_ARGUMENT);
    await agent.request(kv('listen'), { method: 'DELETE' });
    expect(await server.stop('SIGTERM')).toBe(0);
  }, 120_000);

  it('turns metrics on and off live', async () => {
    // A UDP socket standing in for StatsD: the lines the server sends, in order.
    const socket = createSocket('udp4');
    const lines: string[] = [];
    socket.on('message', (message) => lines.push(...message.toString().split('\n').filter(Boolean)));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const searches = async (n: number) => {
      for (let i = 0; i < n; i++) expect(await searchCode(server, 5)).toBe(Status.OK);
    };
    const timers = () => lines.filter((line) => /^live\.search:[\d.]+\|ms$/.test(line)).length;
    await agent.control('start');
    const server = await startRegistered(agent, {
      GEOSEARCH_METRICS: 'false',
      GEOSEARCH_STATSD_HOST: `127.0.0.1:${(socket.address() as AddressInfo).port}`,
      GEOSEARCH_STATSD_PREFIX: 'live.',
    });
    try {
      await searches(3);
      await put(agent, kv('metrics'), 'true');
      const appliedMetrics = () =>
        server.logs.filter(
          (l) =>
            l.msg === 'configuration applied without restart' &&
            Array.isArray(l.applied) &&
            l.applied.includes('metrics'),
        ).length;
      await until('metrics on', 2_000, async () => (appliedMetrics() >= 1 ? true : undefined));
      await searches(4);
      // The searches made before are not counted: metrics were off.
      await until('4 timer samples', 2_000, async () => (timers() >= 4 ? true : undefined));
      await put(agent, kv('metrics'), 'false');
      await until('metrics off', 2_000, async () => (appliedMetrics() >= 2 ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // anything held is sent by now
      const sent = lines.length;
      await searches(3);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(timers()).toBe(4);
      // Counters are summed in process and sent once a second: the 4 calls may span two sends.
      const counted = lines
        .filter((line) => line.startsWith('live.search_count:'))
        .reduce((sum, line) => sum + Number(line.split(/[:|]/)[1]), 0);
      expect(counted).toBe(4);
      expect(lines.length).toBe(sent);
    } finally {
      await agent.request(kv('metrics'), { method: 'DELETE' });
      expect(await server.stop('SIGTERM')).toBe(0);
      socket.close();
    }
  }, 120_000);

  it('applies the KV values present at start, start-only keys included', async () => {
    await put(agent, kv('max_page_size'), '4');
    await put(agent, kv('max_message_bytes'), '2048');
    const server = await startRegistered(agent);
    const channel = createChannel(server.address);
    const tooBig = await createClient(SearchServiceDefinition, channel)
      .search({ query: 'x'.repeat(4096) })
      .then(
        () => Status.OK,
        (error: unknown) => (error instanceof ClientError ? error.code : Status.UNKNOWN),
      );
    channel.close();
    expect(tooBig).toBe(Status.RESOURCE_EXHAUSTED);
    await until('max_page_size 4 in force', 2_000, async () =>
      (await searchCode(server, 5)) === Status.INVALID_ARGUMENT ? true : undefined,
    );
    expect(await searchCode(server, 4)).toBe(Status.OK);
    await agent.request('/kv/config/search-service/?recurse', { method: 'DELETE' });
    expect(await server.stop('SIGTERM')).toBe(0);
  }, 120_000);
});

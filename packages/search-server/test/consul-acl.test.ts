import { randomUUID } from 'node:crypto';
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
import { runCli } from '../../search-client/test/support/run-cli.js';

// End-to-end: real server binaries and the real `geosearch` CLI against this file's own Consul agent
// (scripts/services/consul) with ACLs on and default policy deny. The server gets a least-privilege token
// (write its service, read its KV folder); what the agent holds is checked with the management token.

const management = randomUUID();
const kvKey = 'config/search-service/max_page_size';
const policy = `service "search-service" { policy = "write" }
key_prefix "config/search-service/" { policy = "read" }`;

let consul: PrivateConsul;
let serviceToken = '';

/** A call as the operator (management token) that must succeed; its JSON body. */
async function asOperator(path: string, method: 'GET' | 'PUT' = 'GET', body?: string): Promise<unknown> {
  const response = await consul.request(path, { method, token: management, ...(body ? { body } : {}) });
  if (response.status !== 200)
    throw new Error(`${method} ${path}: ${response.status} ${String(response.body)}`);
  return response.body;
}

beforeAll(async () => {
  consul = await startPrivateConsul('consul-acl', { aclToken: management });
  await asOperator('/acl/policy', 'PUT', JSON.stringify({ Name: 'search-service', Rules: policy }));
  const token = (await asOperator(
    '/acl/token',
    'PUT',
    JSON.stringify({ Description: 'search-service', Policies: [{ Name: 'search-service' }] }),
  )) as { SecretID: string };
  serviceToken = token.SecretID;
  await asOperator(`/kv/${kvKey}`, 'PUT', '4');
}, 1_200_000);
afterAll(async () => {
  await stopAllServers();
  await consul?.close();
}, 60_000);

/** Polls `probe` every 100 ms until it returns true; fails after `timeoutMs`. */
async function until(
  what: string,
  timeoutMs: number,
  probe: () => Promise<boolean> | boolean,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (
    !(await Promise.resolve()
      .then(probe)
      .catch(() => false))
  ) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const instanceOf = (server: ServerProcess) => String(server.logs[0]?.instance);

/** Instance ids the agent lists as passing for search-service (asked with the management token). */
async function passing(): Promise<string[]> {
  const entries = (await asOperator('/health/service/search-service?passing')) as {
    Service: { ID: string };
  }[];
  return entries.map((e) => e.Service.ID);
}

/** The gRPC status of a Search with `pageSize` (the KV value max_page_size=4 shows in it). */
function searchCode(server: ServerProcess, pageSize: number): Promise<Status> {
  const channel = createChannel(server.address);
  return createClient(SearchServiceDefinition, channel)
    .search({ query: 'land', pageSize })
    .then(
      () => Status.OK,
      (error: unknown) => (error instanceof ClientError ? error.code : Status.UNKNOWN),
    )
    .finally(() => channel.close());
}

async function startServer(token: string | undefined): Promise<ServerProcess> {
  return startServerProcess({
    env: {
      ...(await databaseEnv('pglite')),
      GEOSEARCH_CONSUL_ADDR: consul.addr,
      ...(token === undefined ? {} : { CONSUL_HTTP_TOKEN: token }),
    },
  });
}

describe('Consul with ACLs (default deny)', () => {
  it('with its token the server registers, passes its check, and applies its KV configuration', async () => {
    const server = await startServer(serviceToken);
    const id = instanceOf(server);
    await until('the instance passing', 10_000, async () => (await passing()).includes(id));
    // max_page_size=4 from KV is in force: the ACL token let the server read its folder.
    expect(await searchCode(server, 5)).toBe(Status.INVALID_ARGUMENT);
    expect(await searchCode(server, 4)).toBe(Status.OK);
    expect(server.logs.some((l) => l.msg === 'consul: registered')).toBe(true);
    expect(server.logs.some((l) => l.level === 'warn' || l.level === 'error')).toBe(false);

    expect(await server.stop('SIGTERM')).toBe(0);
    expect(server.logs.some((l) => l.msg === 'consul: deregistered')).toBe(true);
    expect(await passing()).not.toContain(id);
  });

  it('without a token or with a wrong one the server serves, says why Consul refused, and is not registered', async () => {
    const [anonymous, wrong] = await Promise.all([startServer(undefined), startServer(randomUUID())]);
    const refusal = (server: ServerProcess) =>
      server.logs.find((l) => l.level === 'warn' && String(l.msg).startsWith('consul: ')) as
        | { msg: string; reason: string }
        | undefined;
    await until(
      'both refusals logged',
      10_000,
      () => refusal(anonymous) !== undefined && refusal(wrong) !== undefined,
    );
    expect(refusal(anonymous)?.msg).toMatch(/refused the ACL token.*not registered/);
    expect(refusal(wrong)?.msg).toMatch(/refused the ACL token.*not registered/);
    expect(refusal(anonymous)?.reason).toMatch(
      /status 403: Permission denied.*lacks permission 'service:write'/,
    );
    expect(refusal(wrong)?.reason).toMatch(/status 403: ACL not found/);

    for (const server of [anonymous, wrong]) {
      // Serving, but without the KV value (default max_page_size 1000), and unknown to the agent.
      expect(await searchCode(server, 5)).toBe(Status.OK);
      expect(
        (await consul.request(`/agent/service/${instanceOf(server)}`, { token: management })).status,
      ).toBe(404);
    }
    const catalog = (await asOperator('/catalog/service/search-service')) as unknown[];
    expect(catalog).toEqual([]);
    expect(await anonymous.stop('SIGTERM')).toBe(0);
    expect(await wrong.stop('SIGTERM')).toBe(0);
  });

  it('the geosearch CLI reads the KV configuration with CONSUL_HTTP_TOKEN and fails clearly without it', async () => {
    const args = ['config', 'get', 'max_page_size', '--consul', consul.addr];
    const allowed = await runCli(args, { CONSUL_HTTP_TOKEN: serviceToken });
    expect(allowed).toMatchObject({ code: 0, stdout: '4\n' });

    const refused = await runCli(args);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/HTTP 403 Permission denied.*lacks permission 'key:read'/);

    const wrong = await runCli(args, { CONSUL_HTTP_TOKEN: randomUUID() });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/HTTP 403 ACL not found/);
  });
});

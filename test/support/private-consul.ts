import { rmSync } from 'node:fs';
import { freePort } from './private-kafka.js';
import { privateRunDir, serviceScript } from './service-script.js';

/** Options of {@link startPrivateConsul}. */
export interface PrivateConsulOptions {
  /** Turn ACLs on (default policy deny) with this initial management token. */
  readonly aclToken?: string;
  /** Start the agent now (default); false only builds Consul, for tests that start it themselves. */
  readonly start?: boolean;
}

/** A Consul dev agent of one test file: its own run folder and free ports, so stopping it disturbs no one. */
export interface PrivateConsul {
  /** `host:port` of the agent's HTTP API. */
  readonly addr: string;
  /** The agent's DNS port. */
  readonly dnsPort: number;
  /** Runs `scripts/services/consul <command>` for this agent. */
  control(command: 'build' | 'start' | 'stop' | 'restart' | 'kill'): Promise<string>;
  /** A call on the agent's HTTP API below `/v1`, sending `token` (default: none): status and JSON body. */
  request(
    path: string,
    init?: { readonly method?: 'GET' | 'PUT' | 'DELETE'; readonly body?: string; readonly token?: string },
  ): Promise<{ readonly status: number; readonly body: unknown }>;
  /** Stops the agent and removes its folder. */
  close(): Promise<void>;
}

/** Starts a private real Consul agent (dev mode) with `scripts/services/consul`, built first if not cached. */
export async function startPrivateConsul(
  name: string,
  options: PrivateConsulOptions = {},
): Promise<PrivateConsul> {
  const runDir = privateRunDir(name);
  const env: Record<string, string> = { GEOSEARCH_RUN: runDir };
  for (const port of ['HTTP', 'DNS', 'GRPC', 'SERVER', 'SERF_LAN']) {
    env[`GEOSEARCH_CONSUL_${port}_PORT`] = String(await freePort());
  }
  if (options.aclToken !== undefined) env.GEOSEARCH_CONSUL_ACL_TOKEN = options.aclToken;
  // A first build from source takes 10-15 minutes on 2 cores.
  const script = serviceScript('consul', env, 1_200_000);
  await script(options.start === false ? 'build' : 'start');
  const addr = `127.0.0.1:${env.GEOSEARCH_CONSUL_HTTP_PORT}`;
  return {
    addr,
    dnsPort: Number(env.GEOSEARCH_CONSUL_DNS_PORT),
    control: (command) => script(command),
    request: async (path, init = {}) => {
      const response = await fetch(`http://${addr}/v1${path}`, {
        method: init.method ?? 'GET',
        headers: init.token === undefined ? {} : { 'x-consul-token': init.token },
        ...(init.body === undefined ? {} : { body: init.body }),
        signal: AbortSignal.timeout(5_000),
      });
      const text = await response.text();
      const json = response.headers.get('content-type')?.includes('json') && text !== '';
      return { status: response.status, body: json ? (JSON.parse(text) as unknown) : text };
    },
    close: async () => {
      await script('stop');
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}

import { join } from 'node:path';
import { freePort } from './ports.mjs';

/**
 * The bench's own Consul agent (dev mode, in memory), run by
 * scripts/services/consul with a private run folder and free ports, so that
 * the test suites' agent (which they stop and restart) is never touched.
 * Started on first use; `stop` is harmless when it never started.
 */
export function createConsulAgent({ repoRoot, runDir, processes }) {
  const script = join(repoRoot, 'scripts', 'services', 'consul');
  let env;
  let started;

  const service = async (...args) => {
    const { stdout } = await processes.run(script, args, {
      env,
      label: `consul ${args[0]}`,
      timeoutMs: 900_000,
    });
    return stdout.match(/^CONSUL_HTTP_ADDR=(.+)$/m)?.[1];
  };

  const agent = {
    addr: '',
    /** Starts the agent (stopping a copy left running by an interrupted run first); resolves with host:port. */
    start() {
      started ??= (async () => {
        const ports = [];
        for (let i = 0; i < 5; i++) ports.push(await freePort());
        env = {
          ...process.env,
          GEOSEARCH_RUN: runDir,
          GEOSEARCH_CONSUL_HTTP_PORT: String(ports[0]),
          GEOSEARCH_CONSUL_DNS_PORT: String(ports[1]),
          GEOSEARCH_CONSUL_GRPC_PORT: String(ports[2]),
          GEOSEARCH_CONSUL_SERVER_PORT: String(ports[3]),
          GEOSEARCH_CONSUL_SERF_LAN_PORT: String(ports[4]),
          GEOSEARCH_CONSUL_NODE: 'geosearch-bench',
          GEOSEARCH_CONSUL_LOG_LEVEL: 'warn',
        };
        await service('stop');
        const addr = await service('start');
        if (!addr) throw new Error('scripts/services/consul start printed no CONSUL_HTTP_ADDR');
        agent.addr = addr;
        return addr;
      })();
      return started;
    },
    /** Graceful stop; harmless when it is not running. */
    async stop() {
      if (env) await service('stop');
    },
    /** Sets KV `key` to `value`; rejects when the agent refuses. */
    async put(key, value) {
      const response = await fetch(`http://${agent.addr}/v1/kv/${key}`, {
        method: 'PUT',
        body: String(value),
      });
      if (!response.ok)
        throw new Error(`Consul KV PUT ${key}: HTTP ${response.status} ${await response.text()}`);
    },
  };
  return agent;
}

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './server-process.js';

const run = promisify(execFile);

/** A free TCP port on 127.0.0.1 (bound once and released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A Kafka broker of one test file: its own run folder and free ports, so stopping it disturbs no one. */
export interface PrivateKafka {
  /** `host:port` of the broker. */
  readonly brokers: string;
  /** Runs `scripts/services/kafka start|stop` for this broker (outage tests stop and start it). */
  control(command: 'start' | 'stop'): Promise<string>;
  /** Stops the broker and removes its folder. */
  close(): Promise<void>;
}

/** Options of {@link startPrivateKafka}. */
export interface PrivateKafkaOptions {
  /** Require SASL/PLAIN from clients, with this one user (the client listener becomes SASL_PLAINTEXT). */
  readonly sasl?: { readonly username: string; readonly password: string };
}

/** Starts a private real Kafka broker with `scripts/services/kafka`. */
export async function startPrivateKafka(
  name: string,
  options: PrivateKafkaOptions = {},
): Promise<PrivateKafka> {
  const runDir = mkdtempSync(join(tmpdir(), `geosearch-${name}-`));
  const env = {
    ...process.env,
    GEOSEARCH_RUN: runDir,
    GEOSEARCH_KAFKA_PORT: String(await freePort()),
    GEOSEARCH_KAFKA_CONTROLLER_PORT: String(await freePort()),
    ...(options.sasl
      ? {
          GEOSEARCH_KAFKA_SASL_USER: options.sasl.username,
          GEOSEARCH_KAFKA_SASL_PASSWORD: options.sasl.password,
        }
      : {}),
  };
  const control = async (command: 'start' | 'stop') =>
    (
      await run(join(repoRoot, 'scripts', 'services', 'kafka'), [command], {
        encoding: 'utf8',
        timeout: 240_000,
        env,
      })
    ).stdout;
  const out = await control('start');
  const brokers = out.match(/^KAFKA_BROKERS=(.+)$/m)?.[1];
  if (!brokers) throw new Error(`kafka start printed no KAFKA_BROKERS: ${out}`);
  return {
    brokers,
    control,
    close: async () => {
      await control('stop');
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}

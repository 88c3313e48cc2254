import { rmSync } from 'node:fs';
import { freePort } from './private-kafka.js';
import { privateRunDir, serviceScript } from './service-script.js';

/** A toxic: a fault toxiproxy applies to every connection of a proxy (see the toxiproxy README). */
export interface Toxic {
  readonly type: 'latency' | 'timeout' | 'reset_peer' | 'bandwidth' | 'slow_close' | 'limit_data' | 'slicer';
  /** Toxic-specific attributes, e.g. `{ timeout: 0 }` or `{ rate: 16 }` (KB/s). */
  readonly attributes: Readonly<Record<string, number>>;
  /** `downstream` (server to client, the default) or `upstream` (client to server). */
  readonly stream?: 'upstream' | 'downstream';
  readonly name?: string;
}

/** One TCP proxy of a {@link Toxiproxy}. */
export interface ToxicProxy {
  readonly name: string;
  /** The port clients connect to on 127.0.0.1. */
  readonly port: number;
  /** Adds a toxic; resolves with its name once toxiproxy applies it. */
  addToxic(toxic: Toxic): Promise<string>;
  /** Removes a toxic by name. */
  removeToxic(name: string): Promise<void>;
  /** Enables or disables the proxy; disabling closes every open connection and refuses new ones. */
  setEnabled(enabled: boolean): Promise<void>;
}

/** A toxiproxy daemon of one test file, driven through its HTTP API. */
export interface Toxiproxy {
  readonly url: string;
  /** Creates a proxy on an ephemeral port of 127.0.0.1 in front of `upstream` (`host:port`). */
  createProxy(name: string, upstream: string): Promise<ToxicProxy>;
  /** Stops the daemon and removes its folder. */
  close(): Promise<void>;
}

/** Starts a private toxiproxy daemon with `scripts/services/toxiproxy`, on a free port. */
export async function startToxiproxy(name: string): Promise<Toxiproxy> {
  const runDir = privateRunDir(name);
  const port = String(await freePort());
  // The first start builds toxiproxy (about a minute) unless scripts/test installed it.
  const script = serviceScript(
    'toxiproxy',
    { GEOSEARCH_RUN: runDir, GEOSEARCH_TOXIPROXY_PORT: port },
    300_000,
  );
  const url = (await script('start')).match(/^TOXIPROXY_URL=(.+)$/m)?.[1];
  if (!url) throw new Error('toxiproxy start printed no TOXIPROXY_URL');

  const api = async (method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${url}${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`toxiproxy ${method} ${path}: ${response.status} ${text}`);
    return text === '' ? undefined : JSON.parse(text);
  };

  return {
    url,
    createProxy: async (proxyName, upstream) => {
      const created = (await api('POST', '/proxies', {
        name: proxyName,
        listen: '127.0.0.1:0',
        upstream,
        enabled: true,
      })) as { listen: string };
      const port = Number(created.listen.split(':').pop());
      return {
        name: proxyName,
        port,
        addToxic: async (toxic) =>
          ((await api('POST', `/proxies/${proxyName}/toxics`, toxic)) as { name: string }).name,
        removeToxic: async (toxicName) => {
          await api('DELETE', `/proxies/${proxyName}/toxics/${toxicName}`);
        },
        setEnabled: async (enabled) => {
          await api('POST', `/proxies/${proxyName}`, { enabled });
        },
      };
    },
    close: async () => {
      await script('stop');
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}

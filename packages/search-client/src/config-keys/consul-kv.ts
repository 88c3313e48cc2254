/** Options of {@link createConsulKv}. */
export interface ConsulKvOptions {
  /** The agent: `host:port` (plain HTTP) or `http(s)://host:port`. */
  readonly addr: string;
  /** ACL token, sent as `X-Consul-Token`; empty or absent: none. */
  readonly token?: string;
  /** Bound on one call in milliseconds; a blocking query gets its wait on top (default 5000). */
  readonly timeoutMs?: number;
}

/** The keys directly in a KV folder, `name → text`, and the index the agent answered with. */
export interface KvFolder {
  readonly index: bigint | undefined;
  readonly entries: ReadonlyMap<string, string>;
}

/** The few Consul KV calls the CLI needs: read one key, read or watch a folder, write a key. */
export interface ConsulKv {
  /** The text of `key`, or undefined when it is not set. */
  get(key: string): Promise<string | undefined>;
  /** The keys directly in `prefix` (ending with `/`); with `index` > 0 a blocking query waiting up to `waitS`. */
  list(prefix: string, index?: bigint, signal?: AbortSignal, waitS?: number): Promise<KvFolder>;
  /** Writes `text` to `key`. */
  put(key: string, text: string): Promise<void>;
}

const encodePath = (key: string) => key.split('/').map(encodeURIComponent).join('/');

/** Creates a {@link ConsulKv} for one agent; every call has a deadline. */
export function createConsulKv(options: ConsulKvOptions): ConsulKv {
  const base = `${/^https?:\/\//.test(options.addr) ? options.addr : `http://${options.addr}`}`.replace(
    /\/+$/,
    '',
  );
  const timeoutMs = options.timeoutMs ?? 5_000;
  const headers: Record<string, string> = options.token ? { 'x-consul-token': options.token } : {};

  const call = async (path: string, init: RequestInit = {}, extraMs = 0, signal?: AbortSignal) => {
    const deadline = AbortSignal.timeout(timeoutMs + extraMs);
    const what = `${init.method ?? 'GET'} /v1${path.split('?')[0]}`;
    let response: Response;
    try {
      response = await fetch(`${base}/v1${path}`, {
        ...init,
        headers,
        signal: signal ? AbortSignal.any([deadline, signal]) : deadline,
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (deadline.aborted) throw new Error(`consul ${what}: no answer within ${timeoutMs + extraMs} ms`);
      throw new Error(`consul ${what}: ${(error as Error).cause ?? (error as Error).message}`, {
        cause: error,
      });
    }
    const text = await response.text();
    if (response.status !== 404 && !response.ok) {
      throw new Error(`consul ${what}: HTTP ${response.status} ${text.trim()}`.trim());
    }
    return { response, text };
  };

  return {
    async get(key) {
      const { response, text } = await call(`/kv/${encodePath(key)}?raw`);
      return response.status === 404 ? undefined : text;
    },
    async list(prefix, index = 0n, signal, waitS = 30) {
      const blocking = index > 0n ? `&index=${index}&wait=${waitS}s` : '';
      const { response, text } = await call(
        `/kv/${encodePath(prefix)}?recurse${blocking}`,
        {},
        index > 0n ? waitS * 1_000 : 0,
        signal,
      );
      const header = response.headers.get('x-consul-index');
      const entries = new Map<string, string>();
      if (response.status !== 404) {
        for (const entry of JSON.parse(text) as { Key: string; Value: string | null }[]) {
          const name = entry.Key.slice(prefix.length);
          if (!entry.Key.startsWith(prefix) || name === '' || name.includes('/')) continue;
          entries.set(name, entry.Value === null ? '' : Buffer.from(entry.Value, 'base64').toString('utf8'));
        }
      }
      return { index: header !== null && /^\d+$/.test(header) ? BigInt(header) : undefined, entries };
    },
    async put(key, text) {
      await call(`/kv/${encodePath(key)}`, { method: 'PUT', body: text });
    },
  };
}

/** Options of {@link createConsulHttp}. */
export interface ConsulHttpOptions {
  /** The agent: `host:port` (plain HTTP) or `http(s)://host:port`. */
  readonly addr: string;
  /** ACL token, sent as `X-Consul-Token`; empty or absent: none. */
  readonly token?: string;
  /** Bound on one call in milliseconds; a blocking query gets its wait on top. */
  readonly timeoutMs: number;
  /** The fetch to use (tests pass a fake one); default the global fetch. */
  readonly fetch?: typeof fetch;
}

/** One call of {@link ConsulHttp.call}. */
export interface ConsulRequest {
  readonly method?: 'GET' | 'PUT' | 'DELETE';
  /** Query parameters; `true` adds the bare flag (`?recurse`), `undefined` leaves it out. */
  readonly query?: Readonly<Record<string, string | true | undefined>>;
  /** JSON body of a PUT. */
  readonly body?: unknown;
  /** Extra time on top of the deadline (a blocking query's wait), in milliseconds. */
  readonly extraMs?: number;
  /** Cancels the call (for example when the owner stops). */
  readonly signal?: AbortSignal;
}

/** The answer of the agent: status, `X-Consul-Index` when sent, and the JSON body when there is one. */
export interface ConsulResponse {
  readonly status: number;
  readonly index: bigint | undefined;
  readonly body: unknown;
}

/** The agent could not be reached, did not answer in time, or answered with an error status. */
export class ConsulHttpError extends Error {
  override readonly name = 'ConsulHttpError';
  /** The HTTP status, when the agent answered. */
  readonly status: number | undefined;
  constructor(message: string, status?: number, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
  }
}

/** A minimal Consul HTTP API client: JSON in and out, a deadline on every call. */
export interface ConsulHttp {
  /** The API base, e.g. `http://127.0.0.1:8500/v1` (for logs). */
  readonly baseUrl: string;
  /**
   * Calls `path` (below `/v1`, its segments already URL-encoded). Resolves with any status the agent sends;
   * rejects with {@link ConsulHttpError} when it cannot be reached or the
   * deadline passes, and with the signal's reason when cancelled.
   */
  call(path: string, request?: ConsulRequest): Promise<ConsulResponse>;
  /** Like `call`, but rejects with {@link ConsulHttpError} unless the status is 2xx. */
  ok(path: string, request?: ConsulRequest): Promise<ConsulResponse>;
}

/** The API base URL of an agent address (`host:port` or a URL). */
export function consulBaseUrl(addr: string): string {
  const withScheme = /^https?:\/\//.test(addr) ? addr : `http://${addr}`;
  return `${withScheme.replace(/\/+$/, '')}/v1`;
}

/** Creates a {@link ConsulHttp} for one agent. */
export function createConsulHttp(options: ConsulHttpOptions): ConsulHttp {
  const baseUrl = consulBaseUrl(options.addr);
  const doFetch = options.fetch ?? fetch;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token) headers['x-consul-token'] = options.token;

  const call = async (path: string, request: ConsulRequest = {}): Promise<ConsulResponse> => {
    const params = Object.entries(request.query ?? {}).flatMap(([name, value]) =>
      value === undefined
        ? []
        : [
            value === true
              ? encodeURIComponent(name)
              : `${encodeURIComponent(name)}=${encodeURIComponent(value)}`,
          ],
    );
    const url = `${baseUrl}${path}${params.length > 0 ? `?${params.join('&')}` : ''}`;
    const ms = options.timeoutMs + (request.extraMs ?? 0);
    const deadline = AbortSignal.timeout(ms);
    const signal = request.signal ? AbortSignal.any([deadline, request.signal]) : deadline;
    const method = request.method ?? 'GET';
    const what = `${method} /v1${path}`;
    try {
      const response = await doFetch(url, {
        method,
        headers: request.body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        signal,
      });
      const text = await response.text();
      const indexHeader = response.headers.get('x-consul-index');
      let body: unknown = text;
      if (text !== '' && response.headers.get('content-type')?.includes('json')) {
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON after all: keep the text
        }
      }
      return {
        status: response.status,
        index: indexHeader !== null && /^\d+$/.test(indexHeader) ? BigInt(indexHeader) : undefined,
        body: text === '' ? undefined : body,
      };
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason;
      if (deadline.aborted) throw new ConsulHttpError(`${what}: no answer within ${ms} ms`, undefined);
      throw new ConsulHttpError(`${what}: ${describe(error)}`, undefined, { cause: error });
    }
  };

  return {
    baseUrl,
    call,
    async ok(path, request) {
      const response = await call(path, request);
      if (response.status < 200 || response.status > 299) {
        const detail = typeof response.body === 'string' ? `: ${response.body.trim().slice(0, 200)}` : '';
        throw new ConsulHttpError(
          `${request?.method ?? 'GET'} /v1${path}: status ${response.status}${detail}`,
          response.status,
        );
      }
      return response;
    },
  };
}

/** The useful part of a fetch failure ("connect ECONNREFUSED 127.0.0.1:8500" rather than "fetch failed"). */
function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0)
    return error.errors.map(describe).join(', ');
  if (error instanceof Error) return error.cause === undefined ? error.message : describe(error.cause);
  return String(error);
}

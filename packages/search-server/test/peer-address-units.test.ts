import { once } from 'node:events';
import { type ClientHttp2Session, connect } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { afterEach, expect, it } from 'vitest';
import { createPeerAddresses, type PeerOfCall } from '../src/rpc/peer-address.js';

// The peer address kept per connection must be what grpc-js's getPeer() answers for every call.

const raw = (bytes: Buffer) => bytes;
const echo: grpc.MethodDefinition<Buffer, Buffer> = {
  path: '/test.Peer/Echo',
  requestStream: false,
  responseStream: false,
  requestSerialize: raw,
  requestDeserialize: raw,
  responseSerialize: raw,
  responseDeserialize: raw,
};

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A client connection to `authority`, closed after the test (before the server). */
async function connected(authority: string) {
  const session = connect(authority);
  // The server's shutdown may reach a session still closing.
  session.on('error', () => {});
  cleanups.push(() => session.close());
  await once(session, 'connect');
  return session;
}

/** A grpc-js server whose one unary method hands each call to `handle`; returns its port. */
async function serve(address: string, handle: (call: grpc.ServerUnaryCall<Buffer, Buffer>) => Promise<void>) {
  const server = new grpc.Server();
  server.addService({ Echo: echo } as grpc.ServiceDefinition, {
    Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      handle(call).then(
        () => callback(null, call.request),
        (error: Error) => callback(error),
      );
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  cleanups.push(() => server.forceShutdown());
  return port;
}

/** A call made on `session` by hand; resolves to its grpc-status. `cancel` resets the stream once sent. */
function call(session: ClientHttp2Session, cancel?: Promise<void>): Promise<string> {
  const stream = session.request({
    ':method': 'POST',
    ':path': echo.path,
    'content-type': 'application/grpc',
    te: 'trailers',
  });
  const status = new Promise<string>((resolve) => {
    stream.once(
      'response',
      (headers) => headers['grpc-status'] !== undefined && resolve(String(headers['grpc-status'])),
    );
    stream.once('trailers', (trailers) => resolve(String(trailers['grpc-status'])));
    stream.once('close', () => resolve('closed'));
  });
  stream.end(Buffer.from([0, 0, 0, 0, 1, 42]));
  stream.resume();
  void cancel?.then(() => stream.close());
  return status;
}

/** The call with its getPeer() counted. */
function counted(call: grpc.ServerUnaryCall<Buffer, Buffer>, counts: { getPeer: number }): PeerOfCall {
  return {
    // grpc-js's own object under the surface call, as createPeerAddresses reads it.
    call: (call as unknown as { call: unknown }).call,
    getPeer: () => {
      counts.getPeer++;
      return call.getPeer();
    },
  } as PeerOfCall;
}

it("answers each call's getPeer(), asking grpc-js once per connection", async () => {
  const peers = createPeerAddresses();
  const counts = { getPeer: 0 };
  const seen: { mine: string; grpc: string }[] = [];
  const port = await serve('127.0.0.1:0', async (serverCall) => {
    const mine = peers.of(counted(serverCall, counts));
    seen.push({ mine, grpc: serverCall.getPeer() });
    // Read again in the same call: kept, not asked again.
    expect(peers.of(counted(serverCall, counts))).toBe(mine);
  });
  const sessions = [await connected(`http://127.0.0.1:${port}`), await connected(`http://127.0.0.1:${port}`)];
  for (let i = 0; i < 3; i++) {
    for (const session of sessions) expect(await call(session)).toBe('0');
  }
  const expected = sessions.map((session) => `127.0.0.1:${session.socket.localPort}`);
  expect(seen.map(({ mine }) => mine)).toEqual([...expected, ...expected, ...expected]);
  for (const { mine, grpc } of seen) expect(mine).toBe(grpc);
  expect(counts.getPeer).toBe(2);
});

it('writes an IPv6 peer as getPeer() does', async () => {
  const peers = createPeerAddresses();
  const seen: string[] = [];
  const port = await serve('[::1]:0', async (serverCall) => {
    seen.push(peers.of(serverCall), serverCall.getPeer());
  });
  const session = await connected(`http://[::1]:${port}`);
  expect(await call(session)).toBe('0');
  expect(await call(session)).toBe('0');
  const expected = `::1:${session.socket.localPort}`;
  expect(seen).toEqual([expected, expected, expected, expected]);
});

it('answers what getPeer() does once the caller has cancelled the call', async () => {
  const peers = createPeerAddresses();
  const seen: { mine: string; grpc: string }[] = [];
  let cancelled: () => void = () => {};
  const cancel = new Promise<void>((resolve) => {
    cancelled = resolve;
  });
  const port = await serve('127.0.0.1:0', async (serverCall) => {
    // The first call fills the cache for the connection; the second is read after its cancellation.
    if (seen.length === 1) {
      cancelled();
      await once(serverCall, 'cancelled');
      await new Promise((resolve) => setImmediate(resolve));
    }
    seen.push({ mine: peers.of(serverCall), grpc: serverCall.getPeer() });
  });
  const session = await connected(`http://127.0.0.1:${port}`);
  expect(await call(session)).toBe('0');
  await call(session, cancel);
  await expect.poll(() => seen.length).toBe(2);
  expect(seen[0]?.mine).toBe(`127.0.0.1:${session.socket.localPort}`);
  // grpc-js answers `unknown` here (the stream has left its session), not the connection's address.
  expect(seen[1]?.mine).toBe(seen[1]?.grpc);
});

it('keeps no "unknown", and asks every call that is not shaped as grpc-js makes them', () => {
  const peers = createPeerAddresses();
  const socket = {};
  let answer = 'unknown';
  let asked = 0;
  const shaped = {
    call: { stream: { session: { socket } } },
    getPeer: () => {
      asked++;
      return answer;
    },
  };
  expect(peers.of(shaped)).toBe('unknown');
  answer = '10.0.0.1:5';
  expect(peers.of(shaped)).toBe('10.0.0.1:5');
  expect(peers.of(shaped)).toBe('10.0.0.1:5');
  expect(asked).toBe(2);
  // A session without a socket (cleaned up), no session (the stream is gone), or another shape.
  for (const other of [{ stream: { session: { socket: undefined } } }, { stream: {} }, undefined]) {
    asked = 0;
    answer = 'unknown';
    const call = { call: other, getPeer: shaped.getPeer };
    expect([peers.of(call), peers.of(call)]).toEqual(['unknown', 'unknown']);
    expect(asked).toBe(2);
  }
});

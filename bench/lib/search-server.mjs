import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './ports.mjs';
import { loadWorkspaceGrpc, searchClient } from './workspace-grpc.mjs';

/** The built server entry point, relative to the repository root. */
export const serverBin = (repoRoot) => join(repoRoot, 'packages', 'search-server', 'bin', 'search-server.js');

/** Fails with a clear message when `pnpm build` has not run. */
export function assertServerBuilt(repoRoot) {
  if (!existsSync(join(repoRoot, 'packages', 'search-server', 'dist', 'main.js'))) {
    throw new Error('the server is not built: run `pnpm build` first');
  }
}

/** Source files of the server and the packages it runs that changed after its last build. */
export function newerThanBuild(repoRoot) {
  const built = statSync(join(repoRoot, 'packages', 'search-server', 'dist', 'main.js')).mtimeMs;
  const roots = ['packages/search-server/src', 'packages/search-core/src', 'generated/src'];
  return roots.flatMap((root) =>
    readdirSync(join(repoRoot, root), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && statSync(join(entry.parentPath, entry.name)).mtimeMs > built)
      .map((entry) => join(entry.parentPath, entry.name).slice(repoRoot.length + 1)),
  );
}

/** The first JSON log line of `logFile` whose `msg` is `msg`, or undefined. */
export function findLogLine(logFile, msg) {
  let text = '';
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    if (!line.includes(`"msg":"${msg}"`)) continue;
    try {
      return JSON.parse(line);
    } catch {
      // a line still being written: look again next time
    }
  }
  return undefined;
}

/** Resolves true when something accepts TCP connections on 127.0.0.1:`port`. */
export function acceptsConnections(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Spawns the real `search-server` binary on 127.0.0.1 and a free port, with
 * `env` merged over a quiet base (no metrics, warn logs, no sample data) and
 * its JSON logs going to `logFile`. Does not wait for it.
 */
export async function spawnSearchServer({ repoRoot, processes, env, logFile }) {
  const port = await freePort();
  // The bin itself, so that its shebang's Node options apply as they do for users (`node` on PATH is Node 24).
  const handle = processes.start(serverBin(repoRoot), [], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      GEOSEARCH_METRICS: 'false',
      GEOSEARCH_LOG_LEVEL: 'warn',
      GEOSEARCH_SAMPLE_DATA: 'false',
      ...env,
      GEOSEARCH_LISTEN: `127.0.0.1:${port}`,
    },
    logFile,
    label: 'search-server',
  });
  return { ...handle, port, address: `127.0.0.1:${port}`, logFile, spawnedAt: performance.now() };
}

/**
 * Polls the server's Monitor until its point index has left `loading`;
 * returns the index's state, things held, and the time since spawn.
 */
async function waitForPointIndex(server, repoRoot, deadline) {
  const { client, close } = searchClient(loadWorkspaceGrpc(repoRoot), server.address);
  try {
    for (;;) {
      const status = await client.monitor({});
      if (status.pointIndexState !== 'loading' || performance.now() > deadline) {
        return {
          state: status.pointIndexState,
          things: Number(status.pointIndexThings),
          readyAfterMs: Math.round(performance.now() - server.spawnedAt),
        };
      }
      await sleep(50);
    }
  } finally {
    close();
  }
}

/**
 * Starts the server (see {@link spawnSearchServer}) and waits until it is
 * ready: it logs `serving` (info level) or, at quieter levels, its port
 * accepts connections (the server listens only once its database is ready);
 * then until its point index has loaded, so that measurements see the
 * server as it runs for long (`server.pointIndex` tells how it ended).
 */
export async function startSearchServer(options) {
  const { timeoutMs = 600_000 } = options;
  const server = await spawnSearchServer(options);
  let exited = false;
  void server.exited.then(() => {
    exited = true;
  });
  while (performance.now() < server.spawnedAt + timeoutMs) {
    if (findLogLine(server.logFile, 'serving') || (await acceptsConnections(server.port))) {
      server.pointIndex = await waitForPointIndex(server, options.repoRoot, server.spawnedAt + timeoutMs);
      return server;
    }
    if (exited) throw new Error(`search-server exited before serving; log: ${tail(server.logFile)}`);
    await sleep(20);
  }
  await server.stop();
  throw new Error(`search-server did not serve within ${timeoutMs} ms; log: ${tail(server.logFile)}`);
}

const tail = (file) => {
  try {
    return readFileSync(file, 'utf8').slice(-2000);
  } catch {
    return '(no log)';
  }
};

import { setTimeout as sleep } from 'node:timers/promises';
import { processMemory } from './machine.mjs';
import { spawnSearchServer } from './search-server.mjs';
import { searchClient } from './workspace-grpc.mjs';

/**
 * Milliseconds from spawning the server to its first successful Search for
 * `point` (each attempt on a fresh channel, 10 ms apart, so no reconnect
 * back-off hides the moment it is ready), and its RSS just after. The server
 * is stopped before returning. Bounded by `timeoutMs`.
 */
export async function measureColdStart({ repoRoot, processes, grpc, env, logFile, point, timeoutMs }) {
  const server = await spawnSearchServer({ repoRoot, processes, env, logFile });
  try {
    while (performance.now() < server.spawnedAt + timeoutMs) {
      if (server.child.exitCode !== null)
        throw new Error(`search-server exited during cold start (${logFile})`);
      const { client, close } = searchClient(grpc, server.address);
      try {
        const response = await client.search({ point }, { signal: AbortSignal.timeout(1_000) });
        const ms = performance.now() - server.spawnedAt;
        return { ms, hits: response.results.length, memory: processMemory(server.pid) };
      } catch {
        await sleep(10);
      } finally {
        close();
      }
    }
    throw new Error(`no successful Search within ${timeoutMs} ms (${logFile})`);
  } finally {
    await server.stop();
  }
}

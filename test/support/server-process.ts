import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The repository root. */
export const repoRoot = join(import.meta.dirname, '..', '..');
/** The built server binary (`pnpm build` makes it). */
export const serverBin = join(repoRoot, 'packages', 'search-server', 'bin', 'search-server.js');

/** A server binary running as a child process. */
export interface ServerProcess {
  readonly address: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Every JSON log line so far. */
  readonly logs: Record<string, unknown>[];
  /** stderr text so far. */
  readonly stderr: () => string;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  /** Sends `signal` (default SIGTERM) and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Options of {@link startServerProcess}. */
export interface StartOptions {
  /** Environment for the server (merged over a minimal base). */
  readonly env?: Record<string, string>;
  readonly args?: readonly string[];
  /** How long to wait for the `serving` line. */
  readonly timeoutMs?: number;
  /** The executable to run instead of the workspace's built binary (an installed bin or the single executable). */
  readonly bin?: string;
  /** Working directory of the process. */
  readonly cwd?: string;
}

const running = new Set<ServerProcess>();

/** Starts the real `search-server` binary on 127.0.0.1:0 and waits until it logs `serving`. */
export async function startServerProcess(options: StartOptions = {}): Promise<ServerProcess> {
  if (!options.bin && !existsSync(join(repoRoot, 'packages', 'search-server', 'dist', 'main.js'))) {
    throw new Error('the server is not built: run `pnpm build` first');
  }
  const [command, ...prefix] = options.bin ? [options.bin] : [process.execPath, serverBin];
  const child = spawn(command as string, [...prefix, '--listen', '127.0.0.1:0', ...(options.args ?? [])], {
    env: { PATH: process.env.PATH ?? '', GEOSEARCH_METRICS: 'false', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  let buffered = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start in time; stderr: ${stderr}`)),
      options.timeoutMs ?? 90_000,
    );
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline !== -1) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
        try {
          const record = JSON.parse(line) as Record<string, unknown>;
          logs.push(record);
          if (record.msg === 'serving') {
            clearTimeout(timer);
            resolve(Number(record.port));
          }
        } catch {
          // not JSON: ignore
        }
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before serving; stderr: ${stderr}`));
    });
  });
  const server: ServerProcess = {
    address: `127.0.0.1:${port}`,
    port,
    child,
    logs,
    stderr: () => stderr,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      running.delete(server);
      return code;
    },
  };
  running.add(server);
  return server;
}

/** Stops every server this module started (call from afterAll). */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop('SIGKILL')));
}

/**
 * Makes the migrated PGlite folder with sample data that {@link pgliteDataDir}
 * copies (a cold PGlite start with PostGIS takes ~20 s; a copy starts in ~2 s).
 * Called once per run from the end-to-end global setup.
 */
export async function makePgliteTemplate(): Promise<string> {
  const template = scratchDir('geosearch-pglite-template-');
  const server = await startServerProcess({ env: { GEOSEARCH_DATA_DIR: template }, timeoutMs: 180_000 });
  await server.stop();
  return template;
}

/**
 * A new folder named `prefix…` in the run's scratch folder (made and removed
 * by the end-to-end global setup), or in the OS temporary folder outside a run.
 */
export function scratchDir(prefix: string): string {
  return mkdtempSync(join(process.env.GEOSEARCH_TEST_SCRATCH ?? tmpdir(), prefix));
}

/** A fresh copy of the PGlite template made by the global setup. */
export function pgliteDataDir(): string {
  const template = process.env.GEOSEARCH_PGLITE_TEMPLATE;
  if (!template)
    throw new Error('GEOSEARCH_PGLITE_TEMPLATE is not set: the end-to-end global setup did not run');
  const dir = scratchDir('geosearch-data-');
  cpSync(template, dir, { recursive: true });
  return dir;
}

/** A fresh PostgreSQL database (PostGIS and pg_trgm in it) from scripts/services/postgres; its URL. */
export function postgresDatabase(): string {
  const name = `e2e_${randomBytes(5).toString('hex')}`;
  const out = execFileSync(join(repoRoot, 'scripts', 'services', 'postgres'), ['createdb', name], {
    encoding: 'utf8',
  });
  const url = out.match(/^DATABASE_URL=(.+)$/m)?.[1];
  if (!url) throw new Error(`createdb printed no DATABASE_URL: ${out}`);
  return url;
}

/** The backends end-to-end tests run on: PGlite always, PostgreSQL when DATABASE_URL is set. */
export const e2eBackends: readonly ('pglite' | 'postgres')[] = process.env.DATABASE_URL
  ? ['pglite', 'postgres']
  : ['pglite'];

/** Environment selecting a fresh database on `backend`. */
export async function databaseEnv(backend: 'pglite' | 'postgres'): Promise<Record<string, string>> {
  return backend === 'pglite'
    ? { GEOSEARCH_DATA_DIR: pgliteDataDir() }
    : { DATABASE_URL: postgresDatabase() };
}

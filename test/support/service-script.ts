import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './server-process.js';

const run = promisify(execFile);

/** A private run folder for one service of one test file (enterable by the `postgres` OS user too). */
export function privateRunDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `geosearch-${name}-`));
  chmodSync(dir, 0o755);
  return dir;
}

/** Runs `scripts/services/<service> ...args` with `env` over this process's environment; resolves with stdout. */
export function serviceScript(
  service: string,
  env: Record<string, string>,
  timeoutMs: number,
): (...args: string[]) => Promise<string> {
  return async (...args) =>
    (
      await run(join(repoRoot, 'scripts', 'services', service), args, {
        encoding: 'utf8',
        timeout: timeoutMs,
        env: { ...process.env, ...env },
      })
    ).stdout;
}

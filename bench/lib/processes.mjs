import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

/**
 * A group of child processes the bench started. Every child is tracked from
 * spawn to exit, so `stopAll` can end whatever is still running, on success
 * and on failure alike. Children are only ever stopped by their own pid.
 */
export function createProcessGroup() {
  const live = new Set();

  const track = (child, label) => {
    const exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
    });
    const handle = {
      label,
      child,
      pid: child.pid,
      exited,
      /** SIGTERM, then SIGKILL when it has not exited after `graceMs`. */
      stop: async (graceMs = 10_000) => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(timer);
        }
        live.delete(handle);
        return exited;
      },
    };
    live.add(handle);
    void exited.then(() => live.delete(handle));
    return handle;
  };

  return {
    /** Starts a long-running child whose stdout and stderr go to `logFile` (appended). */
    start(command, args, { env, cwd, logFile, label = command } = {}) {
      const fd = openSync(logFile ?? '/dev/null', 'a');
      try {
        const child = spawn(command, args, { env, cwd, stdio: ['ignore', fd, fd] });
        return track(child, label);
      } finally {
        closeSync(fd);
      }
    },

    /**
     * Runs a command to completion and resolves with its stdout; rejects on a
     * non-zero exit (with stderr in the message) or when it outlives `timeoutMs`.
     */
    async run(command, args, { env, cwd, timeoutMs = 600_000, label = command } = {}) {
      const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      const handle = track(child, label);
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk) => {
        stdout += chunk;
      });
      child.stderr.setEncoding('utf8').on('data', (chunk) => {
        stderr += chunk;
      });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        void handle.stop(2_000);
      }, timeoutMs);
      const { code, signal, error } = await handle.exited;
      clearTimeout(timer);
      if (error) throw new Error(`${label}: ${error.message}`);
      if (timedOut)
        throw new Error(`${label}: timed out after ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`);
      if (code !== 0) {
        throw new Error(`${label}: exited with ${code ?? signal}; stderr: ${stderr.slice(-2000)}`);
      }
      return { stdout, stderr };
    },

    /** Stops every child still running, in parallel. */
    async stopAll() {
      await Promise.all([...live].map((handle) => handle.stop(5_000)));
    },

    /** Labels and pids of the children still running. */
    running: () => [...live].map((handle) => `${handle.label} (pid ${handle.pid})`),
  };
}

/** A list of targets that notifies subscribers when it changes. */
export interface TargetList {
  /** The current list; the same array object until the list changes. */
  get(): readonly string[];
  /**
   * Replaces the list after an answer from the source; notifies subscribers
   * when it differs (order included). Returns true when it changed.
   */
  set(targets: readonly string[]): boolean;
  /** Calls `onChange` after each change; returns the function that stops it. */
  subscribe(onChange: () => void): () => void;
  /**
   * Resolves with the list once the source has answered once (at once if it
   * has, or once closed); rejects with the reason of `signal` when it aborts first.
   */
  ready(signal?: AbortSignal): Promise<readonly string[]>;
  /** Drops every subscriber and releases every `ready` waiter. */
  close(): void;
}

/** Creates an empty {@link TargetList}. A subscriber that throws does not stop the others. */
export function createTargetList(): TargetList {
  let current: readonly string[] = Object.freeze([]);
  let answered = false;
  const listeners = new Set<() => void>();
  const waiters = new Set<() => void>();
  const release = () => {
    answered = true;
    for (const wake of [...waiters]) wake();
  };
  return {
    get: () => current,
    set(targets) {
      const same = targets.length === current.length && targets.every((t, i) => t === current[i]);
      if (!same) current = Object.freeze([...targets]);
      release();
      if (same) return false;
      for (const listener of [...listeners]) {
        try {
          listener();
        } catch {
          // a subscriber's failure is its own
        }
      }
      return true;
    },
    subscribe(onChange) {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
    ready(signal) {
      if (answered) return Promise.resolve(current);
      return new Promise((resolve, reject) => {
        const done = () => {
          waiters.delete(done);
          signal?.removeEventListener('abort', abort);
          resolve(current);
        };
        const abort = () => {
          waiters.delete(done);
          reject(signal?.reason);
        };
        if (signal?.aborted) return abort();
        waiters.add(done);
        signal?.addEventListener('abort', abort, { once: true });
      });
    },
    close() {
      listeners.clear();
      release();
    },
  };
}

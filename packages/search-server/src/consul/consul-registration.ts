import type { Logger } from 'pino';
import type { ConsulHttp } from './consul-http.js';
import {
  checkId,
  consulServiceDefinition,
  type InstanceFacts,
  ttlTiming,
} from './consul-service-definition.js';
import type { ConsulSettings } from './consul-settings.js';

/** What a ttl-mode report says. */
export interface ProbeResult {
  readonly passing: boolean;
  readonly output: string;
}

/** Options of {@link startConsulRegistration}. */
export interface ConsulRegistrationOptions {
  readonly http: ConsulHttp;
  readonly settings: ConsulSettings;
  readonly facts: InstanceFacts;
  readonly log: Logger;
  /** ttl mode: the health reported on each tick (bounded by `signal`); default: always passing. */
  readonly probe?: (signal: AbortSignal) => Promise<ProbeResult>;
  /** Source of randomness for the retry jitter. */
  readonly random?: () => number;
}

/** A registration kept alive in the background. */
export interface ConsulRegistration {
  /** True while the agent is known to hold the registration. */
  isRegistered(): boolean;
  /** Stops the watchdog and deregisters (within the HTTP deadline). Idempotent. */
  stop(): Promise<void>;
}

/**
 * Registers the instance with the agent and keeps it registered: when the
 * agent cannot be reached the server keeps serving and retries with capped,
 * jittered backoff (the cap is the check interval, so a returning agent sees
 * the instance again within about one interval); a watchdog asks the agent
 * every check interval whether it still knows the instance and registers it
 * again when it does not (an agent restarted without its state). In ttl mode
 * the same loop reports the TTL check every half interval. `stop`
 * deregisters.
 */
export function startConsulRegistration(options: ConsulRegistrationOptions): ConsulRegistration {
  const { http, settings, facts, log } = options;
  const random = options.random ?? Math.random;
  const id = encodeURIComponent(facts.instanceId);
  const ttl = settings.checkMode === 'ttl';
  const tickMs = ttl ? ttlTiming(settings).reportEveryMs : settings.checkIntervalMs;
  const fields = { consul: http.baseUrl };

  let stopped = false;
  /** Aborts the read-only watchdog call and TTL report in flight on stop (never a registration). */
  const stopping = new AbortController();
  let registered = false;
  let everRegistered = false;
  let attempted = false;
  let failures = 0;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopped) return resolve();
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });
  const backoffMs = () => {
    const ceiling = Math.min(settings.checkIntervalMs, 250 * 2 ** Math.min(failures - 1, 20));
    return ceiling / 2 + (random() * ceiling) / 2;
  };

  const onFailure = (error: unknown) => {
    failures++;
    const reason = error instanceof Error ? error.message : String(error);
    if (failures > 1) {
      log.debug({ ...fields, failures, reason }, 'consul: still unreachable, retrying');
    } else if (everRegistered) {
      log.warn(
        { ...fields, reason },
        'consul: agent unreachable: discovery degraded (still serving); retrying, and registering again if needed',
      );
    } else if (/\bstatus 403\b/.test(reason)) {
      log.warn(
        { ...fields, reason },
        'consul: the agent refused the ACL token (missing, unknown, or without service:write): serving anyway, not registered (discovery degraded); retrying',
      );
    } else {
      log.warn(
        { ...fields, reason },
        'consul: agent unreachable at start: serving anyway, not registered (discovery degraded); retrying',
      );
    }
  };
  const onReachable = () => {
    if (failures > 0 && registered) log.info({ ...fields, failures }, 'consul: agent reachable again');
    failures = 0;
  };

  const register = async () => {
    attempted = true;
    await http.ok('/agent/service/register', {
      method: 'PUT',
      query: { 'replace-existing-checks': 'true' },
      body: consulServiceDefinition(settings, facts),
    });
    registered = true;
    log.info(
      {
        ...fields,
        address: settings.serviceAddress,
        port: facts.port,
        check: settings.checkMode,
        ...(failures > 0 ? { failedAttempts: failures } : {}),
      },
      everRegistered
        ? 'consul: registered again (the agent had forgotten the instance)'
        : 'consul: registered',
    );
    everRegistered = true;
  };

  /** ttl mode: reports the check; false when the agent does not know it. */
  const report = async () => {
    const probe = options.probe
      ? await options
          .probe(AbortSignal.timeout(settings.checkTimeoutMs))
          .catch((error: unknown): { passing: boolean; output: string } => ({
            passing: false,
            output: `health probe failed: ${error instanceof Error ? error.message : String(error)}`,
          }))
      : { passing: true, output: 'serving' };
    const response = await http.call(`/agent/check/update/${encodeURIComponent(checkId(facts.instanceId))}`, {
      method: 'PUT',
      signal: stopping.signal,
      body: { Status: probe.passing ? 'passing' : 'critical', Output: probe.output },
    });
    return response.status >= 200 && response.status <= 299;
  };

  /** grpc mode: false when the agent no longer knows the instance. */
  const known = async () => {
    const response = await http.call(`/agent/service/${id}`, { signal: stopping.signal });
    if (response.status === 404) return false;
    if (response.status < 200 || response.status > 299) {
      throw new Error(`GET /v1/agent/service/${id}: status ${response.status}`);
    }
    return true;
  };

  const loop = async () => {
    while (!stopped) {
      try {
        if (!registered) {
          await register();
          onReachable();
          if (!ttl) {
            await sleep(tickMs);
            continue;
          }
        }
        const ok = ttl ? await report() : await known();
        onReachable();
        if (!ok) {
          if (stopped) return;
          registered = false;
          log.warn(fields, 'consul: the agent no longer knows this instance (restarted?): registering again');
          continue;
        }
        await sleep(tickMs);
      } catch (error) {
        if (stopped) return;
        onFailure(error);
        await sleep(backoffMs());
      }
    }
  };
  const done = loop();

  let stopPromise: Promise<void> | undefined;
  return {
    isRegistered: () => registered,
    stop: () => {
      stopPromise ??= (async () => {
        stopped = true;
        stopping.abort(new Error('consul registration stopped'));
        clearTimeout(timer);
        wake?.();
        // A registration in flight finishes (within its deadline) before the deregistration, so it cannot undo it.
        await done;
        if (!attempted) return;
        const t0 = performance.now();
        try {
          await http.ok(`/agent/service/deregister/${id}`, { method: 'PUT' });
          registered = false;
          log.info({ ...fields, durationMs: Math.round(performance.now() - t0) }, 'consul: deregistered');
        } catch (error) {
          log.warn(
            { ...fields, reason: error instanceof Error ? error.message : String(error) },
            `consul: could not deregister; the agent drops the instance after its check stays critical for ${settings.deregisterAfter}`,
          );
        }
      })();
      return stopPromise;
    },
  };
}

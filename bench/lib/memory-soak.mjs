import { closeSync, openSync, readSync, rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadgenArgs, runLoadgen } from './loadgen.mjs';
import { processMemory } from './machine.mjs';
import { connectionsFor } from './modes.mjs';
import { startSearchServer } from './search-server.mjs';

/**
 * The fewest requests a growth verdict is given for. Measured here: RSS climbs for the first
 * 15,000-20,000 calls or so (V8 sizing its heap spaces), so a 20k smoke soak is all warm-up and
 * would always read as growth; it still catches a crash or a failed call.
 */
export const judgedFrom = 100_000;

/** Seconds of the first segment: long enough for a QPS estimate, which sizes the others. */
const firstSegmentS = 2;

/** The last `bytes` of `file` as text; '' when it cannot be read. */
function tailOf(file, bytes = 1500) {
  try {
    const size = statSync(file).size;
    const buffer = Buffer.alloc(Math.min(bytes, size));
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, size - buffer.length);
    } finally {
      closeSync(fd);
    }
    return buffer.toString('utf8');
  } catch {
    return '';
  }
}

/** How a soak's `pass` reads: met, not met, or not judged (too few requests). */
export const verdictWord = (pass) =>
  pass === undefined
    ? `not judged (fewer than ${judgedFrom.toLocaleString('en-US')} requests)`
    : pass
      ? 'met'
      : 'not met';

/** The least-squares slope of `y` against `x` over `points`; NaN without two distinct `x`. */
export function leastSquaresSlope(points) {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.x - meanX) ** 2;
    sxy += (p.x - meanX) * (p.y - meanY);
  }
  return sxx > 0 ? sxy / sxx : Number.NaN;
}

/**
 * The verdict on a soak's `samples` (ascending `served`, the last at or
 * beyond `requests`): RSS once warmed up (the first sample at or after 10 %
 * of the requests: JIT, connection pool and V8's young generation sized),
 * at the end, the growth in between, the slope from the settled sample on
 * (MiB per 100,000 requests), and whether the growth stays within the bound
 * (`pass`: undefined, not judged, below {@link judgedFrom} requests).
 */
export function soakVerdict(requests, samples) {
  const settledAt = Math.max(
    0,
    samples.findIndex((s) => s.served >= requests * 0.1),
  );
  const settledMiB = samples[settledAt].rssMiB;
  const endMiB = samples[samples.length - 1].rssMiB;
  const growthMiB = endMiB - settledMiB;
  const slope = leastSquaresSlope(samples.slice(settledAt).map((s) => ({ x: s.served, y: s.rssMiB })));
  // The bound: a Node process's RSS moves by a few MiB without any leak (V8 grows and shrinks its
  // heap spaces between collections, malloc keeps freed arenas, socket and log buffers come and go),
  // so 10 MiB is the floor, and 5 % of the settled RSS for servers whose heap is larger (bigger data
  // sets, longer runs). A leak of 100 bytes per call adds about 95 MiB over 1M calls, far above it;
  // the smoke's 20k calls only catch leaks of about 500 bytes per call or more.
  const bound = Math.max(10, 0.05 * settledMiB);
  return {
    settledMiB,
    settledServed: samples[settledAt].served,
    endMiB,
    peakMiB: Math.max(...samples.map((s) => s.peakMiB)),
    slopeMiBPer100k: slope * 100_000,
    growthMiB,
    pass: requests >= judgedFrom ? growthMiB <= bound : undefined,
    bound,
  };
}

/**
 * Memory over many requests: one fresh server on `dataset` (PostgreSQL
 * backend, logs at info, metrics on and sent to the bench's StatsD sink)
 * driven with Search by point from `requests` (a request set of
 * request-files.mjs) by loadgen in closed-loop segments until at least
 * `mode.memorySoak.requests` calls were served, its RSS and VmHWM taken
 * idle and after every segment. A short first segment estimates the QPS;
 * the others are sized for about `mode.memorySoak.samples` samples in all.
 * Any failed call fails the scenario. Sets `ctx.memorySoak`, adds a row to
 * `ctx.memory` and the commands to `ctx.commands`. The server's log is
 * emptied after every segment and deleted at the end: only its size is kept.
 */
export async function benchMemorySoak(ctx, dataset, requests) {
  const { requests: target, concurrency, samples: sampleCount } = ctx.mode.memorySoak;
  const logFile = join(ctx.workDir, 'memory-soak.log');
  const env = {
    DATABASE_URL: dataset.url,
    GEOSEARCH_LOG_LEVEL: 'info',
    GEOSEARCH_METRICS: 'true',
    GEOSEARCH_STATSD_HOST: ctx.statsd.address,
  };
  const server = await startSearchServer({ repoRoot: ctx.repoRoot, processes: ctx.processes, env, logFile });
  ctx.commands.push(
    `${Object.entries(env)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ')} GEOSEARCH_LISTEN=${server.address} GEOSEARCH_SAMPLE_DATA=false ` +
      'node packages/search-server/bin/search-server.js',
  );
  const packetsBefore = ctx.statsd.counts.packets;
  const samples = [];
  const commands = [];
  let served = 0;
  let logBytes = 0;
  let idle;
  const fail = (problem) =>
    new Error(`memory soak: ${problem} after ${served} calls served; server log ends: ${tailOf(logFile)}`);
  try {
    await sleep(1_000);
    idle = processMemory(server.pid);
    let durationS = firstSegmentS;
    while (served < target) {
      // Bounded: when the QPS keeps falling, segments fall short of their size; a few are made up for.
      if (samples.length >= sampleCount * 3)
        throw fail(`still short of ${target} calls after ${samples.length} segments`);
      const args = loadgenArgs({
        method: 'Search',
        requestFile: requests.b64,
        address: server.address,
        concurrency,
        conns: connectionsFor(ctx.mode, concurrency),
        durationS,
      });
      let result;
      try {
        result = await runLoadgen({
          bin: ctx.loadgen,
          processes: ctx.processes,
          args,
          timeoutMs: (durationS + 60) * 1000,
        });
      } catch (error) {
        throw fail(`loadgen failed (${error instanceof Error ? error.message : String(error)})`);
      }
      served += result.requests;
      if (result.errors > 0)
        throw fail(`${result.errors} of ${result.requests} calls failed (${result.errorKinds.join('; ')})`);
      const memory = processMemory(server.pid);
      if (!memory || server.child.exitCode !== null || server.child.signalCode !== null)
        throw fail('the server exited');
      commands.push({ args, durationS });
      samples.push({
        served,
        rssMiB: memory.rssMiB,
        peakMiB: memory.peakMiB,
        qps: result.qps,
        errors: result.errors,
        durationS,
        load: ctx.load1(),
      });
      ctx.log(
        `memory soak: ${served}/${target} calls, RSS ${memory.rssMiB.toFixed(1)} MiB, ${Math.round(result.qps)} QPS`,
      );
      logBytes += statSync(logFile).size;
      truncateSync(logFile); // the server appends (O_APPEND): it goes on writing at the new end
      const qps = result.qps > 0 ? result.qps : result.requests / durationS;
      const segmentsLeft = Math.max(1, sampleCount - samples.length);
      const margin = segmentsLeft === 1 ? 1.05 : 1; // the last one should not fall just short
      durationS = Math.max(0.5, Math.ceil(((target - served) / segmentsLeft / qps) * margin * 10) / 10);
    }
  } finally {
    await server.stop();
    try {
      logBytes += statSync(logFile).size;
    } catch {
      // never written
    }
    rmSync(logFile, { force: true });
  }

  const [first, ...rest] = commands;
  const command = ctx.commandText([ctx.loadgen, ...first.args]);
  const then =
    rest.length > 0 ? `; then the same with -d ${rest.map((c) => `${c.durationS}s`).join(', ')}` : '';
  ctx.commands.push(`${command}  # memory soak, segment 1${then}`);
  const verdict = soakVerdict(target, samples);
  ctx.memorySoak = {
    dataset: dataset.name,
    requests: target,
    concurrency,
    served,
    idleMiB: idle?.rssMiB,
    samples,
    ...verdict,
    logBytes,
    statsdPackets: ctx.statsd.counts.packets - packetsBefore,
    load: ctx.load1(),
    command,
  };
  ctx.memory.push({
    label: `PostgreSQL backend, ${dataset.name}, memory soak (${target.toLocaleString('en-US')} requests, logs info, metrics on)`,
    dataset: dataset.name,
    idleMiB: idle?.rssMiB,
    afterMiB: verdict.endMiB,
    peakMiB: verdict.peakMiB,
    requests: served,
    load: ctx.load1(),
  });
  ctx.log(
    `memory soak: ${served} calls; idle ${idle?.rssMiB.toFixed(1)} MiB, settled ${verdict.settledMiB.toFixed(1)}, ` +
      `end ${verdict.endMiB.toFixed(1)}, peak ${verdict.peakMiB.toFixed(1)}, growth ${verdict.growthMiB.toFixed(1)} MiB ` +
      `(bound ${verdict.bound.toFixed(1)}: ${verdictWord(verdict.pass)}), ` +
      `slope ${verdict.slopeMiBPer100k.toFixed(2)} MiB per 100k`,
  );
}

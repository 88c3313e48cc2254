import { statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadgenArgs, runLoadgen } from './loadgen.mjs';
import { processMemory } from './machine.mjs';
import { connectionsFor } from './modes.mjs';
import { startSearchServer } from './search-server.mjs';
import { startStatsdSink } from './statsd-sink.mjs';

/** The configurations switched, as the Consul KV keys `log_level` and `metrics` set them. */
export const TELEMETRY_CONFIGS = {
  quiet: { log_level: 'warn', metrics: false, label: 'logs warn, metrics off' },
  loud: { log_level: 'info', metrics: true, label: 'logs info, metrics on' },
  logs: { log_level: 'info', metrics: false, label: 'logs info, metrics off' },
  metrics: { log_level: 'warn', metrics: true, label: 'logs warn, metrics on' },
  // The control: switched like the others, but to a configuration that costs what quiet costs (no call is
  // logged at error either). Its pairs read the method's own bias and spread, which should be about 0.
  control: { log_level: 'error', metrics: false, label: 'control: logs error, metrics off' },
};

/**
 * One cycle of rounds: the configuration switched on, and on which server
 * (0 or 1; the other is quiet). Rounds go in pairs, the same configuration
 * on one server and then on the other; the order within a pair alternates.
 * The judged configuration (loud) has twice the rounds of the others.
 */
const CYCLE = [
  ['loud', 0],
  ['loud', 1],
  ['logs', 0],
  ['logs', 1],
  ['loud', 1],
  ['loud', 0],
  ['metrics', 1],
  ['metrics', 0],
  ['control', 0],
  ['control', 1],
];

/**
 * The cost of logging and metrics, measured on two servers whose `log_level`
 * and `metrics` are switched live through Consul KV (the bench's own agent,
 * each server with its own KV folder), as an operator would switch them.
 *
 * One loadgen drives both in turns of `turnS` (all the calls in flight to
 * one server, then to the other), so both see the same moments of the
 * machine, whose speed drifts by 10-30 % within seconds to minutes. In each
 * round one server runs a configuration (say logs info + metrics on) and the
 * other runs quiet (logs warn, metrics off); in the next round they swap. A
 * round's QPS ratio (switched-on server over quiet server) is the
 * configuration's effect times the one server's speed over the other's;
 * servers started alike can settle a few percent apart for minutes, which
 * no number of servers averages out well (the earlier method ran eight).
 * Over the pair of rounds the servers' factor cancels: the cost is
 * 1 - sqrt(ratio1 x ratio2), and sqrt(ratio1 / ratio2) is the factor
 * itself, reported beside it. Both servers run the same code and the same
 * configurations, so their JIT-compiled paths are warm alike: the warm-up
 * runs the judged configuration on each in turn.
 *
 * Every round records each server's StatsD packets and log bytes, which
 * confirm the switch took effect (and the quiet server sent and wrote
 * nothing). Figures go to `ctx.telemetrySwitch`; targets.mjs judges them.
 */
export async function benchTelemetrySwitched(ctx, dataset, requests) {
  const { mode, consul } = ctx;
  const concurrency = Math.max(...mode.pointConcurrency);
  const { cycles, roundS, warmupS, turnS, settleS } = mode.telemetry;
  await consul.start();
  const servers = ['a', 'b'].map((name) => ({
    name,
    prefix: `bench/telemetry/${name}/`,
    logFile: join(ctx.workDir, `telemetry-${name}.log`),
  }));
  const apply = async (server, config) => {
    const { log_level, metrics } = TELEMETRY_CONFIGS[config];
    await consul.put(`${server.prefix}log_level`, log_level);
    await consul.put(`${server.prefix}metrics`, metrics);
  };
  const switchTo = async (config, on) => {
    await Promise.all(servers.map((server, i) => apply(server, i === on ? config : 'quiet')));
    await sleep(settleS * 1000);
  };
  const rounds = [];
  try {
    for (const server of servers) {
      await apply(server, 'quiet');
      server.sink = await startStatsdSink();
      server.handle = await startSearchServer({
        repoRoot: ctx.repoRoot,
        processes: ctx.processes,
        env: {
          DATABASE_URL: dataset.url,
          GEOSEARCH_CONSUL_ADDR: consul.addr,
          GEOSEARCH_CONSUL_KV_PREFIX: server.prefix,
          GEOSEARCH_SERVICE_NAME: `bench-telemetry-${server.name}`,
          GEOSEARCH_STATSD_HOST: server.sink.address,
        },
        logFile: server.logFile,
      });
    }
    const args = (durationS) =>
      loadgenArgs({
        method: 'Search',
        requestFile: requests.b64,
        address: servers.map((s) => s.handle.address).join(','),
        serverPid: servers.map((s) => s.handle.pid).join(','),
        concurrency,
        conns: connectionsFor(mode, concurrency),
        durationS,
        sliceS: turnS,
      });
    const run = async (durationS) =>
      (
        await runLoadgen({
          bin: ctx.loadgen,
          processes: ctx.processes,
          args: args(durationS),
          timeoutMs: (durationS + 60) * 1000,
        })
      ).targets;
    for (const on of [0, 1]) {
      await switchTo('loud', on);
      await run(warmupS / 2);
    }
    ctx.commands.push(
      `(logging and metrics: two servers switched through Consul KV, ${cycles * CYCLE.length} rounds after a warm-up of ${warmupS} s) ${ctx.commandText([ctx.loadgen, ...args(roundS)])}`,
    );
    for (let cycle = 0; cycle < cycles; cycle++) {
      for (const [config, on] of CYCLE) {
        await switchTo(config, on);
        const before = servers.map((s) => ({
          packets: s.sink.counts.packets,
          logBytes: fileSize(s.logFile),
        }));
        const targets = await run(roundS);
        await sleep(300); // the last StatsD packets and log lines of the round
        const figures = servers.map((server, i) => {
          const t = targets[i];
          return {
            qps: t.qps,
            p50: t.p50,
            p99: t.p99,
            errors: t.errors,
            cpuUs: t.serverCpuS === undefined ? Number.NaN : (t.serverCpuS / t.requests) * 1e6,
            statsdPackets: server.sink.counts.packets - before[i].packets,
            logBytes: fileSize(server.logFile) - before[i].logBytes,
          };
        });
        rounds.push({ config, on, servers: figures, confirmed: switchConfirmed(config, on, figures) });
        ctx.log(
          `logging and metrics, round ${rounds.length} (${config} on server ${servers[on].name}): ` +
            `${figures.map((f) => Math.round(f.qps)).join(' / ')} QPS, ` +
            `${figures.map((f) => `${f.statsdPackets} packets ${f.logBytes} log bytes`).join(' / ')}`,
        );
      }
    }
    ctx.telemetrySwitch = {
      dataset: dataset.name,
      concurrency,
      conns: connectionsFor(mode, concurrency),
      turnS,
      roundS,
      warmupS,
      settleS,
      rounds,
      rssMiB: servers.map((s) => processMemory(s.handle.pid)?.rssMiB),
    };
  } finally {
    for (const server of servers) {
      await server.handle?.stop();
      await server.sink?.close();
    }
  }
}

/**
 * Whether a round's StatsD packets and log bytes show the switch took
 * effect: the switched-on server sent packets exactly when its metrics were
 * on and wrote log lines exactly when its level was info, and the quiet one
 * did neither.
 */
function switchConfirmed(config, on, figures) {
  const { log_level, metrics } = TELEMETRY_CONFIGS[config];
  return figures.every((f, i) => {
    const expectMetrics = i === on && metrics;
    const expectLogs = i === on && log_level === 'info';
    return f.statsdPackets > 0 === expectMetrics && f.logBytes > 0 === expectLogs;
  });
}

/** A file's size in bytes, 0 when it is not there yet. */
export function fileSize(file) {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

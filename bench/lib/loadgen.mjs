import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { goBinary } from './ghz.mjs';

/**
 * The path of the bench's own gRPC load generator (bench/loadgen), built with
 * `go build` into `${cacheDir}/bin` under a name carrying a hash of its
 * sources: built once per version of the sources, reused otherwise.
 */
export async function ensureLoadgen({ repoRoot, cacheDir, processes }) {
  const source = join(repoRoot, 'bench', 'loadgen');
  const files = readdirSync(source)
    .filter((name) => name === 'go.mod' || name === 'go.sum' || name.endsWith('.go'))
    .sort();
  const hash = createHash('sha256');
  for (const name of files) hash.update(`${name}\0`).update(readFileSync(join(source, name)));
  const bin = join(cacheDir, 'bin');
  const loadgen = join(bin, `loadgen-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(loadgen)) return loadgen;
  mkdirSync(bin, { recursive: true });
  const partial = `${loadgen}.${process.pid}.tmp`; // an interrupted build never passes for a finished one
  await processes.run(goBinary(), ['build', '-o', partial, '.'], {
    cwd: source,
    env: { ...process.env, GOFLAGS: '-mod=mod' },
    timeoutMs: 600_000,
    label: 'go build loadgen',
  });
  renameSync(partial, loadgen);
  return loadgen;
}

/**
 * Writes `messages` (serialized protobuf requests, Uint8Arrays) as the
 * request file loadgen reads: one base64 line per message, used round-robin.
 * Returns `file`.
 */
export function writeRequestFile(file, messages) {
  if (messages.length === 0) throw new Error(`${file}: no requests to write`);
  const lines = messages.map((m) => Buffer.from(m.buffer, m.byteOffset, m.byteLength).toString('base64'));
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/**
 * The loadgen arguments of one closed-loop (or, with `rps`, fixed-rate) run
 * of `method` (a SearchService method name such as `Search`, or a full path
 * `/package.Service/Method`): requests round-robin from `requestFile`,
 * `concurrency` calls in flight over `conns` HTTP/2 connections, a warm-up of
 * `warmupS` seconds that is not counted, then `durationS` measured seconds.
 * Calls still in flight when the time is up are left out of the tally.
 * `address` may list several targets (comma-separated, with as many
 * `serverPid`s): they take turns of `sliceS` seconds (see runLoadgen).
 */
export function loadgenArgs({
  method,
  requestFile,
  address,
  concurrency,
  durationS,
  warmupS = 0,
  rps,
  conns = 1,
  timeoutS = 10,
  serverPid,
  sliceS,
}) {
  const path = method.startsWith('/') ? method : `/geosearch.v1.SearchService/${method}`;
  return [
    '-addr',
    address,
    '-method',
    path,
    '-requests',
    requestFile,
    '-c',
    String(concurrency),
    '-conns',
    String(conns),
    '-d',
    `${durationS}s`,
    '-warmup',
    `${warmupS}s`,
    '-timeout',
    `${timeoutS}s`,
    ...(rps ? ['-rps', String(rps)] : []),
    ...(serverPid ? ['-server-pid', String(serverPid)] : []),
    ...(sliceS ? ['-slice', `${sliceS}s`] : []),
  ];
}

/**
 * Runs loadgen and returns what `runGhz` returns (QPS, p50/p99 in ms, calls,
 * failed calls, up to three error messages) plus `cpuS`, the CPU seconds
 * loadgen itself used in the measured window, and `serverCpuS`, the server's
 * (all its threads) in the same window when `-server-pid` was given. Rejects
 * when no call succeeded. With several targets taking turns: `{ targets }`,
 * one such result per target (QPS over its own turns; `cpuS` is loadgen's
 * for the whole window in each).
 */
export async function runLoadgen({ bin, processes, args, timeoutMs }) {
  const { stdout } = await processes.run(bin, args, { label: 'loadgen', timeoutMs });
  const report = JSON.parse(stdout);
  return report.targets ? { targets: report.targets.map(loadgenResult) } : loadgenResult(report);
}

/** One target's figures from loadgen's report. */
function loadgenResult(report) {
  return {
    address: report.addr,
    qps: report.qps,
    p50: report.latencyMs?.p50 ?? Number.NaN,
    p99: report.latencyMs?.p99 ?? Number.NaN,
    requests: report.requests,
    errors: report.requests - report.ok,
    errorKinds: report.errors,
    cpuS: report.cpuUserS + report.cpuSysS,
    serverCpuS: report.serverCpuS,
  };
}

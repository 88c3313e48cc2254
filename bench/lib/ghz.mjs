import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** The ghz release the bench builds (Apache-2.0). */
export const ghzModule = 'github.com/bojand/ghz';
export const ghzVersion = 'v0.120.0';

/** The go binary: `GEOSEARCH_GO`, else /usr/local/go/bin/go when present, else `go` on the PATH. */
export const goBinary = () =>
  process.env.GEOSEARCH_GO ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go');

/**
 * The path of ghz in `${cacheDir}/bin`, built with `go install` from the Go
 * module proxy the first time (or when the cached binary is another version).
 */
export async function ensureGhz({ cacheDir, processes }) {
  const bin = join(cacheDir, 'bin');
  const ghz = join(bin, 'ghz');
  if (existsSync(ghz)) {
    const built = await processes
      .run(goBinary(), ['version', '-m', ghz], { label: 'go version -m', timeoutMs: 30_000 })
      .then(({ stdout }) => stdout.match(/^\s*mod\s+\S+\s+(\S+)/m)?.[1])
      .catch(() => ghzVersion); // no Go here: trust the cached binary
    if (built === ghzVersion) return ghz;
  }
  mkdirSync(bin, { recursive: true });
  process.stderr.write(`bench: building ghz ${ghzVersion} into ${bin} (once; takes a few minutes)\n`);
  await processes.run(goBinary(), ['install', `${ghzModule}/cmd/ghz@${ghzVersion}`], {
    env: { ...process.env, GOBIN: bin, GOFLAGS: '-mod=mod' },
    timeoutMs: 1_200_000,
    label: 'go install ghz',
  });
  return ghz;
}

/** Builds the descriptor set of proto/ (imports included) that ghz reads with --protoset. */
export async function buildProtoset({ repoRoot, processes, out }) {
  await processes.run(join(repoRoot, 'node_modules', '.bin', 'buf'), ['build', '-o', out], {
    cwd: repoRoot,
    label: 'buf build',
    timeoutMs: 120_000,
  });
  return out;
}

/**
 * The ghz arguments of one closed-loop (or, with `rps`, fixed-rate) run:
 * requests taken round-robin from the JSON array in `dataFile`, for
 * `durationS` seconds, over `conns` HTTP/2 connections. Calls still in flight when
 * the time is up are left out of the tally. (ghz 0.120 ignores `-n` when a
 * duration is given, so the bound is the duration, and `runGhz`'s hard
 * timeout behind it.)
 */
export function ghzArgs({ protoset, method, dataFile, address, concurrency, conns = 1, durationS, rps }) {
  return [
    '--insecure',
    '--protoset',
    protoset,
    '--call',
    `geosearch.v1.SearchService.${method}`,
    '-D',
    dataFile,
    '-c',
    String(concurrency),
    '-z',
    `${durationS}s`,
    '--duration-stop',
    'ignore',
    '-t',
    '10s',
    '--connections',
    String(conns),
    ...(rps ? ['--rps', String(rps)] : []),
    '-O',
    'json',
    address,
  ];
}

/** Runs ghz and returns QPS, p50/p99 in ms and the error count from its JSON report. */
export async function runGhz({ ghz, processes, args, timeoutMs }) {
  const { stdout } = await processes.run(ghz, args, { label: 'ghz', timeoutMs });
  const report = JSON.parse(stdout);
  const percentile = (p) => {
    const entry = (report.latencyDistribution ?? []).find((d) => d.percentage === p);
    return entry ? entry.latency / 1e6 : Number.NaN;
  };
  const statuses = report.statusCodeDistribution ?? {};
  const ok = statuses.OK ?? 0;
  const total = Object.values(statuses).reduce((sum, n) => sum + n, 0);
  return {
    qps: report.rps,
    p50: percentile(50),
    p99: percentile(99),
    requests: total,
    errors: total - ok,
    errorKinds: Object.keys(report.errorDistribution ?? {}).slice(0, 3),
  };
}

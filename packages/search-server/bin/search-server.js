#!/usr/bin/env -S MALLOC_ARENA_MAX=1 node --max-semi-space-size=8 --max-old-space-size=1024 --no-allocation-site-pretenuring --expose-gc --heap-growing-percent=20
// V8 semi-spaces (the young generation) capped at 8 MiB: measured at 32 calls in flight, resident memory
// levels off near 220 MiB instead of 330 MiB with V8's default, at the same throughput. The old generation
// capped at 1 GiB: with a limit of 1 GiB or less V8 grows the heap by smaller steps between full
// collections; at 32 in flight RSS levels off near 170 MiB instead of 240-250 MiB (the default limit on a
// 24 GiB machine is several GiB), at the same CPU per call (550 against 553 µs). The live heap under load
// is about 40 MiB; one ImportThings message of 63 MB (max_message_bytes at its highest, 14 polygons of
// 200,000 vertices) peaked at 596 MiB RSS and was answered. Allocation-site pretenuring off: with it, every
// scavenge copied and promoted ~1 MB and took ~2 ms instead of 0.4 (in every one of 5 starts of this server,
// in 10 of 30 of a bare grpc-js echo; at 4 in flight never with a bare node:http2 server), most likely because V8 came to
// allocate grpc-js's per-call objects straight into the old generation, where, dead, they kept each later
// call's young objects alive (measured at 4 calls in flight on 100k polygons: p99 4.3-4.7 ms with it,
// 3.2-4.0 without; +5-8 % QPS at 4 and at 32). With pretenuring on, the server still fell into that state in
// one of two starts after each HTTP/2 session's stream map was replaced (src/rpc/http2-stream-tables.ts).
// `gc()` exposed: the server runs one full collection right after each full load of its point index, whose
// garbage an idle server otherwise kept (100k polygons: RSS 160-176 MiB before, 128-136 MiB after).
// The old generation's next limit at 1.2 times what survived the last full collection (V8 picks up to 4
// times on a small heap): at 32 in flight on 100k polygons, 5 interleaved pairs of 30-40 s, RSS 173.6-175.7
// against 179.4-188.1 MiB, at the same QPS (13,222 against 13,230) and CPU per call (78 µs). It cost 6 % of
// QPS while finished calls were still being promoted (full collections 4 a second instead of 0.7), before
// the server replaced each HTTP/2 session's stream map.
// MALLOC_ARENA_MAX=1: glibc's malloc keeps one arena instead of one per thread that allocates (V8's
// compiler and GC workers, libuv's pool); on 100k polygons the five extra arenas held 8.7 MB of freed memory
// (in use: 0.3 MB) once the point index had loaded. Measured, 3 interleaved starts each: RSS idle 125.5-126.1
// against 132.9-135.9 MB, peak under load 178-184 against 186-189 MB; QPS at 32 in flight 11,940-12,379
// against 11,321-11,759 (3 interleaved pairs of 8 s), at 4 the same. No effect outside glibc.
// MALLOC_MMAP_THRESHOLD_=8192, with PostgreSQL (a database URL in DATABASE_URL, GEOSEARCH_DATABASE_URL or
// --database-url): glibc's malloc gives every allocation of 8 KiB or more its own mapping, returned to the system
// when freed (by default the threshold starts at 128 KiB and rises to the largest such block freed). The point
// index's load passes through many short-lived buffers (socket reads of up to 64 KiB, Buffer pools) whose freed
// space otherwise stayed in the heap between longer-lived blocks: on 100k polygons, RSS idle 96.5-96.9 against
// 99.3-101.4 MB and peak under load 138-141 against 151-153 MB; QPS and the server's CPU per call the same within
// the spread (3 interleaved starts, 6 s at 4 and at 32 in flight). Not with embedded PGlite: its start (WebAssembly
// compilation, many such blocks) took 2.7-3.2 s with it against 2.2-2.8 s without (existing data folder, 3-4
// interleaved starts). glibc reads the setting when the process starts, so the bin starts itself again with it
// (process.execve: same process id; the first Search 353-472 against 270-329 ms after the start, 4 interleaved
// starts); a MALLOC_MMAP_THRESHOLD_ already set is left as it is.
// To change any of these, run `node <flags> bin/search-server.js` (with your own environment).
import module from 'node:module';
import { fileURLToPath } from 'node:url';

/** Whether the configuration names a PostgreSQL database (flags as the server reads them). */
function usesPostgres(args, env) {
  if (env.DATABASE_URL || env.GEOSEARCH_DATABASE_URL) return true;
  return args.some((arg, i) =>
    arg.startsWith('--database-url=') || arg.startsWith('--database_url=')
      ? arg.length > arg.indexOf('=') + 1
      : (arg === '--database-url' || arg === '--database_url') && !(args[i + 1] ?? '--').startsWith('--'),
  );
}

const args = process.argv.slice(2);
// process.execve is in Node from 22.15 and 23.11; on an older Node the bin runs without the threshold.
if (
  typeof process.execve === 'function' &&
  process.env.MALLOC_MMAP_THRESHOLD_ === undefined &&
  usesPostgres(args, process.env)
) {
  const script = fileURLToPath(import.meta.url);
  process.execve(process.execPath, [process.execPath, ...process.execArgv, script, ...args], {
    ...process.env,
    MALLOC_MMAP_THRESHOLD_: '8192',
  });
}

// Compiled code is cached on disk (NODE_COMPILE_CACHE, else a folder in the OS temporary directory):
// later starts skip most of the module compilation. Best effort; nothing changes if it cannot.
module.enableCompileCache();
// The bundle of dist/ (scripts/bundle.mjs): one file to load, most of a cold start otherwise.
const { main } = module.createRequire(import.meta.url)('../dist/bundle/search-server.cjs');

main(args, process.env).catch((error) => {
  process.stderr.write(`search-server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

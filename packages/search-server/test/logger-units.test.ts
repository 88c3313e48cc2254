import { afterEach, expect, it, vi } from 'vitest';
import { batchLines, type CallLine, createLogger, isoTimestamp } from '../src/telemetry/logger.js';

// The stdout batching of the logger, against an in-memory target recording the bytes it is handed.
function recordingTarget() {
  const buffers: Buffer[] = [];
  let flushes = 0;
  let syncFlushes = 0;
  return {
    get chunks() {
      return buffers.map((chunk) => chunk.toString('utf8'));
    },
    sizes: () => buffers.map((chunk) => chunk.length),
    counts: () => ({ flushes, syncFlushes }),
    write: (chunk: Buffer) => {
      // A copy: the batcher may reuse what it handed over only once the target is done with it.
      buffers.push(Buffer.from(chunk));
    },
    flush: (callback?: (error?: Error) => void) => {
      flushes++;
      callback?.();
    },
    flushSync: () => {
      syncFlushes++;
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

it('hands lines over as UTF-8 in batches of up to 64 KiB, in order, and the rest on flush', () => {
  const target = recordingTarget();
  const batched = batchLines(target);
  const lines = Array.from({ length: 1500 }, (_, i) => `{"n":${i},"pad":"${'x\u00e9\u2713'.repeat(30)}"}\n`);
  for (const line of lines) batched.write(line);
  expect(target.sizes().length).toBe(4); // 298,890 bytes of lines
  // A line of up to 110 characters reserves 330 bytes: a batch is handed over when that much would not fit.
  expect(target.sizes().every((size) => size <= 65536 && size > 65536 - 330)).toBe(true);
  batched.flush();
  expect(target.chunks.join('')).toBe(lines.join(''));
  expect(target.counts().flushes).toBe(1);
  batched.close();
});

it('hands a line longer than a batch over whole, between the lines around it', () => {
  const target = recordingTarget();
  const batched = batchLines(target);
  const long = `${'\u2713'.repeat(40_000)}\n`; // 120,001 bytes
  batched.write('a\n');
  batched.write(long);
  batched.write('b\n');
  batched.flush();
  expect(target.chunks).toEqual(['a\n', long, 'b\n']);
  batched.close();
});

it('hands a lone line over within about 100 ms, without a flush', () => {
  vi.useFakeTimers();
  const target = recordingTarget();
  const batched = batchLines(target);
  batched.write('one\n');
  expect(target.chunks).toEqual([]);
  vi.advanceTimersByTime(100);
  expect(target.chunks).toEqual(['one\n']);
  batched.close();
});

it('writes lines straight through after close, and flushSync writes what is pending', () => {
  const target = recordingTarget();
  const batched = batchLines(target);
  batched.write('a\n');
  batched.flushSync();
  expect(target.chunks).toEqual(['a\n']);
  expect(target.counts().syncFlushes).toBe(1);
  batched.write('b\n');
  batched.close();
  expect(target.chunks).toEqual(['a\n', 'b\n']);
  batched.write('c\n');
  expect(target.chunks).toEqual(['a\n', 'b\n', 'c\n']);
});

it('formats the time field as Date#toISOString does, across seconds and millisecond widths', () => {
  vi.useFakeTimers();
  for (const at of [
    Date.UTC(2026, 10, 29, 16, 19, 15, 313),
    Date.UTC(2026, 10, 29, 16, 19, 15, 7),
    Date.UTC(2026, 10, 29, 16, 19, 15, 42),
    Date.UTC(2026, 10, 29, 16, 19, 16, 0),
    Date.UTC(2026, 11, 31, 23, 59, 59, 999),
    Date.UTC(2027, 0, 1, 0, 0, 0, 0),
  ]) {
    vi.setSystemTime(at);
    expect(isoTimestamp()).toBe(`,"time":"${new Date(at).toISOString()}"`);
  }
});

// The per-call line is built by hand; it must be the line pino writes for the same fields, byte for byte.
const callLineCases: CallLine[] = [
  {
    method: '/geosearch.v1.SearchService/Search',
    status: 'OK',
    durationMs: 0.123,
    peer: '127.0.0.1:4242',
    requestId: '0b9a7c2e-5d1f-4e38-9a77-2f0c3d4e5f60',
  },
  {
    method: '/geosearch.v1.SearchService/Nearby',
    status: 16,
    durationMs: 12,
    peer: '[::1]:5',
    requestId: 'quote " backslash \\ tab \t nl \n',
  },
  {
    method: '/m',
    status: 'INVALID_ARGUMENT',
    durationMs: Number.NaN,
    peer: '',
    requestId: 'ünïcödé ✓ \u2028 end',
  },
  { method: '/m', status: 'OK', durationMs: 1e21, peer: 'p', requestId: 'x'.repeat(300) },
  // Durations with more than three decimals, negative, and past the table's range.
  { method: '/m', status: 'OK', durationMs: 0.1234, peer: 'p', requestId: 'r' },
  { method: '/m', status: 'OK', durationMs: -0.5, peer: 'p', requestId: 'r' },
  { method: '/m', status: 'OK', durationMs: 1e9 + 0.5, peer: 'p', requestId: 'r' },
  // Texts kept per method and status, and for the last peer: the same method with other statuses (a
  // number after names), a peer seen before, and peers with characters JSON escapes.
  { method: '/m', status: 16, durationMs: 1, peer: '127.0.0.1:4242', requestId: 'r' },
  { method: '/m', status: 'INVALID_ARGUMENT', durationMs: 2, peer: '127.0.0.1:4242', requestId: 'r' },
  {
    method: '/geosearch.v1.SearchService/Search',
    status: 16,
    durationMs: 3,
    peer: 'q"\\\u00e9',
    requestId: 'r',
  },
  { method: '/geosearch.v1.SearchService/Search', status: 'OK', durationMs: 4, peer: 'p', requestId: 'r' },
  {
    method: '/geosearch.v1.SearchService/Search',
    status: 'OK',
    durationMs: 5,
    peer: 'q"\\\u00e9',
    requestId: 'r',
  },
  // Durations digit by digit: fractions with trailing zeros, whole numbers, and from 0 to 10^9.
  ...[0, 0.001, 0.01, 0.05, 0.1, 0.5, 0.12, 0.102, 1.5, 9.999, 10, 99.01, 12345.678, 999999999.999].map(
    (durationMs) => ({ method: '/m', status: 'OK', durationMs, peer: 'p', requestId: 'r' }),
  ),
];

it('writes the call line exactly as pino does, to every destination, and only at info or below', () => {
  vi.useFakeTimers({ now: new Date('2026-11-29T12:34:56.789Z'), toFake: ['Date'] });
  const stdout: string[] = [];
  const shipped: string[] = [];
  const logger = createLogger({
    level: 'info',
    service: 'search "svc"',
    instanceId: 'i-\u00e9\\1',
    destination: { write: (line: string) => stdout.push(line) },
    extraStreams: [{ write: (line: string) => shipped.push(line) }],
  });
  const cases = callLineCases;
  for (const fields of cases) {
    logger.log.info({ ...fields }, 'call');
    logger.call(fields);
  }
  expect(stdout).toHaveLength(cases.length * 2);
  for (let i = 0; i < cases.length; i++) {
    expect(stdout[2 * i + 1]).toBe(stdout[2 * i]);
    expect(JSON.parse(stdout[2 * i + 1] as string)).toMatchObject({
      level: 'info',
      msg: 'call',
      method: cases[i]?.method,
    });
  }
  expect(shipped).toEqual(stdout);
  logger.setLevel('warn');
  logger.call(cases[0] as CallLine);
  expect(stdout).toHaveLength(cases.length * 2);
});

it('encodes the call line into the stdout batch exactly as pino writes it there, across milliseconds', async () => {
  const target = recordingTarget();
  const logger = createLogger({
    level: 'info',
    service: 'search "svc"',
    instanceId: 'i-\u00e9\\1',
    batchTarget: target,
  });
  vi.useFakeTimers({ toFake: ['Date'] });
  const times = [
    Date.UTC(2026, 10, 29, 12, 34, 56, 789),
    Date.UTC(2026, 10, 29, 12, 34, 57, 5),
    Date.UTC(2026, 10, 29, 12, 34, 57, 40),
  ];
  for (const [i, fields] of callLineCases.entries()) {
    vi.setSystemTime(times[i % times.length] as number);
    logger.log.info({ ...fields }, 'call');
    logger.call(fields);
  }
  await logger.close();
  const lines = target.chunks.join('').split('\n');
  expect(lines.pop()).toBe('');
  expect(lines).toHaveLength(callLineCases.length * 2);
  for (let i = 0; i < lines.length; i += 2) expect(lines[i + 1]).toBe(lines[i]);
});

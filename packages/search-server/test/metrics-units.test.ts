import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createMetrics } from '../src/telemetry/metrics.js';

// The metrics client against a UDP socket of the test (the real StatsD daemon is in metrics.test.ts):
// what goes on the wire, line by line.
let socket: Socket;
let lines: string[];
let packets: Buffer[];

beforeEach(async () => {
  lines = [];
  packets = [];
  socket = createSocket('udp4');
  socket.on('message', (packet) => {
    packets.push(packet);
    lines.push(...packet.toString('utf8').split('\n').filter(Boolean));
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
});
afterEach(() => socket.close());

const target = () => `127.0.0.1:${(socket.address() as AddressInfo).port}`;
const received = async (count: number) => {
  for (let i = 0; i < 100 && lines.length < count; i++) await new Promise((r) => setTimeout(r, 20));
  return lines;
};

it('sums counters in process and sends one line per name; timers go out one line per sample', async () => {
  const metrics = createMetrics({ target: target(), prefix: 'gs.', sampleRate: 1, onError: () => {} });
  for (let i = 0; i < 250; i++) metrics.increment('search_count');
  metrics.increment('search.status.OK', 249);
  metrics.increment('search.status.NOT_FOUND');
  metrics.timing('search', 1.5);
  metrics.timing('search', 2.5);
  metrics.gauge('calls_in_flight', 3);
  await metrics.close();
  expect((await received(6)).sort()).toEqual(
    [
      'gs.search_count:250|c',
      'gs.search.status.OK:249|c',
      'gs.search.status.NOT_FOUND:1|c',
      'gs.search:1.5|ms',
      'gs.search:2.5|ms',
      'gs.calls_in_flight:3|g',
    ].sort(),
  );
});

it('sends every timer sample as its own line, with the sample rate, before close and after 256 samples', async () => {
  const metrics = createMetrics({ target: target(), prefix: 'gs.', sampleRate: 1, onError: () => {} });
  try {
    for (let i = 0; i < 256; i++) metrics.timing('search', i / 1000 + 0.0004);
    // Sent without waiting for a flush: the 256th sample sends the batch.
    const seen = await received(256);
    expect(seen).toHaveLength(256);
    expect(seen[0]).toBe('gs.search:0|ms');
    expect(seen[255]).toBe('gs.search:0.255|ms');
    lines.length = 0;
    metrics.configure({ sampleRate: 0.999_999 });
    metrics.timing('search', 2);
    metrics.configure({ sampleRate: 1 });
    metrics.timing('search', 3);
  } finally {
    await metrics.close();
  }
  const rest = await received(2);
  // A sample taken at a rate below 1 is sent with it, even after the rate changed back.
  expect(rest.filter((line) => line !== 'gs.search:2|ms|@0.999999').sort()).toEqual(['gs.search:3|ms']);
});

it('sends what was counted under the old prefix before a prefix change', async () => {
  const metrics = createMetrics({ target: target(), prefix: 'old.', sampleRate: 1, onError: () => {} });
  metrics.increment('search_count', 2);
  metrics.configure({ prefix: 'new.' });
  metrics.increment('search_count', 3);
  await metrics.close();
  expect((await received(2)).sort()).toEqual(['new.search_count:3|c', 'old.search_count:2|c']);
});

it('sends summed counters about once a second without waiting for close', async () => {
  const metrics = createMetrics({ target: target(), prefix: '', sampleRate: 1, onError: () => {} });
  try {
    metrics.increment('a');
    metrics.increment('a');
    expect(await received(1)).toEqual(['a:2|c']);
  } finally {
    await metrics.close();
  }
});

it('sends timer samples as String writes them rounded to microseconds, packed into datagrams of up to the limit', async () => {
  // A prefix with a two-byte character: datagrams are counted in bytes.
  for (const [prefix, sampleRate] of [
    ['gs.', 1],
    ['g\u00e9.', 1],
    ['gs.', 0.999_999_9],
  ] as const) {
    lines.length = 0;
    packets.length = 0;
    const metrics = createMetrics({
      target: target(),
      prefix,
      sampleRate,
      maxDatagram: 1400,
      onError: () => {},
    });
    // Below the 256 that send a batch early: all go out on close, in one run of datagrams.
    const samples = Array.from({ length: 255 }, (_, i) => (i % 3 === 0 ? i * 1000 : i) * Math.random());
    samples.push(0, 0.0004, 0.0005, 12, 1e21, -1.5);
    const suffix = sampleRate < 1 ? `|ms|@${sampleRate}` : '|ms';
    try {
      for (const sample of samples) metrics.timing('search', sample);
    } finally {
      await metrics.close();
    }
    // With a rate below 1 a few samples are left out at random: the lines sent are a subsequence.
    const expected = samples.map((sample) => `${prefix}search:${Math.round(sample * 1000) / 1000}${suffix}`);
    const seen = await received(sampleRate < 1 ? samples.length - 1 : samples.length);
    if (sampleRate === 1) expect(seen).toEqual(expected);
    else expect(seen.every((line) => expected.includes(line))).toBe(true);
    for (const [i, packet] of packets.entries()) {
      expect(packet.length).toBeLessThanOrEqual(1400);
      // Each datagram as full as hot-shots makes them: the next one's first line did not fit.
      const next = packets[i + 1];
      if (next !== undefined) {
        const firstLine = next.subarray(0, next.includes(10) ? next.indexOf(10) : next.length);
        expect(packet.length + 1 + firstLine.length).toBeGreaterThan(1400);
      }
    }
    expect(packets.length).toBeGreaterThan(3);
  }
});

it('packs datagrams of up to 1,400 bytes by default, and up to maxDatagram when given', async () => {
  for (const [maxDatagram, limit] of [
    [undefined, 1400],
    [8192, 8192],
  ] as const) {
    lines.length = 0;
    packets.length = 0;
    const metrics = createMetrics({
      target: target(),
      prefix: 'gs.',
      sampleRate: 1,
      onError: () => {},
      ...(maxDatagram === undefined ? {} : { maxDatagram }),
    });
    try {
      // 600 samples of about 18 bytes a line: batches of 256 fill several datagrams of 1,400 bytes, or part of one of 8 KiB.
      for (let i = 0; i < 600; i++) metrics.timing('search', 1 + i / 1000);
    } finally {
      await metrics.close();
    }
    expect(await received(600)).toHaveLength(600);
    const largest = Math.max(...packets.map((packet) => packet.length));
    expect(largest).toBeLessThanOrEqual(limit);
    expect(largest).toBeGreaterThan(limit === 1400 ? 1300 : 1400);
  }
});

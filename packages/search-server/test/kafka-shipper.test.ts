import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/kafka/backoff.js';
import { createMemorySink } from '../src/kafka/memory-sink.js';
import type { RecordSink, SinkRecord } from '../src/kafka/record-sink.js';
import { createShipper, type OutageEvent, type Shipper, type ShipperOptions } from '../src/kafka/shipper.js';

const fast = { lingerMs: 0, retry: { initialMs: 5, maxMs: 20 } } as const;

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function balanced(shipper: Shipper): boolean {
  const s = shipper.stats();
  return s.emitted === s.delivered + s.dropped + s.buffered;
}

const seqs = (records: readonly SinkRecord[]) =>
  records.map((r) => (JSON.parse(r.value) as { seq: number }).seq);

function shipperWith(sink: RecordSink, options: Partial<ShipperOptions> = {}): Shipper {
  return createShipper({ topic: 't', sink, maxRecords: 1_000, maxBytes: 1 << 20, ...fast, ...options });
}

describe('shipper', () => {
  it('sends records in order with a seq field first, the given key or the default key', async () => {
    const sink = createMemorySink();
    const shipper = shipperWith(sink, { defaultKey: () => 'instance-1' });
    expect(shipper.append(undefined, '{"msg":"a"}')).toBe(1);
    expect(shipper.append('thing-7', '{"msg":"b","n":2}')).toBe(2);
    shipper.append(undefined, '{}');
    shipper.start();
    await waitFor(() => shipper.stats().delivered === 3);
    expect(sink.records).toEqual([
      { topic: 't', key: 'instance-1', value: '{"seq":1,"msg":"a"}' },
      { topic: 't', key: 'thing-7', value: '{"seq":2,"msg":"b","n":2}' },
      { topic: 't', key: 'instance-1', value: '{"seq":3}' },
    ]);
    expect(shipper.stats()).toMatchObject({ emitted: 3, delivered: 3, dropped: 0, buffered: 0 });
    await shipper.close();
  });

  it('holds records while the sink is down and delivers the backlog when it returns', async () => {
    const sink = createMemorySink();
    sink.setDown(true);
    const events: OutageEvent[] = [];
    const shipper = shipperWith(sink, { onOutage: (e) => events.push(e) });
    shipper.start();
    for (let i = 0; i < 200; i++) shipper.append(undefined, `{"i":${i}}`);
    await waitFor(() => shipper.stats().failedSends >= 3);
    expect(shipper.stats()).toMatchObject({ emitted: 200, delivered: 0, dropped: 0, buffered: 200 });
    expect(events.map((e) => e.kind)).toEqual(['failing']);
    sink.setDown(false);
    await waitFor(() => shipper.stats().delivered === 200);
    expect(seqs(sink.records)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    await waitFor(() => events.length === 3);
    expect(events.map((e) => e.kind)).toEqual(['failing', 'recovered', 'caught-up']);
    expect(events[2]).toMatchObject({ delivered: 200 });
    expect(balanced(shipper)).toBe(true);
    await shipper.close();
  });

  it('drops the oldest records when full, counts them, and stays within its limits', async () => {
    const sink = createMemorySink();
    sink.setDown(true);
    const shipper = shipperWith(sink, { maxRecords: 100, batchRecords: 10 });
    shipper.start();
    for (let i = 0; i < 1_000; i++) {
      shipper.append(undefined, `{"i":${i}}`);
      expect(shipper.stats().buffered).toBeLessThanOrEqual(100);
      expect(balanced(shipper)).toBe(true);
      if (i % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(shipper.stats()).toMatchObject({ emitted: 1_000, dropped: 900, buffered: 100 });
    sink.setDown(false);
    await waitFor(() => shipper.stats().buffered === 0);
    // Whatever survived is the newest, in order (a batch being sent when the buffer filled is kept).
    const delivered = seqs(sink.records);
    expect(delivered).toHaveLength(100);
    expect(delivered.at(-1)).toBe(1_000);
    expect(delivered).toEqual([...delivered].sort((a, b) => a - b));
    expect(shipper.stats()).toMatchObject({ delivered: 100, dropped: 900 });
    await shipper.close();
  });

  it('bounds the bytes held too', async () => {
    const sink = createMemorySink();
    sink.setDown(true);
    const shipper = shipperWith(sink, { maxBytes: 10_000 });
    const line = `{"pad":"${'x'.repeat(90)}"}`; // ~110 bytes with seq
    for (let i = 0; i < 1_000; i++) shipper.append('k', line);
    const stats = shipper.stats();
    expect(stats.bufferedBytes).toBeLessThanOrEqual(10_000);
    expect(stats.buffered).toBeGreaterThan(80);
    expect(stats.dropped).toBe(1_000 - stats.buffered);
    await shipper.close();
  });

  it('never drops records while the sink holds them, so delivered counts stay exact', async () => {
    const sink = createMemorySink();
    sink.setDelay(100);
    const shipper = shipperWith(sink, { maxRecords: 20, batchRecords: 10 });
    for (let i = 0; i < 10; i++) shipper.append(undefined, '{}');
    shipper.start();
    await waitFor(() => sink.attempts() === 1);
    for (let i = 0; i < 100; i++) shipper.append(undefined, '{}'); // overflow while batch 1..10 is in flight
    await waitFor(() => shipper.stats().buffered === 0);
    const delivered = seqs(sink.records);
    expect(delivered.slice(0, 10)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(shipper.stats()).toMatchObject({ emitted: 110, delivered: delivered.length });
    expect(shipper.stats().dropped).toBe(110 - delivered.length);
    await shipper.close();
  });

  it('drops a record larger than a batch at once instead of blocking the pipe', async () => {
    const sink = createMemorySink();
    const shipper = shipperWith(sink, { batchBytes: 100 });
    shipper.start();
    shipper.append(undefined, `{"big":"${'x'.repeat(200)}"}`);
    shipper.append(undefined, '{"small":1}');
    await waitFor(() => shipper.stats().delivered === 1);
    expect(shipper.stats()).toMatchObject({ emitted: 2, delivered: 1, dropped: 1, buffered: 0 });
    expect(seqs(sink.records)).toEqual([2]);
    await shipper.close();
  });

  it('flush waits for delivery, and gives up within its bound when the sink is down', async () => {
    const sink = createMemorySink();
    const shipper = shipperWith(sink, { lingerMs: 10_000 });
    shipper.start();
    shipper.append(undefined, '{}');
    expect(await shipper.flush(2_000)).toBe(true); // does not wait out the linger
    sink.setDown(true);
    shipper.append(undefined, '{}');
    const started = Date.now();
    expect(await shipper.flush(300)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(shipper.stats()).toMatchObject({ delivered: 1, buffered: 1 });
    await shipper.close();
  });

  it('is at least once: a send that failed after writing is sent again, and seq finds the duplicates', async () => {
    const records: SinkRecord[] = [];
    let calls = 0;
    const flaky: RecordSink = {
      send: async (batch) => {
        records.push(...batch);
        if (++calls === 1) throw new Error('timed out after the broker wrote it');
      },
      close: async () => {},
    };
    const shipper = shipperWith(flaky);
    for (let i = 0; i < 5; i++) shipper.append(undefined, '{}');
    shipper.start();
    await waitFor(() => shipper.stats().delivered === 5);
    expect(records).toHaveLength(10);
    expect(new Set(seqs(records)).size).toBe(5);
    expect(shipper.stats()).toMatchObject({ emitted: 5, delivered: 5, dropped: 0, buffered: 0 });
    await shipper.close();
  });

  it('gives up on a send that hangs and retries it', async () => {
    let calls = 0;
    const records: SinkRecord[] = [];
    const hanging: RecordSink = {
      send: (batch) => {
        if (++calls === 1) return new Promise(() => {});
        records.push(...batch);
        return Promise.resolve();
      },
      close: async () => {},
    };
    const shipper = shipperWith(hanging, { sendTimeoutMs: 50 });
    shipper.append(undefined, '{}');
    shipper.start();
    await waitFor(() => shipper.stats().delivered === 1);
    expect(calls).toBe(2);
    expect(shipper.stats().failedSends).toBe(1);
    await shipper.close();
  });
});

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap, with jitter between half and all of it', () => {
    const options = { initialMs: 100, maxMs: 5_000 };
    expect(backoffDelay(1, options, () => 1)).toBe(100);
    expect(backoffDelay(2, options, () => 1)).toBe(200);
    expect(backoffDelay(4, options, () => 0)).toBe(400);
    expect(backoffDelay(50, options, () => 1)).toBe(5_000);
    expect(backoffDelay(1_000, options, () => 0)).toBe(2_500);
  });
});

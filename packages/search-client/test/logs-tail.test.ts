import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { SearchServiceDefinition } from '@geosearch/generated';
import { createChannel, createClient, Metadata } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateKafka, startPrivateKafka } from '../../../test/support/private-kafka.js';
import {
  databaseEnv,
  type ServerProcess,
  startServerProcess,
  stopAllServers,
} from '../../../test/support/server-process.js';
import { createDeduper, formatLogRecord, matchesFilter, parseDurationMs } from '../src/logs/log-record.js';
import { cliBin, runCli } from './support/run-cli.js';

describe('log records', () => {
  const record = {
    level: 'info',
    time: '2026-01-01T00:00:00.000Z',
    instance: 'i-1',
    msg: 'call',
    method: '/geosearch.v1.SearchService/Search',
    status: 'OK',
    durationMs: 3.2,
    requestId: 'r-1',
    seq: 7,
  };

  it('prints time, level, instance, message, method, status, duration and request id', () => {
    expect(formatLogRecord(record)).toBe(
      '2026-01-01T00:00:00.000Z INFO  i-1 call /geosearch.v1.SearchService/Search OK 3.2ms req=r-1',
    );
  });

  it('filters by least level and instance', () => {
    expect(matchesFilter(record, { minLevel: 'info' })).toBe(true);
    expect(matchesFilter(record, { minLevel: 'warn' })).toBe(false);
    expect(matchesFilter({ ...record, level: 50 }, { minLevel: 'warn' })).toBe(true);
    expect(matchesFilter(record, { instance: 'i-2' })).toBe(false);
  });

  it('drops a record seen before (same instance and seq) only', () => {
    const fresh = createDeduper();
    expect(fresh(record)).toBe(true);
    expect(fresh(record)).toBe(false);
    expect(fresh({ ...record, instance: 'i-2' })).toBe(true);
    expect(fresh({ ...record, seq: 8 })).toBe(true);
  });

  it('reads durations', () => {
    expect(parseDurationMs('10m')).toBe(600_000);
    expect(parseDurationMs('90s')).toBe(90_000);
    expect(parseDurationMs('ten')).toBeUndefined();
  });
});

// End-to-end: the real server ships to this file's own Kafka broker (scripts/services/kafka, its own run
// folder and free ports); `geosearch logs tail` reads it back.

describe('geosearch logs tail against a real broker', () => {
  let brokers = '';
  let server: ServerProcess;
  let kafka: PrivateKafka;

  beforeAll(async () => {
    kafka = await startPrivateKafka('logs-tail');
    brokers = kafka.brokers;
    server = await startServerProcess({
      env: {
        ...(await databaseEnv('pglite')),
        GEOSEARCH_KAFKA_BROKERS: brokers,
        GEOSEARCH_KAFKA_LINGER_MS: '20',
      },
    });
  }, 300_000);
  afterAll(async () => {
    await stopAllServers();
    await kafka?.close();
  }, 120_000);

  it('prints the call line of a request with its instance, from the beginning, and stops at the end', async () => {
    const channel = createChannel(server.address);
    const client = createClient(SearchServiceDefinition, channel);
    const requestId = `logs-tail-${randomUUID()}`;
    await client.search({ query: 'germany' }, { metadata: Metadata({ 'x-request-id': requestId }) });
    const { instanceId } = await client.monitor({});
    channel.close();

    // Shipping is asynchronous: read until the line has arrived (each run stops at the end it saw).
    const deadline = Date.now() + 60_000;
    let records: Record<string, unknown>[] = [];
    for (;;) {
      const run = await runCli(['logs', 'tail', '--brokers', brokers, '--from-beginning', '--json']);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      records = run.stdout
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      if (records.some((r) => r.requestId === requestId) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(records.find((r) => r.requestId === requestId)).toMatchObject({
      msg: 'call',
      instance: instanceId,
      method: '/geosearch.v1.SearchService/Search',
      status: 'OK',
    });
    const seqs = records.map((r) => `${r.instance} ${r.seq}`);
    expect(new Set(seqs).size).toBe(seqs.length);

    // Filtered and pretty: only warn and above (the call line is info), and only this instance.
    const pretty = await runCli(['logs', 'tail', '--from-beginning', '--instance', instanceId], {
      GEOSEARCH_KAFKA_BROKERS: brokers,
    });
    expect(pretty.code).toBe(0);
    expect(pretty.stdout).toContain(`${instanceId} call /geosearch.v1.SearchService/Search OK`);
    expect(pretty.stdout).toContain(`req=${requestId}`);
    const warnOnly = await runCli([
      'logs',
      'tail',
      '--brokers',
      brokers,
      '--from-beginning',
      '--level',
      'warn',
    ]);
    expect(warnOnly.code).toBe(0);
    expect(warnOnly.stdout).not.toContain(requestId);
    const otherInstance = await runCli([
      'logs',
      'tail',
      '--brokers',
      brokers,
      '--since',
      '1h',
      '--instance',
      'nobody',
    ]);
    expect(otherInstance).toMatchObject({ code: 0, stdout: '' });
  }, 180_000);

  it('--follow prints a record written after it started, and ends on Ctrl-C', async () => {
    const child = spawn(
      process.execPath,
      [cliBin, 'logs', 'tail', '--brokers', brokers, '--follow', '--json'],
      {
        env: { PATH: process.env.PATH ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    const channel = createChannel(server.address);
    const client = createClient(SearchServiceDefinition, channel);
    const requestId = `logs-follow-${randomUUID()}`;
    try {
      // The consumer joins asynchronously: keep calling until one call line shows up.
      const deadline = Date.now() + 60_000;
      while (!stdout.includes(requestId)) {
        if (Date.now() > deadline) throw new Error(`--follow printed no ${requestId}: ${stdout}`);
        await client.search({ query: 'germany' }, { metadata: Metadata({ 'x-request-id': requestId }) });
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      channel.close();
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 120_000);

  it('refuses a bad --since before connecting', async () => {
    const run = await runCli(['logs', 'tail', '--brokers', brokers, '--since', 'soon']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--since: must be a duration/);
  });
});

import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateConsul, startPrivateConsul } from '../../../test/support/private-consul.js';
import { configKeys } from '../../search-server/src/config/schema.js';
import { configValueProblem, liveConfigKeys } from '../src/config-keys/live-config-keys.js';
import { cliBin, runCli } from './support/run-cli.js';

// `geosearch config` against a real Consul agent (scripts/services/consul, dev mode) on ports of its own.

describe('the CLI table of live keys', () => {
  const samples: Record<string, string[]> = {
    log_level: ['info', 'warn', ' debug ', 'loud', '', '30'],
    default_page_size: ['1', '50', '10000', '0', '10001', '2.5', 'abc', '-3'],
    max_page_size: ['1000', '1', '0', '1e9', 'x'],
    max_nearby_limit: ['5', '10000', '10001', '1.5'],
    metrics: ['true', 'false', ' 1 ', '0', 'yes', 'no', 'on', 'True', ''],
    statsd_prefix: ['geosearch.', '', 'a.b.'],
    statsd_sample_rate: ['0', '0.5', '1', '1.01', '-0.1', 'half'],
    kafka_log_level: ['warn', 'silent', 'verbose'],
  };

  it('names only live keys of the server, and covers every live key of the server', () => {
    const serverLive = Object.entries(configKeys)
      .filter(([, k]) => k.live)
      .map(([name]) => name)
      .sort();
    expect(Object.keys(liveConfigKeys).sort()).toEqual(serverLive);
  });

  it.each(Object.keys(liveConfigKeys))('%s accepts and refuses what the server does', (name) => {
    const server = configKeys[name as keyof typeof configKeys].schema;
    const values = samples[name] ?? [];
    expect(values.length).toBeGreaterThan(0);
    for (const value of values) {
      const serverOk = server.safeParse(value.trim()).success;
      const cliOk = configValueProblem(name as keyof typeof liveConfigKeys, value) === undefined;
      expect({ value, ok: cliOk }).toEqual({ value, ok: serverOk });
    }
  });
});

describe('geosearch config against a real agent', () => {
  let agent: PrivateConsul | undefined;
  let addr = '';
  const kvText = async (key: string) => {
    const response = await fetch(`http://${addr}/v1/kv/${key}?raw`, { signal: AbortSignal.timeout(5_000) });
    return response.status === 404 ? undefined : await response.text();
  };
  const cli = (...args: string[]) => runCli(['config', ...args, '--consul', addr]);

  beforeAll(async () => {
    agent = await startPrivateConsul('config-cli');
    addr = agent.addr;
  }, 1_200_000);
  afterAll(async () => {
    await agent?.close().catch(() => {});
  }, 60_000);

  it('sets a key and reads it back, one key or the whole folder', async () => {
    const set = await cli('set', 'max_page_size', '250');
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(await kvText('config/search-service/max_page_size')).toBe('250');
    const get = await cli('get', 'max_page_size');
    expect(get).toMatchObject({ code: 0, stdout: '250\n' });
    const all = await cli('get', '--json');
    expect(JSON.parse(all.stdout)).toMatchObject({ max_page_size: '250' });
    const other = await runCli(['config', 'get', '--service', 'other', '--json', '--consul', addr]);
    expect(JSON.parse(other.stdout)).toEqual({});
    const unset = await cli('get', 'default_page_size', '--json');
    expect(unset.code).toBe(3);
    expect(unset.stderr).toMatch(/config\/search-service\/default_page_size is not set/);
    expect(JSON.parse(unset.stdout)).toMatchObject({ error: { code: 'not_found' } });
  }, 30_000);

  it('refuses an invalid value without writing it, naming the key', async () => {
    const refused = await cli('set', 'statsd_sample_rate', '2');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/statsd_sample_rate: invalid value '2'/);
    expect(await kvText('config/search-service/statsd_sample_rate')).toBeUndefined();
  }, 30_000);

  it('refuses an unknown key listing the known ones, and writes it with --force', async () => {
    const refused = await cli('set', 'no_such_key', '1');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /no_such_key: not a live configuration key \(known: log_level, .*max_page_size/,
    );
    expect(await kvText('config/search-service/no_such_key')).toBeUndefined();
    const forced = await cli('set', 'no_such_key', '1', '--force');
    expect(forced.code).toBe(0);
    expect(await kvText('config/search-service/no_such_key')).toBe('1');
  }, 30_000);

  it('watch prints the folder, then a change made while watching', async () => {
    const child = spawn(
      process.execPath,
      [cliBin, 'config', 'watch', '--prefix', 'config/watched', '--consul', addr],
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
    const waitFor = async (pattern: RegExp) => {
      const deadline = Date.now() + 15_000;
      while (!pattern.test(stdout)) {
        if (Date.now() > deadline) throw new Error(`watch printed no ${pattern}: ${stdout}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await waitFor(/watching config\/watched\//);
      expect((await cli('set', 'log_level', 'debug', '--prefix', 'config/watched')).code).toBe(0);
      await waitFor(/log_level: \(unset\) -> debug/);
      expect((await cli('set', 'log_level', 'warn', '--prefix', 'config/watched')).code).toBe(0);
      await waitFor(/log_level: debug -> warn/);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 60_000);
});

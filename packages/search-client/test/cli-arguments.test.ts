import { describe, expect, it } from 'vitest';
import { joinNegativeNumbers, numberOption, thingKey } from '../src/cli/arguments.js';
import { clientOptionsOf, targetsOf } from '../src/cli/connection-options.js';
import { exitCodeOf } from '../src/cli/exit-codes.js';
import { UsageError } from '../src/cli/usage-error.js';
import { invalidArgument, SearchClientError } from '../src/search-client-error.js';

describe('CLI arguments', () => {
  it('joins negative numbers to their option so parseArgs accepts them', () => {
    const options = { lat: { type: 'string' }, full: { type: 'boolean' } } as const;
    expect(joinNegativeNumbers(['--lat', '-33.9', '--full', '-h'], options)).toEqual([
      '--lat=-33.9',
      '--full',
      '-h',
    ]);
    expect(joinNegativeNumbers(['--lat', '-.5'], options)).toEqual(['--lat=-.5']);
    expect(joinNegativeNumbers(['--lat', '--full'], options)).toEqual(['--lat', '--full']);
  });

  it('parses numbers strictly, naming the option', () => {
    expect(numberOption({ lat: '52.5' }, 'lat')).toBe(52.5);
    expect(numberOption({}, 'lat')).toBeUndefined();
    for (const bad of ['abc', '', 'NaN', 'Infinity', '1e999']) {
      expect(() => numberOption({ lat: bad }, 'lat')).toThrow(/^--lat: must be a number/);
    }
    expect(() => numberOption({ limit: '2.5' }, 'limit', { integer: true })).toThrow(
      /--limit: must be a whole/,
    );
    expect(() => numberOption({ id: '0' }, 'id', { min: 1 })).toThrow(/--id: must be at least 1/);
  });

  it('takes exactly one of --id and --external-id', () => {
    expect(thingKey({ id: '7' })).toEqual({ id: 7 });
    expect(thingKey({ 'external-id': 'x' })).toEqual({ externalId: 'x' });
    expect(() => thingKey({})).toThrow(/--id: either --id or --external-id is required/);
    expect(() => thingKey({ id: '7', 'external-id': 'x' })).toThrow(/not both/);
  });

  it('finds the targets: --target, then GEOSEARCH_TARGET, then the default', () => {
    expect(targetsOf({ target: ['a:1', 'b:2,c:3'] }, { GEOSEARCH_TARGET: 'x:9' })).toEqual([
      'a:1',
      'b:2',
      'c:3',
    ]);
    expect(targetsOf({}, { GEOSEARCH_TARGET: 'x:9' })).toEqual(['x:9']);
    expect(targetsOf({}, {})).toEqual(['127.0.0.1:50051']);
    expect(() => targetsOf({ target: ['nope'] }, {})).toThrow(/--target: 'nope' is not host:port/);
    expect(() => targetsOf({}, { GEOSEARCH_TARGET: 'a:99999' })).toThrow(/GEOSEARCH_TARGET/);
  });

  it('reads TLS files and names a missing one', async () => {
    await expect(clientOptionsOf({ ca: '/nonexistent/ca.pem' }, {})).rejects.toThrow(
      /--ca: cannot read '\/nonexistent\/ca.pem' \(ENOENT\)/,
    );
    expect(await clientOptionsOf({ tls: true, 'deadline-ms': '250' }, {})).toEqual({
      targets: ['127.0.0.1:50051'],
      deadlineMs: 250,
      importDeadlineMs: 250,
      tls: {},
    });
  });

  it('gives each class of failure its exit code', () => {
    const status = (code: SearchClientError['code']) => new SearchClientError(code, 'x', { grpcCode: 0 });
    expect(exitCodeOf(new UsageError('--lat', 'is required'))).toBe(2);
    expect(exitCodeOf(invalidArgument('point.lat', 'bad'))).toBe(2);
    expect(exitCodeOf(status('not_found'))).toBe(3);
    expect(exitCodeOf(status('unavailable'))).toBe(4);
    expect(exitCodeOf(status('deadline_exceeded'))).toBe(5);
    expect(exitCodeOf(status('internal'))).toBe(1);
    expect(exitCodeOf(new Error('boom'))).toBe(1);
  });
});

import { Metadata, Status } from 'nice-grpc-common';
import { describe, expect, it } from 'vitest';
import { errorCodes as coreErrorCodes } from '../../search-core/src/errors.js';
import { statusOfCode } from '../../search-server/src/rpc/status.js';
import { codeOfStatus, errorCodes } from '../src/error-codes.js';
import { errorFromCall, parseViolations } from '../src/search-client-error.js';

describe('the error-code catalogue, both ways', () => {
  it('maps every core code to its server status and back to the same code', () => {
    for (const code of coreErrorCodes) {
      const status = statusOfCode[code];
      expect(status, code).toBeTypeOf('number');
      expect(codeOfStatus(status), `${code} -> ${Status[status]}`).toBe(code);
    }
  });

  it('knows every core code, and no other code except unknown', () => {
    expect(errorCodes.filter((c) => c !== 'unknown')).toEqual([...coreErrorCodes]);
  });

  it('maps each status the server uses back to exactly one code, and the rest to unknown', () => {
    const used = new Set<number>(Object.values(statusOfCode));
    expect(used.size).toBe(coreErrorCodes.length);
    for (const status of Object.values(Status).filter((s): s is number => typeof s === 'number')) {
      if (status === Status.OK) continue;
      const code = codeOfStatus(status);
      if (used.has(status)) expect(statusOfCode[code as keyof typeof statusOfCode]).toBe(status);
      else expect(code, Status[status]).toBe('unknown');
    }
  });
});

describe('errorFromCall', () => {
  const call = { method: 'Search', target: 'h:1' };

  it('takes the code from the trailer when present, and the violations', () => {
    const trailer = Metadata({
      'geosearch-error-code': 'invalid_argument',
      'geosearch-violations': JSON.stringify([{ field: 'point.lat', reason: 'must be a number' }]),
    });
    const error = errorFromCall({
      ...call,
      grpcCode: Status.INVALID_ARGUMENT,
      details: 'point.lat: x',
      trailer,
    });
    expect(error).toMatchObject({
      name: 'SearchClientError',
      code: 'invalid_argument',
      grpcCode: 3,
      details: 'point.lat: x',
      message: 'point.lat: x',
      violations: [{ field: 'point.lat', reason: 'must be a number' }],
      method: 'Search',
    });
  });

  it('maps the status when there is no trailer, and names the target when unavailable', () => {
    const error = errorFromCall({
      ...call,
      grpcCode: Status.UNAVAILABLE,
      details: 'down',
      trailer: undefined,
    });
    expect(error).toMatchObject({ code: 'unavailable', violations: [], message: 'h:1 is unavailable: down' });
    expect(
      errorFromCall({ ...call, grpcCode: Status.UNAUTHENTICATED, details: '', trailer: undefined }),
    ).toMatchObject({ code: 'unknown', message: 'Search failed with UNAUTHENTICATED' });
  });

  it('ignores unknown trailer codes and malformed violations', () => {
    const trailer = Metadata({ 'geosearch-error-code': 'bogus', 'geosearch-violations': '{not json' });
    expect(errorFromCall({ ...call, grpcCode: Status.NOT_FOUND, details: 'gone', trailer })).toMatchObject({
      code: 'not_found',
      violations: [],
    });
    expect(parseViolations('[{"field":1},{"field":"a","reason":"b","extra":true}]')).toEqual([
      { field: 'a', reason: 'b' },
    ]);
    expect(parseViolations('{"field":"a","reason":"b"}')).toEqual([]);
  });
});

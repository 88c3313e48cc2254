import { invalidArgument } from '@geosearch/search-core';
import { Status } from 'nice-grpc';
import { expect, it } from 'vitest';
import { classifyError } from '../src/rpc/status.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

it('keeps core errors, and says cancelled for an aborted call', () => {
  const core = invalidArgument([{ field: 'point.lat', reason: 'must be between -90 and 90' }]);
  expect(classifyError(core, false)).toEqual({ status: Status.INVALID_ARGUMENT, message: core.message });
  expect(classifyError(new Error('anything'), true).status).toBe(Status.CANCELLED);
});

it('maps database outages to UNAVAILABLE and a statement timeout to DEADLINE_EXCEEDED', () => {
  expect(classifyError(withCode('ECONNREFUSED'), false)).toEqual({
    status: Status.UNAVAILABLE,
    message: 'the database is unavailable',
  });
  expect(classifyError(withCode('57P01'), false).status).toBe(Status.UNAVAILABLE);
  expect(classifyError(withCode('57014'), false)).toEqual({
    status: Status.DEADLINE_EXCEEDED,
    message: 'the query took too long',
  });
  expect(classifyError(new Error('Connection terminated unexpectedly'), false).status).toBe(
    Status.UNAVAILABLE,
  );
});

it('says that the pool may be busy when no connection came in time', () => {
  const classified = classifyError(new Error('timeout exceeded when trying to connect'), false);
  expect(classified.status).toBe(Status.UNAVAILABLE);
  expect(classified.message).toMatch(/every pooled connection is busy/);
});

it('gives no detail for anything else', () => {
  expect(classifyError(new TypeError('secret internals'), false)).toEqual({
    status: Status.INTERNAL,
    message: undefined,
  });
});

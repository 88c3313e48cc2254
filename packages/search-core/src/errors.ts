/**
 * The catalogue of error codes core can raise. Each maps to exactly one gRPC
 * status in the server and back to the same code in the client.
 */
export const errorCodes = [
  'invalid_argument',
  'not_found',
  'conflict',
  'resource_exhausted',
  'deadline_exceeded',
  'cancelled',
  'unavailable',
  'internal',
] as const;

/** One of {@link errorCodes}. */
export type ErrorCode = (typeof errorCodes)[number];

/** A problem with one input field: its dotted path and why it was refused. */
export interface FieldViolation {
  readonly field: string;
  readonly reason: string;
}

/** Options of {@link GeoSearchError}. */
export interface GeoSearchErrorOptions {
  /** Per-field reasons, for `invalid_argument`. */
  readonly violations?: readonly FieldViolation[];
  /** The underlying error, for logs only: never sent to clients. */
  readonly cause?: unknown;
}

/**
 * The one error type core throws on purpose. `message` is safe to show to a
 * caller; `cause` is for logs and never leaves the process.
 */
export class GeoSearchError extends Error {
  override readonly name = 'GeoSearchError';
  readonly code: ErrorCode;
  readonly violations: readonly FieldViolation[];

  constructor(code: ErrorCode, message: string, options: GeoSearchErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.violations = options.violations ?? [];
  }
}

/** An `invalid_argument` error naming the fields at fault. */
export function invalidArgument(violations: readonly FieldViolation[]): GeoSearchError {
  const message = violations.map((v) => `${v.field}: ${v.reason}`).join('; ');
  return new GeoSearchError('invalid_argument', message || 'invalid argument', { violations });
}

/** True for errors raised on purpose by core. */
export function isGeoSearchError(error: unknown): error is GeoSearchError {
  return error instanceof GeoSearchError;
}

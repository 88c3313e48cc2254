import { type Metadata, Status } from 'nice-grpc-common';
import { codeOfStatus, type ErrorCode, isErrorCode } from './error-codes.js';

/** A problem with one request field: its dotted path and why it was refused. */
export interface FieldViolation {
  readonly field: string;
  readonly reason: string;
}

/** Options of {@link SearchClientError}. */
export interface SearchClientErrorOptions {
  /** The gRPC status code (a local failure uses the status gRPC would have used). */
  readonly grpcCode: number;
  /** The status message as the server sent it (empty when there was none). */
  readonly details?: string;
  /** Per-field reasons, for `invalid_argument`. */
  readonly violations?: readonly FieldViolation[];
  /** The RPC that failed, for example `Search`. */
  readonly method?: string;
  /** The target (`host:port`) of the last attempt. */
  readonly target?: string;
  /** The underlying error, for logs. */
  readonly cause?: unknown;
}

/**
 * The one error type the SDK throws. `code` is the geosearch error code
 * (`invalid_argument`, `not_found`, ...), `grpcCode` the gRPC status, and
 * `violations` names the fields a server refused. `message` is safe to show.
 */
export class SearchClientError extends Error {
  override readonly name = 'SearchClientError';
  readonly code: ErrorCode;
  readonly grpcCode: number;
  readonly details: string;
  readonly violations: readonly FieldViolation[];
  readonly method: string | undefined;
  readonly target: string | undefined;

  constructor(code: ErrorCode, message: string, options: SearchClientErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.grpcCode = options.grpcCode;
    this.details = options.details ?? '';
    this.violations = options.violations ?? [];
    this.method = options.method;
    this.target = options.target;
  }
}

/** True for errors the SDK throws. */
export function isSearchClientError(error: unknown): error is SearchClientError {
  return error instanceof SearchClientError;
}

/** The server's machine-readable trailers (sent with every core error). */
export const errorCodeTrailer = 'geosearch-error-code';
/** A JSON array of `{ field, reason }` sent with `invalid_argument` errors. */
export const violationsTrailer = 'geosearch-violations';

function isViolation(value: unknown): value is FieldViolation {
  const v = value as { field?: unknown; reason?: unknown } | null;
  return typeof v === 'object' && v !== null && typeof v.field === 'string' && typeof v.reason === 'string';
}

/** The violations of a `geosearch-violations` trailer; none when it is absent or malformed. */
export function parseViolations(text: string | undefined): readonly FieldViolation[] {
  if (!text) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed)
      ? parsed.filter(isViolation).map((v) => ({ field: v.field, reason: v.reason }))
      : [];
  } catch {
    return [];
  }
}

/** What a failed gRPC call reported: its status, message and trailers. */
export interface FailedCall {
  readonly grpcCode: number;
  readonly details: string;
  readonly trailer: Metadata | undefined;
  readonly method: string;
  readonly target: string;
  readonly cause?: unknown;
}

/**
 * The error for a failed call: the `geosearch-error-code` trailer names the
 * code when present, else the status maps back to one; violations come from
 * the `geosearch-violations` trailer.
 */
export function errorFromCall(call: FailedCall): SearchClientError {
  const trailerCode = call.trailer?.get(errorCodeTrailer);
  const code = isErrorCode(trailerCode) ? trailerCode : codeOfStatus(call.grpcCode);
  const violations = parseViolations(call.trailer?.get(violationsTrailer));
  const details = call.details || `${call.method} failed with ${Status[call.grpcCode] ?? call.grpcCode}`;
  // Say which server when it matters: the call never reached one that could answer.
  const message = code === 'unavailable' ? `${call.target} is unavailable: ${details}` : details;
  return new SearchClientError(code, message, {
    grpcCode: call.grpcCode,
    details: call.details,
    violations,
    method: call.method,
    target: call.target,
    cause: call.cause,
  });
}

/** A local `invalid_argument` error naming one field: bad options or bad input caught before any call. */
export function invalidArgument(field: string, reason: string): SearchClientError {
  return new SearchClientError('invalid_argument', `${field}: ${reason}`, {
    grpcCode: Status.INVALID_ARGUMENT,
    details: `${field}: ${reason}`,
    violations: [{ field, reason }],
  });
}

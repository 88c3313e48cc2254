import { isSearchClientError } from '../search-client-error.js';
import { UsageError } from './usage-error.js';

/** The CLI's exit codes, one per class of failure. */
export const exitCodes = {
  ok: 0,
  /** Any failure not listed below (internal, conflict, resource exhausted, ...). */
  error: 1,
  /** A usage error, or the server refused an argument (`invalid_argument`). */
  usage: 2,
  /** `not_found`. */
  notFound: 3,
  /** `unavailable`: no server answered. */
  unavailable: 4,
  /** `deadline_exceeded`. */
  deadline: 5,
} as const;

/** The exit-code table as printed by `--help` (and in the README). */
export const exitCodesHelp = `Exit codes:
  0  success
  1  any other error
  2  usage error, or the server refused an argument (invalid_argument)
  3  not found
  4  unavailable (no server answered)
  5  deadline exceeded`;

/** The exit code for a failure. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return exitCodes.usage;
  if (!isSearchClientError(error)) return exitCodes.error;
  switch (error.code) {
    case 'invalid_argument':
      return exitCodes.usage;
    case 'not_found':
      return exitCodes.notFound;
    case 'unavailable':
      return exitCodes.unavailable;
    case 'deadline_exceeded':
      return exitCodes.deadline;
    default:
      return exitCodes.error;
  }
}

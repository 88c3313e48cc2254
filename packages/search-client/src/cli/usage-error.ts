/**
 * Bad command-line input caught before any call (missing or malformed
 * option, unknown command): printed with the option's name, exit code 2.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The option or argument at fault, for example `--lat`. */
  readonly field: string;
  /** Why it was refused. */
  readonly reason: string;

  constructor(field: string, reason: string) {
    super(`${field}: ${reason}`);
    this.field = field;
    this.reason = reason;
  }
}

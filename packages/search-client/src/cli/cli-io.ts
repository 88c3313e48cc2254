/** A stream the CLI writes to: process.stdout or process.stderr, or a test double. */
export interface OutputStream {
  write(text: string): unknown;
  /** True on a terminal: progress is then redrawn in place. */
  readonly isTTY?: boolean;
  /** Terminal width, when known. */
  readonly columns?: number;
}

/** Everything the CLI touches outside itself, so that tests can run it in-process. */
export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Standard input, read by `import -`. */
  readonly stdin?: AsyncIterable<string | Uint8Array>;
}

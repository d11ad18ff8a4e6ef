/** Typed errors carry their exit code, so the CLI maps them in one place and never prints a stack trace. */
export class InfraKitError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad flags, bad answers, bad target dir: exit 2, nothing written. */
export class UsageError extends InfraKitError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** Ctrl-C at a prompt: exit 130, nothing written. */
export class CancelledError extends InfraKitError {
  constructor() {
    super('cancelled: nothing was written', 130);
  }
}

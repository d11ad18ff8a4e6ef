// yeoman-generator 8 / yeoman-environment 6 publish a broken "types" path (dist/index.d.js): declare the
// small surface we use.
declare module 'yeoman-generator' {
  export interface PromptQuestion {
    type: string;
    name: string;
    message: string;
    default?: unknown;
    when?: (answers?: never) => boolean;
    choices?:
      | readonly { value: string; name: string; description?: string }[]
      | ((answers?: never) => readonly { value: string; name: string; description?: string }[]);
    validate?: (input: unknown, answers?: never) => true | string;
    filter?: (input: unknown, answers?: never) => unknown;
  }
  export default class Generator {
    constructor(args: string | string[], options: Record<string, unknown>, features?: Record<string, unknown>);
    options: Record<string, unknown>;
    destinationRoot(root?: string): string;
    prompt<T = Record<string, unknown>>(questions: readonly PromptQuestion[]): Promise<T>;
    log: ((message: string) => void) & { info(message: string): void };
  }
}

declare module 'yeoman-environment' {
  export interface Env {
    register(path: string, meta?: { namespace?: string }): unknown;
    run(args: string[], options?: Record<string, unknown>): Promise<void>;
  }
  export function createEnv(options?: Record<string, unknown>): Env;
}

/** The shape every `infra-kit check` checker has: its rules (ids from ../shared/HARDENING.md) and a check. */
export type Level = 'MUST' | 'SHOULD';

export interface Rule {
  readonly level: Level;
  /** Why it matters, in one line. */
  readonly why: string;
  readonly fix: string;
}

export interface Finding {
  /** Path relative to the repo root, `/`-separated. */
  readonly file: string;
  /** 1-based; 0 when the finding is about the whole file. */
  readonly line: number;
  readonly rule: string;
  readonly message: string;
}

/** The repo being checked: its files (relative paths, sorted) and a cached reader. */
export interface Repo {
  readonly root: string;
  readonly files: readonly string[];
  read(path: string): string;
  /** What a checker could not check here (a validator missing or failing), for the report's summary. */
  readonly skipped: readonly string[];
  skip(what: string): void;
}

export interface Checker {
  readonly name: string;
  readonly rules: Readonly<Record<string, Rule>>;
  check(repo: Repo): Promise<Finding[]>;
}

/** A file that does not parse or validate: always a MUST, whatever its format. */
export const SYNTAX_RULE: Rule = { level: 'MUST', why: 'a file that does not parse or validate cannot be used by its tool', fix: 'fix the reported error' };

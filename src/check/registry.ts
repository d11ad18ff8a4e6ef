/** Every checker `infra-kit check` runs. Each loads its validator lazily, only when the repo has its files. */
import { dockerfileChecker } from './dockerfile.js';
import type { Checker } from './types.js';

export const checkers: readonly Checker[] = [dockerfileChecker];

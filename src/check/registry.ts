/** Every checker `infra-kit check` runs. Each loads its validator lazily, only when the repo has its files. */
import { composeChecker } from './compose.js';
import { docsChecker } from './docs.js';
import { consistencyChecker } from './consistency.js';
import { dockerfileChecker } from './dockerfile.js';
import { githubChecker } from './github.js';
import { gitlabChecker } from './gitlab.js';
import { kubernetesChecker } from './kubernetes.js';
import { terraformChecker } from './terraform.js';
import { shellChecker } from './shell.js';
import type { Checker } from './types.js';

export const checkers: readonly Checker[] = [dockerfileChecker, kubernetesChecker, terraformChecker, composeChecker, githubChecker, gitlabChecker, shellChecker, docsChecker, consistencyChecker];

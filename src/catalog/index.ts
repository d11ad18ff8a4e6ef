export { stacks, type StackId, type Stack, type StackVariant, type StackCi } from './stacks.js';
export { clouds, terraformVersion, type CloudId, type Cloud } from './clouds.js';
export { orchestrators, kubernetesVersion, type OrchestratorId } from './orchestrators.js';
export { ciProviders, actions, trivyVersion, type CiId, type PinnedAction } from './ci.js';
export { databases, type DatabaseId, type Database } from './databases.js';

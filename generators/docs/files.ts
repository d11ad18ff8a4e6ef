import type { QuestionId } from '../../src/answers/schema.js';
import type { RenderContext } from '../../src/render/context.js';
import type { FileTable } from '../../src/render/table.js';

/** The questions this piece needs; a piece run asks only these. */
export const asks: readonly QuestionId[] = ['name', 'stack', 'cloud', 'region', 'orchestrator', 'ci', 'database', 'port', 'healthPath', 'featureFlags', 'gitops', 'repoUrl'];

const onKubernetes = (c: RenderContext): boolean => c.onKubernetes;

/**
 * Operability: the runbook, postmortem template, SLOs and infrastructure guide, plus the monitoring that
 * backs them. Alert rules come as a plain Prometheus rule file and, on Kubernetes, as an opt-in Kustomize
 * component (PrometheusRule + ServiceMonitor) rendered from the same partial.
 */
export const files: FileTable = [
  { template: 'docs/runbook.md.ejs', to: 'docs/runbook.md' },
  { template: 'docs/postmortem-template.md.ejs', to: 'docs/postmortem-template.md' },
  { template: 'docs/slo.md.ejs', to: 'docs/slo.md' },
  { template: 'docs/infrastructure.md.ejs', to: 'docs/infrastructure.md' },
  { template: 'docs/feature-flags.md.ejs', to: 'docs/feature-flags.md' },
  { template: 'monitoring/alerts.yaml.ejs', to: 'monitoring/alerts.yaml' },
  { dir: 'kustomize/components/monitoring', to: 'kubernetes/components/monitoring', when: onKubernetes },
];

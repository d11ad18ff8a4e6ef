/**
 * Monitoring: monitoring/alerts.yaml checked by promtool (syntax and behaviour on synthetic series), its
 * structure (severity, for, runbook_url to a real runbook heading), the PrometheusRule carrying the same
 * groups, and the opt-in Kustomize component built into the production overlay with kubectl.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import type { Answers } from '../src/answers/schema.js';
import { answersWith, renderToDir, tempDir } from './helpers/render.js';
import { hasCommand, kubectlKustomize, parseYamlDocs } from './helpers/validators.js';

const CELLS: Partial<Answers>[] = [{}, { database: 'postgres', name: 'shop-api', healthPath: '/status/live' }];
const REQUIRED_ALERTS = ['AvailabilityBudgetBurn', 'LatencyBudgetBurn', 'HighErrorRate', 'HighLatencyP95', 'MetricsMissing', 'PodCrashLooping', 'PodRestartingOften', 'CPUThrottlingHigh', 'MemoryNearLimit', 'HPAMaxedOut'];
const BURN_ALERTS = ['AvailabilityBudgetBurn', 'LatencyBudgetBurn'];
/** promtool comes from Debian's `prometheus` package (apt-get install -y --no-install-recommends prometheus). */
const noPromtool = !hasCommand('promtool');
const withPromtool = it.skipIf(noPromtool);

interface Rule { record?: string; alert?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
interface Group { name: string; rules: Rule[] }
interface K8sObject { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: any }

/** GitHub heading anchors: lowercase, punctuation dropped, spaces to dashes, repeats suffixed -1, -2. */
function githubAnchors(md: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of md.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const h = fenced ? null : /^#{1,6}\s+(.*?)\s*#*$/.exec(line);
    if (!h) continue;
    const base = h[1]!.replace(/[`*_]/g, '').toLowerCase().replace(/[^\p{L}\p{N}\- ]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** What every alert must carry; [] when the rule file holds. */
function alertProblems(groups: Group[], runbook: string, name: string): string[] {
  const problems: string[] = [];
  const anchors = githubAnchors(runbook);
  const rules = groups.flatMap((g) => g.rules);
  const alerts = rules.filter((r) => r.alert);
  for (const a of alerts) {
    const where = `${a.alert}/${a.labels?.severity}`;
    if (!a.for) problems.push(`${where}: no for`);
    if (!['critical', 'warning'].includes(a.labels?.severity ?? '')) problems.push(`${where}: severity ${a.labels?.severity}`);
    if (a.labels?.service !== name) problems.push(`${where}: service label ${a.labels?.service}`);
    for (const key of ['summary', 'description']) if (!a.annotations?.[key]) problems.push(`${where}: no ${key}`);
    const [file, anchor] = (a.annotations?.runbook_url ?? '').split('#');
    if (file !== 'docs/runbook.md' || !anchor || !anchors.has(anchor)) problems.push(`${where}: runbook_url ${a.annotations?.runbook_url} has no heading`);
  }
  for (const required of REQUIRED_ALERTS) if (!alerts.some((a) => a.alert === required)) problems.push(`missing alert ${required}`);
  for (const burn of BURN_ALERTS) {
    const severities = alerts.filter((a) => a.alert === burn).map((a) => a.labels?.severity).sort();
    if (JSON.stringify(severities) !== '["critical","warning"]') problems.push(`${burn}: severities ${severities.join(',')}`);
  }
  // Every SLI ratio an alert reads is recorded, for the SLO it asks for.
  const recorded = new Set(rules.filter((r) => r.record).map((r) => `${r.record}/${r.labels?.slo}`));
  for (const a of alerts) {
    for (const [, metric, slo] of a.expr.matchAll(/(slo:sli_error:ratio_rate\w+)\{[^}]*slo="(\w+)"/g)) {
      if (!recorded.has(`${metric}/${slo}`)) problems.push(`${a.alert}: reads ${metric}{slo="${slo}"}, never recorded`);
    }
  }
  return [...new Set(problems)];
}

/** Paths where two parsed values differ ([] when equal). */
function drift(a: unknown, b: unknown, path = ''): string[] {
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => drift((a as any)[k], (b as any)[k], `${path}/${k}`));
  }
  return a === b ? [] : [path || '/'];
}

/** The ServiceMonitor must select the app's Service by its labels and scrape its named port. */
function serviceMonitorProblems(sm: K8sObject, service: K8sObject): string[] {
  const problems: string[] = [];
  const want = sm.spec?.selector?.matchLabels ?? {};
  if (Object.keys(want).length === 0) problems.push('selector has no matchLabels');
  for (const [k, v] of Object.entries(want)) if (service.metadata.labels?.[k] !== v) problems.push(`Service lacks label ${k}=${v}`);
  if (sm.metadata.namespace !== service.metadata.namespace) problems.push('not in the Service namespace');
  const ports = (service.spec?.ports ?? []).map((p: { name?: string }) => p.name);
  for (const e of sm.spec?.endpoints ?? []) {
    if (!ports.includes(e.port)) problems.push(`endpoint port ${e.port} is not a Service port`);
    if (e.path !== '/metrics') problems.push(`endpoint path ${e.path}`);
  }
  return problems;
}

/** Including the component must add exactly a ServiceMonitor and a PrometheusRule and change nothing else. */
function componentProblems(without: K8sObject[], withIt: K8sObject[], namespace: string): string[] {
  const id = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
  const before = new Map(without.map((o) => [id(o), o]));
  const added = withIt.filter((o) => !before.has(id(o)));
  const problems = added.map(id).sort().join(',') === 'PrometheusRule/' + namespace + ',ServiceMonitor/' + namespace ? [] : [`added ${added.map(id).join(',')}`];
  for (const o of added) if (o.metadata.namespace !== namespace) problems.push(`${id(o)} in namespace ${o.metadata.namespace}`);
  for (const o of withIt.filter((o) => before.has(id(o)))) if (drift(before.get(id(o)), o).length) problems.push(`${id(o)} changed`);
  if (withIt.length - added.length !== without.length) problems.push('objects removed');
  return problems;
}

function promtool(args: string[], cwd: string): { status: number | null; out: string } {
  const res = spawnSync('promtool', args, { cwd, encoding: 'utf8' });
  return { status: res.status, out: `${res.stdout}${res.stderr}` };
}

/** Write groups as a rule file in a fresh dir; annotations dropped when `bare` (promtool unit tests match them exactly). */
function ruleDir(groups: Group[], bare = false): string {
  const dir = tempDir('infra-kit-rules-');
  const out = bare ? groups.map((g) => ({ ...g, rules: g.rules.map(({ annotations: _, ...r }) => r) })) : groups;
  writeFileSync(join(dir, 'alerts.yaml'), stringify({ groups: out }));
  return dir;
}

/** promtool unit tests on synthetic series: what must fire, what must not (health checks are not users). */
function unitTests(name: string, healthPath: string): string {
  const req = (path: string, code: string, perMin: number) => ({ series: `http_request_duration_seconds_count{job="${name}", path="${path}", status_code="${code}"}`, values: `0+${perMin}x180` });
  const fast = (path: string, le: string, perMin: number) => ({ series: `http_request_duration_seconds_bucket{job="${name}", path="${path}", status_code="200", le="${le}"}`, values: `0+${perMin}x180` });
  const up = { series: `up{job="${name}", instance="10.0.0.1:3000"}`, values: '1x180' };
  const none = (alertname: string, eval_time = '60m') => ({ eval_time, alertname, exp_alerts: [] });
  const pod = { namespace: name, pod: `${name}-abc`, container: 'app' };
  const sel = (metric: string, labels: Record<string, string>) => `${metric}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(', ')}}`;
  return stringify({
    rule_files: ['alerts.yaml'],
    evaluation_interval: '1m',
    tests: [
      {
        name: 'healthy traffic, and failing health checks, fire nothing',
        interval: '1m',
        input_series: [req('/orders', '200', 100), fast('/orders', '0.3', 100), req(healthPath, '503', 100), fast(healthPath, '0.3', 0), up],
        alert_rule_test: ['AvailabilityBudgetBurn', 'LatencyBudgetBurn', 'HighErrorRate', 'HighLatencyP95', 'MetricsMissing'].map((a) => none(a)),
      },
      {
        name: 'half the requests fail: page on budget burn and error rate',
        interval: '1m',
        input_series: [req('/orders', '200', 100), req('/orders', '500', 100), fast('/orders', '0.3', 200), up],
        alert_rule_test: [
          { eval_time: '30m', alertname: 'HighErrorRate', exp_alerts: [{ exp_labels: { severity: 'critical', service: name, job: name, slo: 'availability' } }] },
          // 50 % errors exceeds every burn rate: the ticket fires too (Alertmanager inhibits it under the page).
          { eval_time: '30m', alertname: 'AvailabilityBudgetBurn', exp_alerts: ['critical', 'warning'].map((severity) => ({ exp_labels: { severity, service: name, job: name, slo: 'availability' } })) },
          none('LatencyBudgetBurn', '30m'),
        ],
      },
      {
        name: 'half the requests are slow: page on the latency budget',
        interval: '1m',
        input_series: [req('/orders', '200', 100), fast('/orders', '0.3', 50), up],
        alert_rule_test: [
          { eval_time: '30m', alertname: 'LatencyBudgetBurn', exp_alerts: ['critical', 'warning'].map((severity) => ({ exp_labels: { severity, service: name, job: name, slo: 'latency' } })) },
          none('AvailabilityBudgetBurn', '30m'),
        ],
      },
      {
        name: 'no scrape target: metrics missing',
        interval: '1m',
        input_series: [{ series: `up{job="other"}`, values: '1x30' }],
        alert_rule_test: [{ eval_time: '15m', alertname: 'MetricsMissing', exp_alerts: [{ exp_labels: { severity: 'warning', service: name } }] }],
      },
      {
        name: 'pods crash-loop, restart, fill memory; the HPA is at its maximum',
        interval: '1m',
        input_series: [
          { series: sel('kube_pod_container_status_waiting_reason', { ...pod, reason: 'CrashLoopBackOff' }), values: '1x30' },
          { series: sel('kube_pod_container_status_restarts_total', pod), values: '0+1x30' },
          { series: sel('container_memory_working_set_bytes', pod), values: '500000000x30' },
          { series: sel('kube_pod_container_resource_limits', { ...pod, resource: 'memory' }), values: '536870912x30' },
          { series: sel('kube_horizontalpodautoscaler_status_current_replicas', { namespace: name, horizontalpodautoscaler: name }), values: '8x30' },
          { series: sel('kube_horizontalpodautoscaler_spec_max_replicas', { namespace: name, horizontalpodautoscaler: name }), values: '8x30' },
        ],
        alert_rule_test: [
          { eval_time: '20m', alertname: 'PodCrashLooping', exp_alerts: [{ exp_labels: { severity: 'warning', service: name, namespace: name, pod: pod.pod } }] },
          { eval_time: '20m', alertname: 'PodRestartingOften', exp_alerts: [{ exp_labels: { severity: 'warning', service: name, ...pod } }] },
          { eval_time: '20m', alertname: 'MemoryNearLimit', exp_alerts: [{ exp_labels: { severity: 'warning', service: name, namespace: name, pod: pod.pod } }] },
          { eval_time: '20m', alertname: 'HPAMaxedOut', exp_alerts: [{ exp_labels: { severity: 'warning', service: name, namespace: name, horizontalpodautoscaler: name } }] },
        ],
      },
    ],
  });
}

describe.each(CELLS)('monitoring for %o', (overrides) => {
  const answers = answersWith(overrides);
  const N = answers.name;
  const { dir, files } = renderToDir(overrides);
  const rules = parseYaml(files.get('monitoring/alerts.yaml')!) as { groups: Group[] };
  const runbook = files.get('docs/runbook.md')!;
  const component = 'kubernetes/components/monitoring';
  const [promRule] = parseYamlDocs(files.get(`${component}/prometheusrule.yaml`)!) as K8sObject[];

  withPromtool('alerts.yaml passes promtool check rules (skipped without promtool: apt-get install prometheus)', () => {
    const res = promtool(['check', 'rules', 'monitoring/alerts.yaml'], dir);
    expect(res.out).toMatch(/SUCCESS: \d+ rules found/);
    expect(res.status).toBe(0);
  });

  withPromtool('alerts fire on synthetic series as intended (promtool test rules); health checks never count', () => {
    const rulesDir = ruleDir(rules.groups, true);
    writeFileSync(join(rulesDir, 'tests.yaml'), unitTests(N, answers.healthPath));
    const res = promtool(['test', 'rules', 'tests.yaml'], rulesDir);
    expect(res.out).toContain('SUCCESS');
    expect(res.status).toBe(0);
  });

  it('every alert has severity, for, summary, description and a runbook_url whose heading exists', () => {
    expect(alertProblems(rules.groups, runbook, N)).toEqual([]);
    // The SLIs leave out the health check and the scrapes, and select the app's job.
    for (const r of rules.groups.flatMap((g) => g.rules).filter((r) => r.record)) {
      expect(r.expr).toContain(`job="${N}", path!="${answers.healthPath}", path!="/metrics"`);
    }
  });

  it('the PrometheusRule carries exactly the groups of alerts.yaml, and passes promtool too', () => {
    expect(promRule).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { name: N } });
    expect(drift(promRule!.spec.groups, rules.groups)).toEqual([]);
    expect(Object.keys(promRule!.spec)).toEqual(['groups']);
    if (!noPromtool) expect(promtool(['check', 'rules', 'alerts.yaml'], ruleDir(promRule!.spec.groups)).status).toBe(0);
  });

  it('the component builds into the production overlay with its one line, and the ServiceMonitor selects the Service', async () => {
    const overlay = join(dir, 'kubernetes/overlays/production');
    const without = parseYamlDocs(kubectlKustomize(overlay)) as K8sObject[];
    const kustomization = parseYaml(readFileSync(join(overlay, 'kustomization.yaml'), 'utf8'));
    writeFileSync(join(overlay, 'kustomization.yaml'), stringify({ ...kustomization, components: ['../../components/monitoring'] }));
    const withIt = parseYamlDocs(kubectlKustomize(overlay)) as K8sObject[];
    expect(componentProblems(without, withIt, N)).toEqual([]);
    const sm = withIt.find((o) => o.kind === 'ServiceMonitor')!;
    const service = withIt.find((o) => o.kind === 'Service')!;
    expect(serviceMonitorProblems(sm, service)).toEqual([]);
    // The Service's target port is the container's named port the app serves /metrics on.
    const container = withIt.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0];
    expect(container.ports.map((p: { name: string }) => p.name)).toContain(service.spec.ports[0].targetPort);
    // CPUThrottlingHigh's runbook section says the kit sets no CPU limit (throttling only after someone adds one).
    expect(container.resources.limits).not.toHaveProperty('cpu');
    // The PrometheusRule survives the overlay's transformers unchanged.
    expect(drift(withIt.find((o) => o.kind === 'PrometheusRule')!.spec, promRule!.spec)).toEqual([]);
  });

  it('the admin path in docs/infrastructure.md builds the component alone, in namespace N', () => {
    const printf = /^printf .*> "\$TMP\/kustomization\.yaml"$/m.exec(files.get('docs/infrastructure.md')!)![0];
    const res = spawnSync('sh', ['-c', `set -e; TMP=.monitoring-test; mkdir -p "$TMP"; ${printf}; kubectl kustomize "$TMP"`], { cwd: dir, encoding: 'utf8' });
    expect(res.stderr).toBe('');
    const objects = parseYamlDocs(res.stdout) as K8sObject[];
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}/${o.metadata.namespace}`).sort()).toEqual([`PrometheusRule/${N}/${N}`, `ServiceMonitor/${N}/${N}`]);
  });
});

describe('the monitoring checkers fail on broken input (negative tests)', () => {
  const overrides = { name: 'shop-api' };
  const { dir, files } = renderToDir(overrides);
  const rules = parseYaml(files.get('monitoring/alerts.yaml')!) as { groups: Group[] };
  const runbook = files.get('docs/runbook.md')!;
  const mutate = (fn: (rules: Rule[]) => void): Group[] => {
    const copy = structuredClone(rules.groups);
    fn(copy.flatMap((g) => g.rules));
    return copy;
  };
  const alert = (rs: Rule[], name: string) => rs.find((r) => r.alert === name)!;

  it('alertProblems reports a missing for, a bad severity, a dead runbook link, a missing alert and an unrecorded window', () => {
    expect(alertProblems(rules.groups, runbook, 'shop-api')).toEqual([]);
    expect(alertProblems(mutate((rs) => delete alert(rs, 'HighErrorRate').for), runbook, 'shop-api')).toEqual(['HighErrorRate/critical: no for']);
    expect(alertProblems(mutate((rs) => (alert(rs, 'HPAMaxedOut').labels!.severity = 'page')), runbook, 'shop-api')).toEqual(['HPAMaxedOut/page: severity page']);
    expect(alertProblems(rules.groups, runbook.replace('### MemoryNearLimit', '### Memory near limit'), 'shop-api')).toEqual(['MemoryNearLimit/warning: runbook_url docs/runbook.md#memorynearlimit has no heading']);
    expect(alertProblems(mutate((rs) => (alert(rs, 'PodCrashLooping').alert = 'PodCrashing')), runbook, 'shop-api')).toEqual(['missing alert PodCrashLooping']);
    expect(alertProblems(mutate((rs) => (alert(rs, 'HighErrorRate').expr = alert(rs, 'HighErrorRate').expr.replace('rate5m', 'rate10m'))), runbook, 'shop-api'))
      .toEqual(['HighErrorRate: reads slo:sli_error:ratio_rate10m{slo="availability"}, never recorded']);
  });

  it('GitHub anchors: punctuation dropped, repeats numbered', () => {
    expect([...githubAnchors('# A runbook\n\n## Infrastructure (Terraform)\n\n## Scale\n\n### Scale\n\n```sh\n# not a heading\n```\n')])
      .toEqual(['a-runbook', 'infrastructure-terraform', 'scale', 'scale-1']);
  });

  withPromtool('promtool rejects a broken rule file', () => {
    const broken = mutate((rs) => (alert(rs, 'HighErrorRate').for = '5 minutes'));
    const res = promtool(['check', 'rules', 'alerts.yaml'], ruleDir(broken));
    expect(res.status).not.toBe(0);
    expect(res.out).toMatch(/FAILED|not a valid duration/);
  });

  withPromtool('the unit tests catch SLIs that count health checks', () => {
    const counting = mutate((rs) => rs.forEach((r) => (r.expr = r.expr.replaceAll('path!="/healthz", ', ''))));
    const rulesDir = ruleDir(counting, true);
    writeFileSync(join(rulesDir, 'tests.yaml'), unitTests('shop-api', '/healthz'));
    const res = promtool(['test', 'rules', 'tests.yaml'], rulesDir);
    expect(res.status).not.toBe(0);
    expect(res.out).toContain('alertname: AvailabilityBudgetBurn');
  });

  it('drift reports where two rule sets differ', () => {
    expect(drift(rules.groups, mutate((rs) => (alert(rs, 'HighErrorRate').for = '10m')))).toEqual(['/2/rules/0/for']);
  });

  it('serviceMonitorProblems reports a wrong label, port or path', () => {
    const service: K8sObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'n', labels: { app: 's' } }, spec: { ports: [{ name: 'http', port: 80 }] } };
    const sm = (spec: object): K8sObject => ({ apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 's', namespace: 'n' }, spec });
    expect(serviceMonitorProblems(sm({ selector: { matchLabels: { app: 's' } }, endpoints: [{ port: 'http', path: '/metrics' }] }), service)).toEqual([]);
    expect(serviceMonitorProblems(sm({ selector: { matchLabels: { app: 't' } }, endpoints: [{ port: 'web', path: '/stats' }] }), service))
      .toEqual(['Service lacks label app=t', 'endpoint port web is not a Service port', 'endpoint path /stats']);
  });

  it('componentProblems reports changed, missing or misplaced objects; kustomize refuses the component as a resource', () => {
    const cm: K8sObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' } };
    const rule: K8sObject = { apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { name: 'n', namespace: 'n' } };
    const sm: K8sObject = { ...rule, kind: 'ServiceMonitor' };
    expect(componentProblems([cm], [cm, rule, sm], 'n')).toEqual([]);
    expect(componentProblems([cm], [{ ...cm, metadata: { ...cm.metadata, labels: { x: 'y' } } }, rule, sm], 'n')).toEqual(['ConfigMap/c changed']);
    expect(componentProblems([cm], [cm, rule, { ...sm, metadata: { name: 'n', namespace: 'default' } }], 'n')).toEqual(['ServiceMonitor/n in namespace default']);
    expect(componentProblems([cm], [cm, rule], 'n')).toEqual(['added PrometheusRule/n']);
    const wrong = join(dir, 'kubernetes/overlays/wrong');
    mkdirSync(wrong);
    writeFileSync(join(wrong, 'kustomization.yaml'), 'resources: [../production, ../../components/monitoring]\n');
    expect(() => kubectlKustomize(wrong)).toThrow(/Component/);
  });
});

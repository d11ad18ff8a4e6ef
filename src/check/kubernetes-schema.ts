/**
 * Kubernetes object schemas: kubernetes-models 4.5 (loaded per kind, lazily, only for the kinds a repo has),
 * a walk for the unknown fields its schemas let through, and the API versions the API server no longer serves.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Obj } from './kubernetes-rules.js';

const require = createRequire(import.meta.url);
/** API versions kubernetes-models still ships but the API server no longer serves (removed by the given release). */
const REMOVED: Record<string, string> = Object.fromEntries(
  Object.entries({
    '1.16': ['extensions/v1beta1', 'apps/v1beta1', 'apps/v1beta2'],
    '1.22': ['networking.k8s.io/v1beta1', 'rbac.authorization.k8s.io/v1beta1', 'admissionregistration.k8s.io/v1beta1', 'apiextensions.k8s.io/v1beta1', 'certificates.k8s.io/v1beta1', 'coordination.k8s.io/v1beta1', 'scheduling.k8s.io/v1beta1'],
    '1.25': ['policy/v1beta1', 'batch/v1beta1', 'autoscaling/v2beta1', 'discovery.k8s.io/v1beta1', 'events.k8s.io/v1beta1', 'node.k8s.io/v1beta1'],
    '1.26': ['autoscaling/v2beta2', 'flowcontrol.apiserver.k8s.io/v1beta1'],
    '1.27': ['storage.k8s.io/v1beta1'],
    '1.29': ['flowcontrol.apiserver.k8s.io/v1beta2'],
    '1.32': ['flowcontrol.apiserver.k8s.io/v1beta3'],
  }).flatMap(([release, versions]) => versions.map((v) => [v, release])),
);
const API_VERSION = /^([a-z0-9-]+(\.[a-z0-9-]+)*\/)?v\d+((alpha|beta)\d+)?$/;

/**
 * kubernetes-models' schema errors and the fields its schemas do not know. Its validators let unknown keys
 * through, but they read every declared property: run one on a proxy that records the keys it reads, and
 * each own key never read is unknown. Objects it never looks into (free-form fields) are skipped.
 * Undefined when kubernetes-models has no class for the kind (a CRD).
 */
export function schemaProblems(o: Obj): { errors: string[]; unknown: string[] } | undefined {
  if (!API_VERSION.test(String(o.apiVersion)) || !/^[A-Z][A-Za-z0-9]*$/.test(String(o.kind))) return undefined;
  const removed = REMOVED[String(o.apiVersion)];
  if (removed) return { errors: [`${String(o.apiVersion)} is no longer served (removed by Kubernetes ${removed})`], unknown: [] };
  let Model: { prototype: { validate(this: unknown): void } } | undefined;
  try {
    Model = (require(`kubernetes-models/${String(o.apiVersion)}/${String(o.kind)}`) as Record<string, typeof Model>)[String(o.kind)];
  } catch {
    // A group kubernetes-models ships (apps, batch, networking.k8s.io…) without this kind/version: a typo or a
    // removed API. Any other group is a CRD, which it cannot know.
    const group = String(o.apiVersion).includes('/') ? String(o.apiVersion).split('/')[0]! : 'v1';
    return existsSync(join(dirname(require.resolve('kubernetes-models/package.json')), group)) ? { errors: [`${String(o.apiVersion)} has no kind ${String(o.kind)} (misspelt or removed API)`], unknown: [] } : undefined;
  }
  if (!Model) return undefined;
  const nodes: { path: string; value: Obj; read: Set<string>; touched: boolean }[] = [];
  const track = (value: unknown, path: string): unknown => {
    if (value === null || typeof value !== 'object') return value;
    const node = { path, value: value as Obj, read: new Set<string>(), touched: false };
    nodes.push(node);
    const children = new Map<string, unknown>();
    const mark = (key: string | symbol): void => {
      node.touched = true;
      if (typeof key === 'string') node.read.add(key);
    };
    return new Proxy(value, {
      get(target, key, receiver) {
        const v: unknown = Reflect.get(target, key, receiver);
        if (typeof key !== 'string') return v;
        mark(key);
        if (v === null || typeof v !== 'object') return v;
        if (!children.has(key)) children.set(key, track(v, Array.isArray(target) ? `${path}[${key}]` : `${path}.${key}`));
        return children.get(key);
      },
      has: (target, key) => (mark(key), Reflect.has(target, key)),
      ownKeys: (target) => (Reflect.ownKeys(target).forEach(mark), Reflect.ownKeys(target)),
    });
  };
  const errors: string[] = [];
  try {
    Model.prototype.validate.call(track(o, String(o.kind)));
  } catch (error) {
    errors.push(...String((error as Error).message).split(', '));
  }
  const unknown = nodes.filter((n) => n.touched && !Array.isArray(n.value)).flatMap((n) => Object.keys(n.value).filter((k) => !n.read.has(k)).map((k) => `${n.path}.${k}`));
  return { errors, unknown };
}

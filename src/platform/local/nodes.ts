import type { JsonObject, JsonValue } from '../../manifests/model.ts';
import { isObject, scalarText, valueAt } from '../../manifests/object-path.ts';

/**
 * Emulated Kubernetes nodes for the local platform, and the placement of pods on them as kube-scheduler's
 * default plugins decide it for the rules a pod template states (kubernetes.io, "Assigning Pods to Nodes" and
 * "Pod Topology Spread Constraints"; pkg/scheduler/framework/plugins):
 * - Filter (a node that fails one cannot take the pod): NodeAffinity (spec.nodeSelector, and
 *   requiredDuringScheduling nodeSelectorTerms: the terms ORed, a term's expressions ANDed), InterPodAffinity
 *   (requiredDuringScheduling podAntiAffinity: no pod matching the term's labelSelector in the node's domain of
 *   its topologyKey; a node without that label has no such domain, so it passes), PodTopologySpread
 *   (whenUnsatisfiable DoNotSchedule: matching pods in the node's domain + 1 - the least in any eligible domain
 *   <= maxSkew; a node without the topologyKey label fails; eligible domains are those of the nodes that pass
 *   the pod's nodeSelector/affinity, nodeAffinityPolicy Honor), and a node that is not Ready (lost) takes
 *   nothing (its node.kubernetes.io/unreachable taint).
 * - Score, best first: preferred podAntiAffinity/podAffinity (weight × matching pods in the domain),
 *   ScheduleAnyway spread constraints, and, where the pod states no constraint of its own, the cluster's
 *   default spreading (hostname maxSkew 3, zone maxSkew 5, ScheduleAnyway: fewer pods of the same StatefulSet
 *   in the domain is better). kube-scheduler picks at random among equal best scores; here the first such node
 *   (in node order) wins, so that a run is repeatable.
 * A pod no node can take stays Pending with the scheduler's own message ("0/3 nodes are available: 3 node(s)
 * didn't match pod anti-affinity rules.").
 * Not modelled (the log says so where the manifests use them): resources, taints and tolerations of the pod
 * itself, required podAffinity, matchLabelKeys, minDomains.
 */

export const HOSTNAME_LABEL = 'kubernetes.io/hostname';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

export interface EmulatedNode {
  name: string;
  labels: Record<string, string>;
  /** Lost (its machine stopped): not Ready, unreachable; it takes no new pod and its pods do not run. */
  down: boolean;
}

/** A pod already bound to a node, with its labels (what the affinity and spread rules count). */
export interface PlacedPod {
  name: string;
  node: string;
  labels: Record<string, string>;
}

export type Placement = { node: string } | { pending: string };

/** The emulated nodes, named as kind names its workers (`<prefix>-worker`, `-worker2`, ...). */
export function emulatedNodes(count: number, prefix = 'local'): EmulatedNode[] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`emulated nodes: need at least 1, got ${count}`);
  return Array.from({ length: count }, (_, i) => {
    const name = `${prefix}-worker${i === 0 ? '' : String(i + 1)}`;
    return {
      name,
      labels: { [HOSTNAME_LABEL]: name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': process.arch },
      down: false,
    };
  });
}

/** The rules of a pod template's spec that this module places by, and which ones it cannot model. */
export interface SchedulingRules {
  nodeSelector: Record<string, string>;
  requiredNodeTerms: JsonObject[];
  requiredAntiAffinity: JsonObject[];
  preferredAntiAffinity: Array<{ weight: number; term: JsonObject }>;
  preferredAffinity: Array<{ weight: number; term: JsonObject }>;
  spread: JsonObject[];
  /** What the template states that is not modelled, for a warning. */
  unmodelled: string[];
}

const list = (v: JsonValue | undefined): JsonObject[] =>
  Array.isArray(v) ? v.filter((x): x is JsonObject => isObject(x)) : [];

const weighted = (v: JsonValue | undefined): Array<{ weight: number; term: JsonObject }> =>
  list(v).flatMap((p) => {
    const term = p.podAffinityTerm;
    return isObject(term) && typeof p.weight === 'number' ? [{ weight: p.weight, term }] : [];
  });

export function schedulingRules(podSpec: JsonValue | undefined): SchedulingRules {
  const at = (...p: string[]) => (podSpec === undefined ? undefined : valueAt(podSpec, p));
  const selector = at('nodeSelector');
  const unmodelled: string[] = [];
  if (list(at('affinity', 'podAffinity', 'requiredDuringSchedulingIgnoredDuringExecution')).length)
    unmodelled.push('required podAffinity');
  if (list(at('tolerations')).length) unmodelled.push('tolerations (emulated nodes have no taints)');
  const spread = list(at('topologySpreadConstraints'));
  if (spread.some((c) => c.matchLabelKeys !== undefined || c.minDomains !== undefined))
    unmodelled.push('topologySpreadConstraints matchLabelKeys/minDomains');
  return {
    nodeSelector: isObject(selector)
      ? Object.fromEntries(Object.entries(selector).map(([k, v]) => [k, scalarText(v)]))
      : {},
    requiredNodeTerms: list(
      at('affinity', 'nodeAffinity', 'requiredDuringSchedulingIgnoredDuringExecution', 'nodeSelectorTerms'),
    ),
    requiredAntiAffinity: list(at('affinity', 'podAntiAffinity', 'requiredDuringSchedulingIgnoredDuringExecution')),
    preferredAntiAffinity: weighted(
      at('affinity', 'podAntiAffinity', 'preferredDuringSchedulingIgnoredDuringExecution'),
    ),
    preferredAffinity: weighted(at('affinity', 'podAffinity', 'preferredDuringSchedulingIgnoredDuringExecution')),
    spread,
    unmodelled,
  };
}

/** A Kubernetes label selector (matchLabels and matchExpressions ANDed); a missing selector matches nothing. */
export function selectorMatches(selector: JsonValue | undefined, labels: Record<string, string>): boolean {
  if (!isObject(selector)) return false;
  const ml = selector.matchLabels;
  if (isObject(ml) && !Object.entries(ml).every(([k, v]) => labels[k] === scalarText(v))) return false;
  return list(selector.matchExpressions).every((e) => expressionMatches(e, labels));
}

function expressionMatches(e: JsonObject, labels: Record<string, string>): boolean {
  const key = scalarText(e.key);
  const values = Array.isArray(e.values) ? e.values.map(scalarText) : [];
  const has = Object.hasOwn(labels, key);
  switch (e.operator) {
    case 'In':
      return has && values.includes(labels[key]!);
    case 'NotIn':
      return !has || !values.includes(labels[key]!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
      return has && Number(labels[key]) > Number(values[0]);
    case 'Lt':
      return has && Number(labels[key]) < Number(values[0]);
    default:
      return false;
  }
}

/** NodeAffinity's filter: nodeSelector, and any one of the required nodeSelectorTerms (none: every node). */
function nodeAffinityAllows(rules: SchedulingRules, node: EmulatedNode): boolean {
  if (!Object.entries(rules.nodeSelector).every(([k, v]) => node.labels[k] === v)) return false;
  if (rules.requiredNodeTerms.length === 0) return true;
  return rules.requiredNodeTerms.some((t) => list(t.matchExpressions).every((e) => expressionMatches(e, node.labels)));
}

/** Pods matching `selector` in `node`'s domain of `key` (none when the node has no such label). */
function inDomain(
  selector: JsonValue | undefined,
  key: string,
  node: EmulatedNode,
  nodes: EmulatedNode[],
  placed: PlacedPod[],
): number {
  const value = node.labels[key];
  if (value === undefined) return 0;
  const domainNodes = new Set(nodes.filter((n) => n.labels[key] === value).map((n) => n.name));
  return placed.filter((p) => domainNodes.has(p.node) && selectorMatches(selector, p.labels)).length;
}

/** Skew the pod would make in `node`'s domain: its count there + 1 - the least count over the eligible domains. */
function skewOn(
  c: JsonObject,
  node: EmulatedNode,
  eligible: EmulatedNode[],
  nodes: EmulatedNode[],
  placed: PlacedPod[],
  podLabels: Record<string, string>,
): number {
  const key = scalarText(c.topologyKey);
  const domains = new Map<string, EmulatedNode>();
  for (const n of eligible) if (n.labels[key] !== undefined) domains.set(n.labels[key], n);
  const least = Math.min(...[...domains.values()].map((n) => inDomain(c.labelSelector, key, n, nodes, placed)));
  const self = selectorMatches(c.labelSelector, podLabels) ? 1 : 0;
  return inDomain(c.labelSelector, key, node, nodes, placed) + self - (Number.isFinite(least) ? least : 0);
}

/**
 * Where the scheduler binds a pod with `rules` and `labels`, given the pods already bound (`placed`, the pod
 * itself not among them); or Pending with the scheduler's message when no node passes every filter.
 */
export function placePod(
  rules: SchedulingRules,
  podLabels: Record<string, string>,
  nodes: EmulatedNode[],
  placed: PlacedPod[],
): Placement {
  const reasons = new Map<string, number>();
  const reject = (why: string) => reasons.set(why, (reasons.get(why) ?? 0) + 1);
  const eligible = nodes.filter((n) => nodeAffinityAllows(rules, n));
  const hard = rules.spread.filter((c) => (c.whenUnsatisfiable ?? 'DoNotSchedule') === 'DoNotSchedule');
  const soft = rules.spread.filter((c) => c.whenUnsatisfiable === 'ScheduleAnyway');
  const feasible = nodes.filter((node) => {
    if (node.down) return (reject('had untolerated taint {node.kubernetes.io/unreachable: }'), false);
    if (!nodeAffinityAllows(rules, node)) return (reject("didn't match Pod's node affinity/selector"), false);
    const anti = rules.requiredAntiAffinity.some(
      (t) => inDomain(t.labelSelector, scalarText(t.topologyKey), node, nodes, placed) > 0,
    );
    if (anti) return (reject("didn't match pod anti-affinity rules"), false);
    for (const c of hard) {
      if (node.labels[scalarText(c.topologyKey)] === undefined)
        return (reject("didn't match pod topology spread constraints (missing required label)"), false);
      const maxSkew = typeof c.maxSkew === 'number' ? c.maxSkew : 1;
      if (skewOn(c, node, eligible, nodes, placed, podLabels) > maxSkew)
        return (reject("didn't match pod topology spread constraints"), false);
    }
    return true;
  });
  if (feasible.length === 0) {
    const parts = [...reasons].sort(([a], [b]) => a.localeCompare(b)).map(([why, n]) => `${n} node(s) ${why}`);
    return { pending: `0/${nodes.length} nodes are available: ${parts.join(', ')}.` };
  }
  // Default spreading applies to a pod that states no spread constraint of its own (its StatefulSet's pods).
  const defaults: JsonObject[] =
    rules.spread.length === 0
      ? [HOSTNAME_LABEL, ZONE_LABEL].map((key) => ({ topologyKey: key, labelSelector: { matchLabels: podLabels } }))
      : [];
  const weighing = (terms: Array<{ weight: number; term: JsonObject }>, node: EmulatedNode): number =>
    terms.reduce(
      (s, p) => s + p.weight * inDomain(p.term.labelSelector, scalarText(p.term.topologyKey), node, nodes, placed),
      0,
    );
  const cost = (node: EmulatedNode): [number, number] => [
    weighing(rules.preferredAntiAffinity, node) - weighing(rules.preferredAffinity, node),
    [...soft, ...defaults].reduce(
      (s, c) => s + inDomain(c.labelSelector, scalarText(c.topologyKey), node, nodes, placed),
      0,
    ),
  ];
  // Lowest cost first; among equals the first node in order (kube-scheduler: one of them at random).
  let best = feasible[0]!;
  for (const node of feasible.slice(1)) {
    const [a, b] = [cost(node), cost(best)];
    if (a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])) best = node;
  }
  return { node: best.name };
}

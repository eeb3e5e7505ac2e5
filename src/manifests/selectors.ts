import type { JsonObject } from './model.ts';
import { arrayAt, labelsAt, stringAt } from './object-path.ts';

/** True when a Service/label selector (matchLabels only) selects pods with these labels. */
export function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  const keys = Object.keys(selector);
  return keys.length > 0 && keys.every((k) => labels[k] === selector[k]);
}

/** A LabelSelector (matchLabels and matchExpressions) evaluated against labels, as the API server does. */
export function labelSelectorMatches(selector: JsonObject, labels: Record<string, string>): boolean {
  const exact = labelsAt(selector, ['matchLabels']);
  if (!Object.entries(exact).every(([k, v]) => labels[k] === v)) return false;
  return arrayAt(selector, ['matchExpressions']).every((e) => {
    const key = stringAt(e, ['key']) ?? '';
    const values = arrayAt(e, ['values']).map(String);
    switch (stringAt(e, ['operator'])) {
      case 'In':
        return key in labels && values.includes(labels[key]!);
      case 'NotIn':
        return !(key in labels) || !values.includes(labels[key]!);
      case 'Exists':
        return key in labels;
      case 'DoesNotExist':
        return !(key in labels);
      default:
        return false;
    }
  });
}

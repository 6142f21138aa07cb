// metav1.LabelSelector semantics: matchLabels and every matchExpressions requirement must hold (AND); an empty
// selector matches everything.
import type { LabelSelector } from './types.js';

export function selectorMatches(sel: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  if (sel.matchLabels) {
    for (const [k, v] of Object.entries(sel.matchLabels)) if (labels[k] !== v) return false;
  }
  for (const r of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, r.key);
    switch (r.operator) {
      case 'In':
        if (!has || !(r.values ?? []).includes(labels[r.key]!)) return false;
        break;
      case 'NotIn':
        if (has && (r.values ?? []).includes(labels[r.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

/** True for `{}` (and for matchLabels/matchExpressions both empty): selects everything. */
export function isEmptySelector(sel: LabelSelector): boolean {
  return Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
}

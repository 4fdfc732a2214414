// Which study page a sweep opens on: a sweep made from a built-in template with a story of its own (the template id
// its spec stores) gets that template's page; any other sweep of named variants gets the generic study view.

import { fusionStudyCard } from './fusion_study_view.js';
import { rebalancingCard } from './rebalancing_view.js';
import { servingCard } from './serving_study.js';
import { studyCard } from './study_view.js';

const TEMPLATE_CARDS = { 'fusion-study': fusionStudyCard, 'memory-rebalancing': rebalancingCard, 'llm-serving': servingCard };

/** The card factory for a sweep's spec ({sweep, data, template, Plotly} -> {card, draw, update}), or null. A
 * template's page draws before the first result (it says what is coming); the generic view waits for one. */
export function studyCardFor(spec) {
  const custom = TEMPLATE_CARDS[spec.template];
  if (custom) return { make: custom, drawsEmpty: true };
  return spec.variants?.length ? { make: studyCard, drawsEmpty: false } : null;
}

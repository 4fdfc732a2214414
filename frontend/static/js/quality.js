// The unit of a point's quality loss: the published metric it is measured in, read from the report's
// `quality_source` ("…: SQuAD v1.1, F1 88.46 -> 87.74 (Q8BERT QAT)", simulator/quality.py). Accuracy-type metrics lose
// points ("F1 points"); perplexity is gained ("perplexity"). A sweep's quality column takes the unit its points share.

import { api } from './api.js';
import { setDisplayUnit } from './catalog.js';

const SOURCE = /: ([^:]+), ([^,:]+?) (-?[\d.]+) -> (-?[\d.]+) \(([^()]*)\)$/;

/** {task, metric, unit} of a quality source, or null when it is not one. */
export function qualityOf(source) {
  const match = SOURCE.exec(source ?? '');
  if (!match) return null;
  const [, task, metric] = match;
  return { task, metric, unit: /perplexity/i.test(metric) ? 'perplexity' : `${metric} points` };
}

/** Sets the quality column's unit for this view from one point of each model that has a published value (at most
 * four models are looked up); no unit when they differ or none has one. Returns the unit. */
export async function loadQualityUnit(columns, ids) {
  const values = columns.quality_loss ?? [];
  const firstOfModel = new Map();
  values.forEach((v, i) => {
    const model = columns.model?.[i] ?? '';
    if (Number.isFinite(v) && !firstOfModel.has(model) && firstOfModel.size < 4) firstOfModel.set(model, ids[i]);
  });
  setDisplayUnit('quality_loss', '');
  if (!firstOfModel.size) return '';
  const points = await Promise.all([...firstOfModel.values()].map((id) => api(`/api/points/${id}`).catch(() => null)));
  const units = new Set(points.map((p) => qualityOf(p?.report?.quality_source)?.unit ?? ''));
  const unit = units.size === 1 ? [...units][0] : '';
  setDisplayUnit('quality_loss', unit);
  return unit;
}

// What a sweep explored, in words and as JSON (GET /api/sweeps/{id}'s `spec`), its name, tags and notes (PATCH
// /api/sweeps/{id}) and "New sweep from this one" (the new-sweep form filled in from this spec: #/new?from=ID).

import { api } from '../api.js';
import { clear, h } from '../dom.js';
import { direction, info } from '../catalog.js';

const plural = (n, word) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/** "8, 16, 32" or "4 to 128 in steps of 4", with how many values. */
export function axisWords(axis) {
  if (Array.isArray(axis)) return `${axis.map(String).join(', ')} (${plural(axis.length, 'value')})`;
  const [start, stop] = [axis.start ?? axis.min, axis.stop ?? axis.max];
  const count = Math.floor((stop - start) / axis.step + 1e-9) + 1;
  return `${start} to ${stop} in steps of ${axis.step} (${plural(count, 'value')})`;
}

const label = (name) => info(name).label || name;
const pairs = (object) => Object.entries(object ?? {}).map(([k, v]) => `${label(k)} ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ');

function axesWords(axes) {
  const entries = Object.entries(axes ?? {});
  return entries.length ? entries.map(([name, axis]) => h('div', { class: 'spec-axis' }, h('b', {}, label(name)), ` (${name}): ${axisWords(axis)}`)) : null;
}

function strategyWords(spec, total) {
  if (spec.strategy === 'random') return `random: ${plural(spec.n_points, 'seeded draw')} (seed ${spec.seed ?? 0}) from the space`;
  if (spec.strategy === 'search') {
    return `search: Optuna ${spec.sampler ?? 'nsga2'}, a budget of ${plural(spec.budget, 'point')}`
      + `${spec.budget_s ? ` or ${spec.budget_s} s` : ''}, asked in batches of ${spec.batch_size ?? (spec.sampler === 'tpe' ? 30 : 100)} (seed ${spec.seed ?? 0})`;
  }
  return `grid: every combination (${plural(total, 'point')})`;
}

/** The spec as rows of [what, words]: only what the spec sets. */
export function specRows(spec, total) {
  const rows = [
    ['Models', spec.models.join(', ')],
    ['Scenarios', (spec.scenarios ?? [{}]).map((sc) => pairs(sc) || 'the defaults').join(' · ')],
    ['Accelerator', `${spec.accelerator ?? 'gemmini-default'}${spec.accelerator_definitions?.[spec.accelerator] ? ' (its definition copied into the sweep)' : ' (preset)'}`],
    ['Accelerator axes', axesWords(spec.axes)],
    ['Option axes', axesWords(spec.option_axes)],
    ['Fixed options', pairs(spec.options)],
    ['Model axes', axesWords(spec.model_axes)],
    ['Scenario axes', axesWords(spec.scenario_axes)],
    ['Variants', (spec.variants ?? []).map((v) => v.label).join(', ')],
    ['Strategy', strategyWords(spec, total)],
    ['Objectives', (spec.objectives ?? []).map((o) => `${direction(o) === 'max' ? 'max' : 'min'} ${label(o).toLowerCase()}`).join(', ')],
    ['Template', spec.template],
  ];
  return rows.filter(([, words]) => words && (!Array.isArray(words) || words.length));
}

/** The card: the spec in words and as JSON, name/tags/notes with an editor, and the clone link. */
export function specCard(raw, { onChanged }) {
  const card = h('section', { class: 'card', id: 'sweep-spec', 'aria-labelledby': 'spec-title' });
  let current = raw;
  const draw = () => {
    const editor = h('form', { id: 'sweep-edit', hidden: true, onsubmit: (e) => { e.preventDefault(); save(); } },
      h('div', { class: 'field' }, h('label', { for: 'edit-name' }, 'Name'), h('input', { type: 'text', id: 'edit-name', value: current.name })),
      h('div', { class: 'field' }, h('label', { for: 'edit-tags' }, 'Tags (comma-separated)'),
        h('input', { type: 'text', id: 'edit-tags', value: current.tags.join(', '), placeholder: 'e.g. memory, paper:fig7' })),
      h('div', { class: 'field' }, h('label', { for: 'edit-notes' }, 'Notes'), h('textarea', { id: 'edit-notes', rows: '3' }, current.notes)),
      h('div', { class: 'error', id: 'edit-error', role: 'alert' }),
      h('div', { class: 'toolbar' }, h('button', { type: 'submit', class: 'primary', id: 'save-sweep' }, 'Save'),
        h('button', { type: 'button', onclick: () => { editor.hidden = true; } }, 'Close')));
    async function save() {
      const tags = editor.querySelector('#edit-tags').value.split(',').map((t) => t.trim()).filter(Boolean);
      const body = { name: editor.querySelector('#edit-name').value, tags, notes: editor.querySelector('#edit-notes').value };
      try {
        current = await api(`/api/sweeps/${current.id}`, { method: 'PATCH', body });
        onChanged(current);
        draw();
      } catch (error) {
        const fields = Object.entries(error.fieldErrors ?? {}).map(([loc, msg]) => `${loc}: ${msg}`);
        editor.querySelector('#edit-error').textContent = fields.length ? fields.join(' · ') : error.message;
      }
    }
    clear(card,
      h('div', { class: 'page-head', style: { marginBottom: '6px' } },
        h('div', {}, h('h2', { id: 'spec-title' }, 'What this sweep explored'),
          h('div', { class: 'tags', id: 'sweep-tags' }, current.tags.length ? current.tags.map((t) => h('a', { class: 'tag', href: `#/sweeps?tag=${encodeURIComponent(t)}`, title: 'Sweeps with this tag' }, t))
            : h('span', { class: 'muted small' }, 'No tags'))),
        h('div', { class: 'toolbar' },
          h('button', { type: 'button', id: 'edit-sweep', onclick: () => { editor.hidden = !editor.hidden; } }, 'Rename, tag, annotate'),
          h('a', { class: 'button', id: 'clone-sweep', href: `#/new?from=${current.id}`, title: 'The new-sweep form, filled in with this spec' }, 'New sweep from this one'))),
      current.notes ? h('p', { id: 'sweep-notes', class: 'notes' }, current.notes) : null,
      editor,
      h('dl', { class: 'spec-words', id: 'spec-words' }, specRows(current.spec, current.total_points).map(([what, words]) => [h('dt', {}, what), h('dd', {}, words)])),
      h('details', {}, h('summary', {}, 'Spec as JSON (POST it to /api/sweeps to run it again)'),
        h('pre', { id: 'spec-json', class: 'spec-json' }, JSON.stringify(current.spec, null, 2))));
  };
  draw();
  return card;
}

// New sweep: models, scenarios, accelerator and the axes to vary (accelerator fields and simulator options); the
// point count updates as you type (POST /api/sweeps/estimate) and every mistake is marked on its own field at once,
// with the API's message in full. `#/new?from=ID` opens the form filled in from sweep ID's spec.

import { api, ApiError } from '../api.js';
import { clear, debounce, h } from '../dom.js';
import { headlineMetrics, info, sweepable, titleOf } from '../catalog.js';
import { axisCount, parseAxis } from '../axis_syntax.js';
import { fmtDuration } from '../format.js';
import { calibrationDetail, calibrationTag } from '../calibration.js';

const DEFAULT_AXES = [['rows', '8, 16, 32'], ['cols', '8, 16, 32'], ['scratchpad_kib', '64, 256']];

async function presets(path) {
  try { return { items: await api(path) }; } catch (error) { return { items: [], error }; }
}

// The team library's entries, as summaries (their scalar fields); one page holds the whole library (1,000 at most).
async function library(path) {
  const page = await presets(`${path}?limit=1000`);
  return { items: page.items.items || [], error: page.error };
}

export async function render(container, _params, query) {
  const from = query?.get('from');
  const [models, accelerators, libraryModels, libraryAccelerators, source] = await Promise.all([
    presets('/api/presets/models'), presets('/api/presets/accelerators'), library('/api/models'), library('/api/accelerators'),
    from ? api(`/api/sweeps/${encodeURIComponent(from)}`).catch((error) => ({ error })) : null]);
  // the team library's entries are chosen like presets (a sweep copies their definitions when it is created)
  models.items.push(...libraryModels.items.map((e) => ({ ...e.summary, name: e.name, source: e.source, library: e.owner })));
  accelerators.items.push(...libraryAccelerators.items.map((e) => ({ ...e.summary, name: e.name, library: e.owner, calibration: e.calibration })));
  // what the catalog offers: headline metrics as objectives, every sweepable accelerator field as an axis
  const OBJECTIVES = headlineMetrics().filter((name) => name !== 'latency_cycles');
  const AXIS_SUGGESTIONS = sweepable('accelerator').map((p) => p.name);
  const OPTION_NAMES = sweepable('options').map((p) => p.name);
  const errors = {};  // field path -> element showing its message
  const fieldInputs = {};  // field path -> the input marked when its message is shown
  const fieldError = (path, input = null) => {
    if (input) fieldInputs[path] = input;
    return (errors[path] = h('div', { class: 'error', id: `err-${path.replaceAll('.', '-')}`, 'aria-live': 'polite' }));
  };

  const name = h('input', { type: 'text', id: 'sweep-name', value: `sweep-${new Date().toISOString().slice(5, 16).replace('T', '-')}`, required: true });
  const owner = h('input', { type: 'text', id: 'sweep-owner', value: localStorage.getItem('dse.owner') || '', placeholder: 'so the team knows whose it is' });
  const modelChoice = (m, checked) => {
    const detail = [m.family, m.num_layers ? `${m.num_layers} layers` : null, m.d_model ? `d=${m.d_model}` : null].filter(Boolean).join(', ');
    return h('label', { title: m.source }, h('input', { type: 'checkbox', name: 'model', value: m.name, checked }), m.name,
      detail ? h('span', { class: 'muted small' }, ` (${detail})`) : null,
      m.library ? h('span', { class: 'tag', title: `in the team library (added by ${m.library})` }, 'library') : null);
  };
  const modelBox = h('div', { class: 'checks', id: 'model-choices' }, models.items.map((m, k) => modelChoice(m, k === 0)));
  const modelText = h('input', { type: 'text', id: 'model-names', placeholder: 'preset names, e.g. bert-base, gpt2-medium', value: models.items.length ? '' : 'bert-base' });
  // Import a Hugging Face config.json into the team library (POST /api/models), then choose it like a preset.
  const upload = h('input', { type: 'file', id: 'model-config', accept: '.json,application/json', 'aria-label': 'A Hugging Face config.json' });
  const importName = h('input', { type: 'text', id: 'model-import-name', placeholder: 'name in the library', 'aria-label': 'Name of the imported model' });
  const importButton = h('button', { type: 'button', id: 'model-import', disabled: true }, 'Add to library');
  const importStatus = h('span', { class: 'muted small', id: 'model-import-status', role: 'status' });
  let pending = null;
  upload.addEventListener('change', async () => {
    pending = null;
    importButton.disabled = true;
    errors.model_import.textContent = '';
    importStatus.textContent = '';
    const file = upload.files[0];
    if (!file) return;
    try { pending = JSON.parse(await file.text()); } catch {
      errors.model_import.textContent = `${file.name} is not valid JSON: choose a model's config.json`;
      return;
    }
    const fromConfig = String(pending._name_or_path || '').split('/').pop();
    const fromFile = file.name.replace(/\.json$/i, '');
    importName.value ||= (fromConfig || (fromFile !== 'config' ? fromFile : pending.model_type || 'my-model'))
      .replace(/[^A-Za-z0-9._-]+/g, '-');
    importButton.disabled = false;
  });
  importButton.addEventListener('click', async () => {
    importButton.disabled = true;
    errors.model_import.textContent = '';
    try {
      const entry = await api('/api/models', { method: 'POST', body: { name: importName.value.trim(), config: pending } });
      modelBox.append(modelChoice({ ...entry.definition, name: entry.name, source: entry.source, library: entry.owner }, true));
      importStatus.textContent = `Added ${entry.name} (${entry.definition.family}, ${entry.definition.num_layers} layers) and chose it.`;
      upload.value = '';
      importName.value = '';
      pending = null;
      estimate();
    } catch (error) {
      errors.model_import.textContent = error.message;
      importButton.disabled = false;
    }
  });

  const batch = h('input', { type: 'text', id: 'scenario-batch', value: '1' });
  const seqLen = h('input', { type: 'text', id: 'scenario-seq-len', value: '128, 512' });
  const genLen = h('input', { type: 'text', id: 'scenario-generate-len', value: '', placeholder: 'decoders only, e.g. 32' });
  // a decoder's prompt: given, it replaces the sequence lengths (which a decoder otherwise reads as its prompt)
  const promptLen = h('input', { type: 'text', id: 'scenario-prompt-len', value: '', placeholder: 'decoders only, e.g. 512' });
  const promptReplaces = () => {
    seqLen.disabled = promptLen.value.trim() !== '';
    seqLen.title = seqLen.disabled ? 'A prompt length is given: the sweep uses it instead (decoders)' : '';
  };
  promptLen.addEventListener('input', promptReplaces);
  // a calibrated accelerator says so in its choice, and under the list when it is chosen
  const acceleratorOption = (a) => h('option', { value: a.name, selected: a.name === 'gemmini-default' },
    a.calibration ? `${a.name} — ${a.calibration.label}` : a.description && !a.library ? `${a.name} — ${a.description}` : a.name);
  const accelerator = accelerators.items.length
    ? h('select', { id: 'accelerator' },
      h('optgroup', { label: 'Presets' }, accelerators.items.filter((a) => !a.library).map(acceleratorOption)),
      accelerators.items.some((a) => a.library)
        ? h('optgroup', { label: 'Team library' }, accelerators.items.filter((a) => a.library).map(acceleratorOption)) : null)
    : h('input', { type: 'text', id: 'accelerator', value: 'gemmini-default' });
  const calibrationNote = h('div', { class: 'hint', id: 'accelerator-calibration', 'aria-live': 'polite' });
  const showCalibration = () => {
    const chosen = accelerators.items.find((a) => a.name === accelerator.value.trim());
    clear(calibrationNote, ...(chosen?.calibration ? [calibrationTag(chosen.calibration), ' ', calibrationDetail(chosen.calibration)] : []));
  };
  accelerator.addEventListener('change', showCalibration);
  showCalibration();

  const axesBody = h('tbody', {});
  /** An option's choices as the values field takes them ("int8, int4"; booleans "true, false"), or ''. */
  const choicesOf = (name) => (info(name).choices ?? (info(name).type === 'bool' ? [true, false] : [])).join(', ');
  const addAxis = (param = '', values = '') => {
    const err = h('div', { class: 'error' });
    const hint = h('div', { class: 'hint axis-hint' });
    const nameInput = h('input', { type: 'text', class: 'axis-name', value: param, list: 'axis-names', 'aria-label': 'Parameter' });
    const valuesInput = h('input', { type: 'text', class: 'axis-values', value: values, 'aria-label': `Values of ${param || 'the parameter'}` });
    const describe = () => {
      const name = nameInput.value.trim();
      valuesInput.setAttribute('aria-label', `Values of ${name || 'the parameter'}`);
      if (OPTION_NAMES.includes(name)) {
        const choices = choicesOf(name);
        if (choices && !valuesInput.value.trim()) valuesInput.value = choices;  // every choice, to untick by deleting
        hint.textContent = `Simulator option: ${info(name).label}${choices ? ` — one of ${choices}` : ''}`;
      } else hint.textContent = AXIS_SUGGESTIONS.includes(name) ? `Accelerator field: ${titleOf(name)}` : '';
    };
    nameInput.addEventListener('input', describe);
    describe();
    const row = h('tr', { class: 'axis-row' },
      h('td', {}, nameInput),
      h('td', {}, valuesInput, hint, err),
      h('td', { class: 'num axis-count muted' }),
      h('td', {}, h('button', { type: 'button', 'aria-label': 'Remove this axis', onclick: () => { row.remove(); estimate(); } }, '×')));
    row.errorBox = err;
    axesBody.append(row);
    return row;
  };
  // Vary a simulator option: every sweepable option of the catalog, with its choices.
  const addOption = h('select', { id: 'add-option-axis', 'aria-label': 'Vary a simulator option' },
    h('option', { value: '' }, '+ Vary an option…'),
    OPTION_NAMES.map((n) => h('option', { value: n }, `${info(n).label} (${n})${choicesOf(n) ? `: ${choicesOf(n)}` : ''}`)));
  addOption.addEventListener('change', () => {
    const name = addOption.value;
    addOption.value = '';
    if (!name) return;
    const existing = [...axesBody.querySelectorAll('.axis-row')].find((r) => r.querySelector('.axis-name').value.trim() === name);
    (existing ?? addAxis(name, choicesOf(name))).querySelector('.axis-values').focus();
    estimate();
  });
  DEFAULT_AXES.forEach(([p, v]) => addAxis(p, v));

  const strategy = h('select', { id: 'strategy' }, h('option', { value: 'grid' }, 'grid: every combination'),
    h('option', { value: 'random' }, 'random: n seeded draws'),
    h('option', { value: 'search' }, 'search: Optuna multi-objective search for a budget of points'));
  const nPoints = h('input', { type: 'number', id: 'n-points', min: '1', value: '1000' });
  const seed = h('input', { type: 'number', id: 'seed', min: '0', value: '0' });
  const sampler = h('select', { id: 'sampler' }, h('option', { value: 'nsga2' }, 'NSGA-II'), h('option', { value: 'tpe' }, 'TPE'),
    h('option', { value: 'random' }, 'random'));
  const samplerBox = h('div', { hidden: true }, h('label', { for: 'sampler' }, 'Sampler'), sampler);
  const randomBox = h('div', { class: 'inline', hidden: true }, h('div', {}, h('label', { for: 'n-points' }, 'Points'), nPoints,
    fieldError('n_points', nPoints), fieldError('budget', nPoints)), h('div', {}, h('label', { for: 'seed' }, 'Seed'), seed), samplerBox);
  strategy.addEventListener('change', () => {
    randomBox.hidden = strategy.value === 'grid';
    samplerBox.hidden = strategy.value !== 'search';
    estimate();
  });
  const objectives = h('div', { class: 'checks', id: 'objectives' }, OBJECTIVES.map((o) => h('label', {},
    h('input', { type: 'checkbox', name: 'objective', value: o, checked: o === 'latency_s' || o === 'energy_j' }), titleOf(o))));
  const options = h('textarea', { id: 'options', rows: '3', placeholder: '{"weight_precision": "int4", "fuse_nonlinear": true}  (optional JSON: fixed simulator options)' });
  const optionsHint = h('div', { class: 'hint', id: 'options-hint' }, 'Options: ', OPTION_NAMES.map((n, k) => [k ? ', ' : '',
    h('code', { title: titleOf(n) + (info(n).choices ? ` — one of ${info(n).choices.join(', ')}` : '') }, n)]));

  const count = h('div', { class: 'metric', id: 'point-count', 'aria-live': 'polite' }, h('div', { class: 'label' }, 'Design points'), h('div', { class: 'value' }, '…'));
  const formError = h('div', { role: 'alert' });
  const countDetail = h('div', { class: 'hint', id: 'count-detail', style: { margin: '6px 0 12px' } });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'create-sweep' }, 'Create sweep');

  const form = h('form', { id: 'new-sweep-form', novalidate: true, oninput: () => estimate(), onsubmit: (e) => { e.preventDefault(); create(); } },
    h('div', { class: 'grid-2' },
      h('div', {},
        h('section', { class: 'card' }, h('h2', {}, '1. What to run'),
          h('div', { class: 'field' }, h('label', { for: 'sweep-name' }, 'Name'), name, fieldError('name', name)),
          h('div', { class: 'field' }, h('label', { for: 'sweep-owner' }, 'Your name'), owner, fieldError('owner', owner)),
          h('div', { class: 'field' }, h('label', {}, 'Models'), models.error
            ? h('div', { class: 'hint' }, `Presets unavailable (${models.error.message}); type preset names:`) : modelBox,
          models.items.length ? null : modelText, fieldError('models', models.items.length ? modelBox : modelText),
          h('div', { class: 'hint' }, 'Or add your own model from a Hugging Face config.json: '),
          h('div', { class: 'inline-form' }, upload, importName, importButton), importStatus, fieldError('model_import')),
          h('div', { class: 'field' }, h('label', {}, 'Scenarios (every combination)'),
            h('div', { class: 'inline' }, h('div', {}, h('label', { for: 'scenario-batch', class: 'hint' }, 'Batch sizes'), batch, fieldError('scenarios.batch', batch)),
              h('div', {}, h('label', { for: 'scenario-seq-len', class: 'hint' }, 'Sequence lengths (tokens)'), seqLen, fieldError('scenarios.seq_len', seqLen)),
              h('div', {}, h('label', { for: 'scenario-prompt-len', class: 'hint' }, 'Prompt tokens'), promptLen, fieldError('scenarios.prompt_len', promptLen)),
              h('div', {}, h('label', { for: 'scenario-generate-len', class: 'hint' }, 'Generated tokens'), genLen, fieldError('scenarios.generate_len', genLen))),
            fieldError('scenarios'))),
        h('section', { class: 'card' }, h('h2', {}, '3. How to search'),
          h('div', { class: 'field' }, h('label', { for: 'strategy' }, 'Strategy'), strategy, fieldError('strategy', strategy)), randomBox,
          h('div', { class: 'field' }, h('label', {}, 'Objectives (the Pareto front minimizes/maximizes these)'), objectives, fieldError('objectives', objectives)),
          h('details', {}, h('summary', {}, 'Options (advanced)'), h('div', { class: 'field' }, options, optionsHint, fieldError('options', options))))),
      h('div', {},
        h('section', { class: 'card' }, h('h2', {}, '2. Hardware to explore'),
          h('div', { class: 'field' }, h('label', { for: 'accelerator' }, 'Accelerator preset'), accelerator, calibrationNote, fieldError('accelerator', accelerator),
            accelerators.error ? h('div', { class: 'hint' }, `Presets unavailable: ${accelerators.error.message}`) : null),
          h('label', {}, 'Axes to vary: accelerator fields and simulator options'),
          h('div', { class: 'hint', style: { marginBottom: '6px' } }, 'Values as a list "8, 16, 32" or "int8, int4", a range "8..64 step 8" or a geometric series "8..128 x2".'),
          h('table', { class: 'data', id: 'axes-table' }, h('thead', {}, h('tr', {}, h('th', {}, 'Parameter'), h('th', {}, 'Values'), h('th', { class: 'num' }, 'Count'), h('th', {}, ''))), axesBody),
          h('datalist', { id: 'axis-names' }, AXIS_SUGGESTIONS.map((s) => h('option', { value: s }, `accelerator: ${titleOf(s)}`)),
            OPTION_NAMES.map((s) => h('option', { value: s }, `option: ${info(s).label}${choicesOf(s) ? ` (${choicesOf(s)})` : ''}`))),
          h('div', { class: 'toolbar', style: { marginTop: '8px' } },
            h('button', { type: 'button', onclick: () => { addAxis(); estimate(); } }, '+ Add axis'), addOption),
          fieldError('axes'), fieldError('option_axes')),
        h('section', { class: 'card' }, count, countDetail, formError,
          h('div', { class: 'toolbar', style: { marginTop: '10px' } }, submit, h('a', { class: 'button', href: '#/sweeps' }, 'Cancel'))))));

  const fromNote = h('div', { id: 'cloned-from' });
  container.append(h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'New sweep'),
    h('div', { class: 'sub' }, 'Pick the models and the hardware knobs to explore; every design point is simulated by the workers.'))), fromNote, form);

  // What a cloned spec holds that the form has no input for (variants, model axes, definitions, …): kept as it is.
  let kept = {};
  if (source?.error) clear(fromNote, h('div', { class: 'notice error' }, `Could not read sweep ${from}: ${source.error.message}`));
  else if (source) kept = fill(source.spec, source);

  /** Fills the form from a stored spec ("New sweep from this one"); returns the spec's fields the form cannot show. */
  function fill(given, sweep) {
    name.value = `${sweep.name} (copy)`;  // its current name (a rename changes the sweep, not the spec it ran)
    const boxes = () => [...modelBox.querySelectorAll('input')];
    for (const m of given.models) if (!boxes().some((i) => i.value === m)) modelBox.append(modelChoice({ name: m }, true));
    for (const input of boxes()) input.checked = given.models.includes(input.value);
    if (!models.items.length) modelText.value = given.models.join(', ');
    const scenarios = given.scenarios ?? [{}];
    const distinctOf = (field) => [...new Set(scenarios.map((sc) => sc[field]).filter((v) => v !== undefined))];
    batch.value = distinctOf('batch').join(', ') || '1';
    seqLen.value = distinctOf('seq_len').join(', ');
    promptLen.value = distinctOf('prompt_len').join(', ');
    promptReplaces();
    genLen.value = distinctOf('generate_len').join(', ');
    if ([...accelerator.options ?? []].some((o) => o.value === given.accelerator) || accelerator.tagName === 'INPUT') accelerator.value = given.accelerator;
    else accelerator.append(h('option', { value: given.accelerator, selected: true }, given.accelerator));
    showCalibration();
    axesBody.replaceChildren();
    const text = (axis) => (Array.isArray(axis) ? axis.join(', ') : `${axis.start ?? axis.min}..${axis.stop ?? axis.max} step ${axis.step}`);
    for (const [param, axis] of [...Object.entries(given.axes ?? {}), ...Object.entries(given.option_axes ?? {})]) addAxis(param, text(axis));
    strategy.value = given.strategy ?? 'grid';
    randomBox.hidden = strategy.value === 'grid';
    samplerBox.hidden = strategy.value !== 'search';
    if (given.n_points ?? given.budget) nPoints.value = String(given.n_points ?? given.budget);
    seed.value = String(given.seed ?? 0);
    if (given.sampler) sampler.value = given.sampler;
    for (const input of objectives.querySelectorAll('input')) input.checked = (given.objectives ?? []).includes(input.value);
    if (Object.keys(given.options ?? {}).length) options.value = JSON.stringify(given.options);
    const rebuilt = scenarios.length === Math.max(1, distinctOf('batch').length) * Math.max(1, distinctOf('seq_len').length + distinctOf('prompt_len').length) * Math.max(1, distinctOf('generate_len').length)
      && !(distinctOf('seq_len').length && distinctOf('prompt_len').length)
      && scenarios.every((sc) => Object.keys(sc).every((k) => ['batch', 'seq_len', 'prompt_len', 'generate_len'].includes(k)));
    const extra = Object.fromEntries(['variants', 'model_axes', 'scenario_axes', 'model_definitions', 'accelerator_definitions',
      'budget_s', 'batch_size', 'template'].filter((k) => given[k] !== undefined && given[k] !== null
      && !(typeof given[k] === 'object' && !Object.keys(given[k]).length)).map((k) => [k, given[k]]));
    if (!rebuilt) extra.scenarios = scenarios;
    clear(fromNote, h('div', { class: 'notice', id: 'cloned-notice' }, 'Filled in from sweep ',
      h('a', { href: `#/sweeps/${sweep.id}` }, `#${sweep.id} “${sweep.name}”`), '; change what you like and create it.',
      Object.keys(extra).length ? ` Kept as they are (the form has no field for them): ${Object.keys(extra).map((k) => k.replaceAll('_', ' ')).join(', ')}.` : ''));
    return extra;
  }

  function list(text) {
    return text.split(/[,\s]+/).filter(Boolean).map((v) => (Number.isNaN(Number(v)) ? v : Number(v)));
  }

  /** The SweepSpec from the form, or throws with per-field messages for what the browser can check. */
  function spec() {
    const local = {};
    const axes = {};
    const optionAxes = {};
    for (const row of axesBody.querySelectorAll('.axis-row')) {
      const param = row.querySelector('.axis-name').value.trim();
      const text = row.querySelector('.axis-values').value;
      row.querySelector('.axis-count').textContent = '';
      if (!param) continue;
      const group = OPTION_NAMES.includes(param) ? optionAxes : axes;
      try {
        group[param] = parseAxis(text);
        row.querySelector('.axis-count').textContent = String(axisCount(group[param]));
      } catch (error) { local[`${group === axes ? 'axes' : 'option_axes'}.${param}`] = error.message; }
    }
    const chosen = models.items.length ? [...modelBox.querySelectorAll('input:checked')].map((i) => i.value) : list(modelText.value).map(String);
    const scenarios = [];
    const gens = list(genLen.value);
    const prompts = list(promptLen.value);
    const [lengthField, lengths] = prompts.length ? ['prompt_len', prompts] : ['seq_len', list(seqLen.value)];
    for (const b of list(batch.value)) for (const s of lengths) {
      if (gens.length) for (const g of gens) scenarios.push({ batch: b, [lengthField]: s, generate_len: g });
      else scenarios.push({ batch: b, [lengthField]: s });
    }
    const body = { name: name.value.trim(), models: chosen, scenarios, accelerator: accelerator.value.trim(), axes,
      strategy: strategy.value, objectives: [...objectives.querySelectorAll('input:checked')].map((i) => i.value) };
    if (Object.keys(optionAxes).length) body.option_axes = optionAxes;
    Object.assign(body, kept);
    if (owner.value.trim()) body.owner = owner.value.trim();
    if (strategy.value === 'random') { body.n_points = Number(nPoints.value); body.seed = Number(seed.value); }
    if (strategy.value === 'search') { body.budget = Number(nPoints.value); body.seed = Number(seed.value); body.sampler = sampler.value; }
    if (options.value.trim()) {
      try { body.options = JSON.parse(options.value); } catch { local.options = 'options must be a JSON object, e.g. {"weight_precision": "int4"}'; }
    }
    return { body, local };
  }

  /** Every message on its own field (an axis on its row), the input marked, and a summary that names them all;
   * nothing is ever refused without its reason. */
  function showErrors(fields, general = '') {
    for (const box of Object.values(errors)) box.textContent = '';
    for (const row of axesBody.querySelectorAll('.axis-row')) row.errorBox.textContent = '';
    form.querySelectorAll('.invalid').forEach((el) => el.classList.remove('invalid'));
    const unplaced = [];
    const placed = [];
    const add = (box, message) => { box.textContent = box.textContent ? `${box.textContent}; ${message}` : message; };
    for (const [rawPath, rawMessage] of Object.entries(fields)) {
      // scenarios.3.seq_len: the form builds scenarios from one input per field, so the message goes under it
      const scenario = rawPath.match(/^scenarios\.\d+\.(\w+)$/);
      const path = scenario && errors[`scenarios.${scenario[1]}`] ? `scenarios.${scenario[1]}` : rawPath;
      const [head, sub] = path.split('.');
      const last = path.split('.').pop();
      const message = (head === 'options' || head === 'variants' || (head === 'scenarios' && !errors[path]))
        && sub && !/^\d+$/.test(last) ? `${last}: ${rawMessage}` : rawMessage;
      if ((head === 'axes' || head === 'option_axes') && sub) {
        const row = [...axesBody.querySelectorAll('.axis-row')].find((r) => r.querySelector('.axis-name').value.trim() === sub);
        if (row) {
          add(row.errorBox, message);
          const aboutName = /^(unknown|'[^']*' is (a simulator option|an accelerator field))/.test(rawMessage);
          row.querySelector(aboutName ? '.axis-name' : '.axis-values').classList.add('invalid');
          placed.push(`axis ${sub}`);
          continue;
        }
      }
      const box = errors[path] ?? errors[head];
      if (box) {
        add(box, message);
        (fieldInputs[path] ?? fieldInputs[head])?.classList.add('invalid');
        placed.push(path.replace(/^scenarios\./, '').replaceAll('_', ' ').replaceAll('.', ' '));
        continue;
      }
      unplaced.push(path === '_' || !path ? message : `${path}: ${message}`);
    }
    const text = [general, ...unplaced].filter(Boolean).join(' · ');
    const names = [...new Set(placed)];
    clear(formError, text ? h('div', { class: 'form-error' }, text) : null,
      names.length ? h('div', { class: 'form-summary', id: 'form-summary' },
        `${names.length === 1 ? 'One field needs' : `${names.length} fields need`} a change, each marked with the reason: ${names.join(', ')}.`) : null);
    return names.length + unplaced.length;
  }

  let estimateToken = 0;
  /** Asks the API about the spec (without what the browser already refused) and shows every problem at once. */
  async function check() {
    const token = ++estimateToken;
    const { body, local } = spec();
    const hasLocal = Object.keys(local).length > 0;
    try {
      const answer = await api('/api/sweeps/estimate', { method: 'POST', body });
      if (token !== estimateToken) return false;
      showErrors(local);
      if (hasLocal) { setCount('–', 'Fix the marked fields to see the size.'); return false; }
      const time = answer.worker_seconds !== null && answer.worker_seconds !== undefined
        ? ` · about ${fmtDuration(Math.max(1, answer.worker_seconds))} of one worker's time (${answer.speed_source})`
        : ' · time: no sweep measured yet';
      setCount(answer.points.toLocaleString('en-US'), `limit ${answer.max_points.toLocaleString('en-US')} points${time}`);
      submit.disabled = false;
      return true;
    } catch (error) {
      if (token !== estimateToken) return false;
      if (error instanceof ApiError && error.status === 422) {
        const fields = Object.keys(error.fieldErrors).length ? error.fieldErrors : { _: error.message };
        showErrors({ ...fields, ...local });
        setCount('–', 'The API cannot size this spec yet: see the marked fields.');
      } else {
        showErrors(local);
        const sized = Object.values({ ...body.axes, ...body.option_axes }).reduce((n, a) => n * axisCount(a), body.models.length * body.scenarios.length);
        setCount(`≈ ${sized.toLocaleString('en-US')}`, `Estimated in the browser (${error.message})`);
      }
      return false;
    }
  }
  const estimate = debounce(check, 250);

  function setCount(value, detail) {
    count.querySelector('.value').textContent = value;
    countDetail.textContent = detail;
  }

  async function create() {
    const { body, local } = spec();
    if (Object.keys(local).length) { await check(); return; }
    submit.disabled = true;
    submit.textContent = 'Creating…';
    try {
      if (body.owner) localStorage.setItem('dse.owner', body.owner);
      const created = await api('/api/sweeps', { method: 'POST', body });
      location.hash = `#/sweeps/${created.id}`;
    } catch (error) {
      const fields = error.fieldErrors ?? {};
      if (error.status === 422) showErrors(Object.keys(fields).length ? fields : { _: error.message });
      else showErrors(fields, `Not created: ${error.message}`);
      submit.disabled = false;
      submit.textContent = 'Create sweep';
    }
  }

  estimate();
  return () => { estimateToken += 1; };
}

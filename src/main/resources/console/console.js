// realtime-ai console: plain JavaScript on the app's own REST API, no framework and nothing fetched
// from elsewhere. Every request goes through api(); every refusal shows the API's own error.

import { latencyHistograms } from './metrics.js';

/** The API's root: the console is served at {prefix}/console/, so the API is one folder up. */
const API = new URL('..', document.baseURI);
const POLL_MS = 3000;
const OPERATION_POLL_MS = 1000;
const RESULTS_POLL_MS = 2000;
const TERMINAL = new Set(['Succeeded', 'Failed', 'Cancelled']);
const MAX_EVENTS = 50;
// polls ask again from this long before the newest item seen: a row written a little late still shows
const OVERLAP_MS = 60000;

/** A refusal by the API: its status and its {error: {code, message, details}}. */
class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || [];
  }
}

/** Calls the API; answers {status, body, headers} or throws an ApiError carrying the API's own message. */
async function api(path, { method = 'GET', json, body, contentType } = {}) {
  const headers = {};
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (contentType) {
    headers['Content-Type'] = contentType;
  }
  const response = await fetch(new URL(path.replace(/^\/api\//, ''), API), { method, headers, body });
  const text = await response.text();
  const type = response.headers.get('Content-Type') || '';
  let parsed = null;
  if (text && type.includes('json')) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
  }
  if (!response.ok) {
    const error = parsed && parsed.error;
    if (error) {
      throw new ApiError(response.status, error.code, error.message, error.details);
    }
    throw new ApiError(response.status, `HTTP ${response.status}`, text.trim() || response.statusText);
  }
  return { status: response.status, body: parsed ?? text, headers: response.headers };
}

// ---------------------------------------------------------------- small DOM helpers

/** Builds an element; text is always set as text, never parsed as HTML. */
function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (key === 'class') {
      element.className = value;
    } else if (key.startsWith('on')) {
      element.addEventListener(key.slice(2), value);
    } else if (key === 'dataset') {
      Object.assign(element.dataset, value);
    } else if (key === 'width') {
      element.style.width = value;
    } else {
      element.setAttribute(key, value === true ? '' : value);
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined && child !== false) {
      element.append(child instanceof Node ? child : String(child));
    }
  }
  return element;
}

const $ = (selector, root = document) => root.querySelector(selector);

const shown = new Map();

/** True when data differs from what was last rendered under key: polls re-render only then, so focus stays put. */
function changed(key, data) {
  const text = JSON.stringify(data);
  if (shown.get(key) === text) {
    return false;
  }
  shown.set(key, text);
  return true;
}
const enc = encodeURIComponent;

/** Shows what an action came to, next to it: the API's code and message (and details) on a refusal. */
function outcome(target, result) {
  const element = typeof target === 'string' ? $(`.outcome[data-for="${target}"]`) : target;
  element.replaceChildren();
  element.classList.remove('error', 'done');
  if (result === null || result === undefined) {
    return;
  }
  if (result instanceof Error) {
    element.classList.add('error');
    const code = result instanceof ApiError ? `${result.code}: ` : '';
    element.append(`${code}${result.message}`);
    if (result.details && result.details.length) {
      element.append(h('ul', { class: 'reasons' }, result.details.map((d) => h('li', {}, d))));
    }
  } else {
    element.classList.add('done');
    element.append(result);
  }
}

/** Keeps a list's "nothing here" line in step with whether the list has rows. */
function showEmpty(listId, empty) {
  const line = $(`[data-empty-of="${listId}"]`);
  if (line) {
    line.hidden = !empty;
  }
}

function badge(state) {
  const kind = ['Succeeded', 'Ready', 'Valid', 'Registered', 'Scored', 'Healthy'].includes(state) ? 'ok'
    : ['Failed', 'Invalid', 'Rejected', 'Cancelled', 'Unhealthy'].includes(state) ? 'bad' : 'busy';
  return h('span', { class: `badge ${kind}` }, state);
}

const ms = (value) => `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '');
const mib = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`;
// by time, not by text: the API writes instants with as many fraction digits as they need
const newestFirst = (when) => (a, b) => (Date.parse(when(b)) || 0) - (Date.parse(when(a)) || 0);

/** A key as the console shows it: never whole, only its last four characters. */
export function maskKey(key) {
  if (!key) {
    return '—';
  }
  return `••••••••${key.length > 8 ? key.slice(-4) : ''}`;
}

/** Runs fn now and every ms while the page is visible; a failure is shown by fn's own caller, never thrown. */
function every(interval, fn) {
  const tick = async () => {
    if (!document.hidden) {
      await fn();
    }
    setTimeout(tick, interval);
  };
  tick();
}

// ---------------------------------------------------------------- health

async function refreshHealth() {
  const line = $('#health');
  try {
    const health = (await api('health')).body;
    const versions = health.versions || {};
    line.textContent = `${health.status} · storage ${health.storage && health.storage.reachable ? 'reachable' : 'unreachable'}`
      + ` · realtime-ai ${versions.realtimeAi || '?'} · ONNX Runtime ${versions.onnxRuntime || '?'}`;
  } catch (e) {
    line.textContent = e instanceof ApiError && e.status === 503 ? 'Unhealthy: storage does not answer'
      : `cannot reach the app: ${e.message}`;
  }
}

// ---------------------------------------------------------------- services

const cards = new Map();

async function refreshServices() {
  let services;
  try {
    services = (await api('services?top=100')).body.value;
  } catch (e) {
    outcome($('.outcome[data-for="deploy-form"]'), e);
    return;
  }
  const list = $('#service-list');
  const seen = new Set();
  for (const service of services) {
    seen.add(service.name);
    let card = cards.get(service.name);
    if (!card) {
      card = serviceCard(service.name);
      cards.set(service.name, card);
      list.append(card.root);
    }
    card.update(service);
    if (service.operationId && ['Creating', 'Updating', 'Deleting'].includes(service.state)) {
      track(service.operationId, service.name);
    }
  }
  for (const [name, card] of cards) {
    if (!seen.has(name)) {
      card.root.remove();
      cards.delete(name);
    }
  }
  if (!services.length && !list.querySelector('.empty')) {
    list.append(h('p', { class: 'empty' }, 'No service deployed yet.'));
  } else if (services.length) {
    list.querySelector('.empty')?.remove();
  }
  const select = $('#results-form select[name=service]');
  syncOptions(select, services.map((s) => s.name));
}

function syncOptions(select, values) {
  const current = select.value;
  const existing = [...select.options].map((o) => o.value);
  if (existing.join('\n') === values.join('\n')) {
    return;
  }
  select.replaceChildren(...values.map((v) => h('option', { value: v }, v)));
  if (values.includes(current)) {
    select.value = current;
  }
}

/** One service's card: what it is, its masked keys, a drop zone to score an image, its actions. */
function serviceCard(name) {
  const title = h('h3', {}, name);
  const facts = h('dl');
  const keys = h('dd', { class: 'mono' }, '…');
  const input = h('input', { type: 'file', accept: 'image/*', 'aria-label': `Image to score on ${name}` });
  const drop = h('label', { class: 'drop' }, h('strong', {}, 'Drop an image here'), h('span', {}, 'or choose a file'), input);
  const scored = h('div', { class: 'scored', 'aria-live': 'polite' });
  const message = h('p', { class: 'outcome', role: 'alert' });
  const regenerate = h('button', { class: 'plain', type: 'button' }, 'New primary key');
  const remove = h('button', { class: 'danger', type: 'button' }, 'Delete');
  const root = h('article', { class: 'card', dataset: { service: name }, 'aria-label': `Service ${name}` },
    title, facts, h('dl', {}, h('dt', {}, 'Keys'), keys), drop, scored, message, h('div', { class: 'actions' }, regenerate, remove));

  const score = (file) => scoreImage(name, file, scored, message);
  input.addEventListener('change', () => {
    if (input.files.length) {
      score(input.files[0]);
    }
    input.value = '';
  });
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer.files.length) {
      score(e.dataTransfer.files[0]);
    }
  });
  const showKeys = async () => {
    try {
      const body = (await api(`services/${enc(name)}/keys`)).body;
      keys.replaceChildren(h('span', {}, `primary ${maskKey(body.primaryKey)}`), ' · ',
        h('span', {}, `secondary ${maskKey(body.secondaryKey)}`));
    } catch (e) {
      keys.textContent = e.message;
    }
  };
  regenerate.addEventListener('click', async () => {
    try {
      await api(`services/${enc(name)}/regenerateKeys`, { method: 'POST', json: { keyType: 'Primary' } });
      outcome(message, 'A new primary key is in force; the old one is refused.');
      showKeys();
    } catch (e) {
      outcome(message, e);
    }
  });
  remove.addEventListener('click', async () => {
    if (!window.confirm(`Delete the service ${name} and stop its replicas?`)) {
      return;
    }
    try {
      const accepted = await api(`services/${enc(name)}`, { method: 'DELETE' });
      track(accepted.body.id, name);
      outcome(message, `Deleting: operation ${accepted.body.id}`);
    } catch (e) {
      outcome(message, e);
    }
  });
  showKeys();

  return {
    root,
    update(service) {
      title.replaceChildren(name, badge(service.state));
      const replicas = service.replicas || [];
      facts.replaceChildren(
        h('dt', {}, 'Model'), h('dd', {}, service.modelId),
        h('dt', {}, 'Compute'), h('dd', {}, `${service.computeEnvironmentType} → ${service.accelerator || 'not yet known'}`),
        h('dt', {}, 'Replicas'), h('dd', {}, replicas.length
          ? replicas.map((r, i) => [i ? ', ' : '', `${r.id} `, badge(r.state), r.port ? ` :${r.port}` : ''])
          : `${service.numReplicas} asked`),
        h('dt', {}, 'Updated'), h('dd', {}, time(service.updatedAt)));
    },
  };
}

/** Scores one image on a service and shows its top-5 and where the time went. */
async function scoreImage(name, file, target, message) {
  outcome(message, null);
  const started = performance.now();
  let answer;
  try {
    answer = (await api(`services/${enc(name)}/score?top=5`, {
      method: 'POST', body: file, contentType: file.type || 'application/octet-stream',
    })).body;
  } catch (e) {
    outcome(message, e);
    return;
  }
  const roundTrip = performance.now() - started;
  const preview = h('img', { alt: file.name, src: URL.createObjectURL(file) });
  preview.addEventListener('load', () => URL.revokeObjectURL(preview.src), { once: true });
  const predictions = (answer.predictions && answer.predictions[0]) || [];
  const list = predictions.length
    ? h('ol', { class: 'top5', 'aria-label': `Top ${predictions.length} classes` }, predictions.map((p) => h('li', {},
      h('span', { class: 'label', title: p.label }, p.label ?? `class ${p.index}`),
      h('span', { class: 'bar', 'aria-hidden': 'true' }, h('span', { width: `${Math.max(0, Math.min(1, p.confidence)) * 100}%` })),
      h('span', { class: 'value' }, p.confidence.toFixed(4)))))
    : h('p', { class: 'hint' }, 'The model answered raw outputs, not classes: ', Object.keys(answer.outputs || {}).join(', '));
  target.replaceChildren(h('div', { class: 'score' }, preview,
    h('div', {}, h('h4', {}, file.name), list, latencySplit(answer.timings || {}, roundTrip))));
}

/**
 * The latency of one call: function (the app's own time), serving (the runtime outside the model)
 * and inference, as far as the answer's timings tell them; the round trip as the browser saw it.
 */
export function latencyParts(timings) {
  const parts = [];
  const { totalMs, runtimeMs, inferenceMs } = timings;
  if (typeof totalMs === 'number' && typeof runtimeMs === 'number') {
    parts.push({ name: 'function', ms: Math.max(0, totalMs - runtimeMs) });
    if (typeof inferenceMs === 'number') {
      parts.push({ name: 'serving', ms: Math.max(0, runtimeMs - inferenceMs) });
      parts.push({ name: 'inference', ms: inferenceMs });
    } else {
      parts.push({ name: 'runtime', ms: runtimeMs });
    }
  }
  return parts;
}

function latencySplit(timings, roundTrip) {
  const parts = latencyParts(timings);
  const total = parts.reduce((sum, p) => sum + p.ms, 0);
  return h('div', { class: 'split' },
    h('div', {}, `round trip ${ms(roundTrip)}`, typeof timings.totalMs === 'number' ? ` · in the app ${ms(timings.totalMs)}` : ''),
    parts.length ? h('div', { class: 'stack', 'aria-hidden': 'true' },
      parts.map((p) => h('span', { class: p.name, width: `${total ? (p.ms / total) * 100 : 0}%` }))) : null,
    h('ul', { class: 'legend', 'aria-label': 'Where the time went' }, parts.map((p) => h('li', { class: p.name }, `${p.name} ${ms(p.ms)}`))));
}

// ---------------------------------------------------------------- operations

const operations = new Map();

/** Follows an operation until it ends; the list keeps the last few that ended. */
function track(id, service) {
  if (!id || operations.has(id)) {
    return;
  }
  const row = h('li', { dataset: { operation: id } });
  operations.set(id, { id, service, row, state: 'NotStarted' });
  $('#operation-list').prepend(row);
  showEmpty('operation-list', false);
  pollOperation(id);
}

async function pollOperation(id) {
  const entry = operations.get(id);
  try {
    const op = (await api(`operations/${enc(id)}`)).body;
    entry.state = op.state;
    const took = op.endTime ? ` in ${((new Date(op.endTime) - new Date(op.createdTime)) / 1000).toFixed(1)} s` : '';
    entry.row.replaceChildren(
      h('div', { class: 'head' }, `${op.operationType} ${entry.service || ''}`, badge(op.state), h('span', { class: 'muted' }, took)),
      h('div', { class: 'mono muted' }, op.id),
      op.error ? h('div', { class: 'error' }, `${op.error.code}: ${op.error.message}`,
        op.error.details && op.error.details.length ? h('ul', { class: 'reasons' }, op.error.details.map((d) => h('li', {}, d))) : null) : null);
    if (TERMINAL.has(op.state)) {
      refreshServices();
      const ended = [...operations.values()].filter((o) => TERMINAL.has(o.state));
      for (const old of ended.slice(0, Math.max(0, ended.length - 5))) {
        old.row.remove();
        operations.delete(old.id);
      }
      return;
    }
  } catch (e) {
    entry.row.replaceChildren(h('div', { class: 'error' }, `operation ${id}: ${e.message}`));
    if (e instanceof ApiError && e.status === 404) {
      return;
    }
  }
  setTimeout(() => pollOperation(id), OPERATION_POLL_MS);
}

async function deploy(event) {
  event.preventDefault();
  const form = event.target;
  const data = new FormData(form);
  try {
    const accepted = await api('services', {
      method: 'POST',
      json: {
        name: data.get('name').trim(), modelId: data.get('modelId'), computeType: data.get('computeType'),
        numReplicas: Number(data.get('numReplicas')),
      },
    });
    track(accepted.body.id, data.get('name').trim());
    outcome('deploy-form', `202 Accepted: operation ${accepted.body.id}`);
    refreshServices();
  } catch (e) {
    outcome('deploy-form', e);
  }
}

// ---------------------------------------------------------------- models, uploads, catalog

async function refreshModels() {
  let models;
  try {
    models = (await api('models?top=100')).body.value;
  } catch (e) {
    outcome('model-table', e);
    return;
  }
  if (!changed('models', models)) {
    return;
  }
  const body = $('#model-table tbody');
  body.replaceChildren(...models.map((m) => h('tr', { dataset: { model: m.id } },
    h('td', {}, h('strong', {}, m.id), m.description ? h('div', { class: 'muted' }, m.description) : null),
    h('td', {}, (m.stages || []).map((s) => s.model ? `${s.type} (${s.model})` : s.type).join(' → ')),
    h('td', { class: 'num' }, mib(m.size)),
    h('td', { class: 'mono', title: m.sha256 }, `${(m.sha256 || '').slice(0, 12)}…`),
    h('td', {}, time(m.createdAt)),
    h('td', {}, h('button', { class: 'danger', type: 'button', onclick: () => deleteModel(m.id) }, 'Delete')))));
  showEmpty('model-table', !models.length);
  syncOptions($('#deploy-form select[name=modelId]'), models.map((m) => m.id));
}

async function deleteModel(id) {
  if (!window.confirm(`Delete the model ${id} and its package?`)) {
    return;
  }
  try {
    await api(`models/${enc(id)}`, { method: 'DELETE' });
    outcome('model-table', `Deleted ${id}.`);
    refreshModels();
  } catch (e) {
    outcome('model-table', e);
  }
}

async function register(event) {
  event.preventDefault();
  const data = new FormData(event.target);
  const request = { name: data.get('name').trim(), blobPath: data.get('blobPath').trim(), mimeType: 'application/zip' };
  if (data.get('description').trim()) {
    request.description = data.get('description').trim();
  }
  outcome('register-form', 'registering …');
  try {
    const model = (await api('models', { method: 'POST', json: request })).body;
    outcome('register-form', `Registered ${model.id}.`);
    refreshModels();
  } catch (e) {
    outcome('register-form', e);
  }
}

/** What the events say became of each upload: the latest word per name. */
const uploads = new Map();

function noteUpload(event) {
  if (event.eventType === 'RealtimeAI.ModelRejected' && event.data) {
    uploads.set(event.data.name, { name: event.data.name, state: 'Rejected', reasons: event.data.reasons || [],
      source: event.data.source, at: event.eventTime });
  } else if (event.eventType === 'RealtimeAI.ModelRegistered') {
    const match = /^\/models\/([^/]+)\/versions\/([^/]+)$/.exec(event.subject);
    if (match) {
      const name = decodeURIComponent(match[1]);
      uploads.set(name, { name, state: 'Registered', modelId: `${name}:${match[2]}`, at: event.eventTime });
    }
  }
}

function renderUploads() {
  const items = [...uploads.values()].sort(newestFirst((u) => u.at));
  $('#upload-list').replaceChildren(...items.map(uploadItem));
  showEmpty('upload-list', !items.length);
}

function uploadItem(upload) {
  return h('li', { dataset: { upload: upload.name } },
    h('div', { class: 'head' }, upload.name, badge(upload.state), h('span', { class: 'muted' }, time(upload.at || upload.updatedAt))),
    upload.modelId ? h('div', {}, `registered as ${upload.modelId}`) : null,
    upload.source ? h('div', { class: 'mono muted' }, upload.source) : null,
    upload.reasons && upload.reasons.length ? h('ul', { class: 'reasons' }, upload.reasons.map((r) => h('li', {}, r))) : null,
    upload.missing && upload.missing.length
      ? h('ul', { class: 'reasons missing', 'aria-label': 'Files still missing' }, upload.missing.map((r) => h('li', {}, `missing ${r}`))) : null);
}

async function lookUpUpload(event) {
  event.preventDefault();
  const name = new FormData(event.target).get('name').trim();
  const target = $('.outcome[data-for="upload-form"]');
  try {
    const status = (await api(`uploads/${enc(name)}`)).body;
    target.classList.remove('error');
    target.replaceChildren(h('ul', { class: 'rows' }, uploadItem(status)));
  } catch (e) {
    outcome(target, e);
  }
}

async function refreshCatalog() {
  let entries;
  try {
    entries = (await api('accelerated-models')).body.value;
  } catch (e) {
    shown.delete('catalog');
    $('#catalog-list').replaceChildren(h('li', { class: 'error' }, e.message));
    return;
  }
  if (!changed('catalog', entries)) {
    return;
  }
  const spec = (specs) => (specs || []).map((t) => `${t.name} ${t.type}[${(t.shape || []).join(',')}]`).join(', ');
  $('#catalog-list').replaceChildren(...entries.map((e) => h('li', { dataset: { catalog: `${e.ref}/${e.version}` } },
    h('div', { class: 'head' }, `${e.ref}/${e.version}`, badge(e.state)),
    e.inputs && e.inputs.length ? h('div', { class: 'mono' }, `${spec(e.inputs)} → ${spec(e.outputs)}`) : null,
    e.description ? h('div', { class: 'muted' }, e.description) : null,
    e.reasons && e.reasons.length ? h('ul', { class: 'reasons' }, e.reasons.map((r) => h('li', {}, r))) : null)));
  showEmpty('catalog-list', !entries.length);
}

// ---------------------------------------------------------------- events

const events = new Map();
let newestEvent = null;

async function refreshEvents() {
  // the first time, the last day; then from a little before the newest event seen (ids dedupe)
  const since = newestEvent === null ? Date.now() - 86400000 : newestEvent - OVERLAP_MS;
  let next = `events?top=1000&since=${enc(new Date(since).toISOString())}`;
  try {
    for (let page = 0; next && page < 20; page++) {
      const body = (await api(next)).body;
      for (const event of body.value) {
        events.set(event.id, event);
        noteUpload(event);
        newestEvent = Math.max(newestEvent ?? 0, Date.parse(event.eventTime) || 0);
      }
      next = body.nextLink;
    }
  } catch (e) {
    shown.delete('events');
    $('#event-table tbody').replaceChildren(h('tr', {}, h('td', { colspan: 4, class: 'error' }, e.message)));
    return;
  }
  const recent = [...events.values()].sort(newestFirst((e) => e.eventTime)).slice(0, MAX_EVENTS);
  for (const id of [...events.keys()]) {
    if (!recent.some((e) => e.id === id)) {
      events.delete(id);
    }
  }
  if (!changed('events', recent)) {
    return;
  }
  $('#event-table tbody').replaceChildren(...recent.map((e) => h('tr', {},
    h('td', {}, time(e.eventTime)),
    h('td', {}, e.eventType.replace(/^RealtimeAI\./, '')),
    h('td', { class: 'mono' }, e.subject),
    h('td', {}, e.delivered ? 'yes' : e.lastError ? `no (${e.attempts} attempts: ${e.lastError})` : 'pending'))));
  showEmpty('event-table', !recent.length);
  renderUploads();
}

// ---------------------------------------------------------------- results of a folder

let watching = null;

function watchResults(event) {
  event.preventDefault();
  const data = new FormData(event.target);
  const service = data.get('service');
  if (!service) {
    outcome('results-form', new Error('Deploy a service first: results are listed by service.'));
    return;
  }
  const folder = data.get('folder').trim().replace(/^\/+|\/+$/g, '');
  watching = { service, prefix: folder ? `${folder}/` : '', newest: null, rows: new Map() };
  $('#result-table tbody').replaceChildren();
  outcome('results-form', null);
  pollResults(watching);
}

async function pollResults(watch) {
  if (watch !== watching) {
    return;
  }
  // all of the folder the first time; then what was scored since a little before the newest seen
  const since = watch.newest === null ? '' : `&since=${enc(new Date(watch.newest - OVERLAP_MS).toISOString())}`;
  try {
    let next = `results?service=${enc(watch.service)}&top=1000${since}`;
    const arrived = [];
    for (let page = 0; next && page < 20; page++) {
      const body = (await api(next)).body;
      for (const row of body.value) {
        if (!row.path.startsWith(watch.prefix)) {
          continue;
        }
        const known = watch.rows.get(row.path);
        if (!known || known.etag !== row.etag) {
          arrived.push(row);
        }
        watch.rows.set(row.path, row);
        watch.newest = Math.max(watch.newest ?? 0, Date.parse(row.scoredAt) || 0);
      }
      next = body.nextLink;
    }
    renderResults(watch, new Set(arrived.map((r) => r.path)));
  } catch (e) {
    outcome('results-form', e);
  }
  setTimeout(() => pollResults(watch), RESULTS_POLL_MS);
}

function renderResults(watch, fresh) {
  const rows = [...watch.rows.values()].sort(newestFirst((r) => r.scoredAt));
  $('#results-status').textContent = `${rows.length} result(s) of ${watch.service}`
    + `${watch.prefix ? ` under ${watch.prefix}` : ''}; watching for more …`;
  $('#result-table tbody').replaceChildren(...rows.map((r) => h('tr', { class: fresh.has(r.path) ? 'new' : null, dataset: { path: r.path } },
    h('td', { class: 'mono' }, r.path),
    h('td', {}, badge(r.status)),
    h('td', {}, r.status === 'Scored' ? r.label ?? '' : h('span', { class: 'error' }, r.error ?? '')),
    h('td', { class: 'num' }, typeof r.confidence === 'number' ? r.confidence.toFixed(4) : ''),
    h('td', {}, time(r.scoredAt)))));
}

// ---------------------------------------------------------------- latency histograms

async function refreshHistograms() {
  const target = $('#histograms');
  let text;
  try {
    text = (await api('metrics')).body;
  } catch (e) {
    shown.delete('histograms');
    target.replaceChildren(h('p', { class: 'empty' }, e instanceof ApiError && e.status === 404
      ? 'No metrics yet: this app serves no /api/metrics.' : `No metrics: ${e.message}`));
    return;
  }
  const histograms = latencyHistograms(typeof text === 'string' ? text : '');
  if (!changed('histograms', histograms)) {
    return;
  }
  if (!histograms.length) {
    target.replaceChildren(h('p', { class: 'empty' }, 'No metrics yet: no image scored over HTTP since the app started.'));
    return;
  }
  target.replaceChildren(...histograms.map((histogram) => {
    const most = Math.max(1, ...histogram.buckets.map((b) => b.count));
    return h('div', { class: 'histogram', dataset: { histogram: histogram.service } },
      h('h3', {}, histogram.service),
      h('p', { class: 'summary' }, `${histogram.count} call(s) · mean ${ms(histogram.meanMs)}`
        + ` · p50 ${histogram.p50} · p95 ${histogram.p95}`),
      h('ol', { 'aria-label': `Latency of ${histogram.service}` }, histogram.buckets.map((b) => h('li', {},
        h('span', {}, b.label),
        h('span', { class: 'bar', 'aria-hidden': 'true' }, h('span', { width: `${(b.count / most) * 100}%` })),
        h('span', { class: 'value' }, b.count)))));
  }));
}

// ---------------------------------------------------------------- start

function start() {
  // a file dropped beside a drop zone must not make the browser leave the console to show it
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());
  $('#deploy-form').addEventListener('submit', deploy);
  $('#register-form').addEventListener('submit', register);
  $('#upload-form').addEventListener('submit', lookUpUpload);
  $('#results-form').addEventListener('submit', watchResults);
  every(POLL_MS * 2, refreshHealth);
  every(POLL_MS, refreshServices);
  every(POLL_MS, refreshModels);
  every(POLL_MS * 2, refreshCatalog);
  every(POLL_MS, refreshEvents);
  every(POLL_MS, refreshHistograms);
}

start();

/**
 * The GUI's wiring: URL → config → panel; runs through one Session (which owns the backend, cancels a run when a
 * newer one is requested, and reports progress); results to the charts, the table and window.gradscope; bad input
 * and failed runs to the error area while the last complete result stays on screen.
 */
import './style.css';
import { LimitError, type Backend } from '../backends/backend';
import { openBackend } from '../backends/open';
import type { ChoiceStore } from '../backends/webgpu/kernel-choice';
import { ConfigError, quoteValue, resolveConfig, resolveConfigAll, type FieldName, type RawConfig, type RunConfig } from '../model/config';
import { TENSOR_NAMES, type TensorName } from '../model/network';
import { toJson, type RunResult } from '../model/result';
import { Session, type Outcome, type RunProgress } from '../session/session';
import { EXPLORE_STATS, LayerCharts, type ChartStat } from './charts';
import { formatMs, formatNumber } from './format';
import { formFromConfig, rawFromForm } from './form';
import { Panel } from './panel';
import { ProgressView, progressText } from './progress';
import { RunRequests } from './requests';
import { publishState } from './state';
import { renderTable, tablePages, type TableChoice } from './table';
import { readUrlConfig, urlForConfig } from './url';

/** The element with `id`, checked to be of `type`. @throws Error if index.html lacks it. */
function byId<T extends HTMLElement>(id: string, type: { new (): T }): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`index.html: #${id} is missing or not a ${type.name}`);
  return el;
}

const el = {
  panel: byId('panel', HTMLElement),
  adapter: byId('adapter', HTMLElement),
  stepTime: byId('step-time', HTMLElement),
  notice: byId('notice', HTMLElement),
  error: byId('error', HTMLElement),
  summary: byId('summary', HTMLElement),
  nonFinite: byId('nonfinite', HTMLElement),
  allZero: byId('allzero', HTMLElement),
  exploreTensor: byId('explore-tensor', HTMLSelectElement),
  exploreStat: byId('explore-stat', HTMLSelectElement),
  tableTensor: byId('table-tensor', HTMLSelectElement),
  tablePage: byId('table-page', HTMLSelectElement),
  tablePageLabel: byId('table-page-label', HTMLElement),
  table: byId('stats-table', HTMLTableElement),
};

const state = publishState(() => requests.cancel());
const charts = new LayerCharts({
  forward: byId('chart-forward', HTMLCanvasElement),
  backward: byId('chart-backward', HTMLCanvasElement),
  explore: byId('chart-explore', HTMLCanvasElement),
});
const progressView = new ProgressView({
  box: byId('progress', HTMLElement),
  bar: byId('progress-bar', HTMLProgressElement),
  text: byId('progress-text', HTMLElement),
  plan: byId('progress-plan', HTMLElement),
  cancel: byId('cancel', HTMLButtonElement),
}, () => requests.cancel());

// ---- messages -------------------------------------------------------------------------------------------

function showError(message: string): void {
  el.error.textContent = message;
  el.error.hidden = false;
  state.error = message;
}

function clearError(): void {
  el.error.textContent = '';
  el.error.hidden = true;
  state.error = null;
}

function showNotice(notice: string | null): void {
  el.notice.textContent = notice ?? '';
  el.notice.hidden = notice === null;
  state.notice = notice;
}

/** The error area's text for an exception of a run (ConfigError and LimitError are the user's to fix). */
function describe(e: unknown): string {
  if (e instanceof ConfigError || e instanceof LimitError) return `Not run: ${e.message}. The last result is still shown.`;
  if (e instanceof Error) return `Run failed: ${e.name}: ${e.message}. The last result is still shown.`;
  return `Run failed: ${String(e)}`;
}

// ---- results --------------------------------------------------------------------------------------------

/**
 * Render the table for the chosen tensor. `keepPage`: stay on the chosen page of layers if it still exists
 * (new result, same tensor); otherwise start at the first page.
 */
function renderTableChoice(keepPage = false): void {
  const r = state.lastResult;
  if (!r) return;
  const choice = el.tableTensor.value as TableChoice;
  const pages = tablePages(r.layers.length, choice);
  const wanted = keepPage ? el.tablePage.value : '';
  fillSelect(el.tablePage, pages.map((p) => `layers ${p.first}–${p.last}`), wanted);
  el.tablePageLabel.hidden = pages.length < 2;
  renderTable(el.table, r, choice, pages[Math.max(0, el.tablePage.selectedIndex)]);
}

/** The network of `c` in one line: "preset seed-vanish · L = 150, n = 2, … · init identity". */
function describeConfig(c: RunConfig): string {
  return `${c.preset === 'custom' ? 'custom' : `preset ${c.preset}`} · L = ${c.depth}, n = ${c.width}, `
    + `n[0] = ${c.inputDim}, n[L] = ${c.outputDim}, m = ${c.batch} · input ${c.input} · ${c.activation} · init ${c.init}`
    + `${c.range === 'extended' ? ' · extended range' : ''}`;
}

/** The backend the session opened last (for its kernel report). */
let openedBackend: Backend | null = null;

function showResult(r: RunResult): void {
  el.adapter.textContent = `${r.backend} · ${r.adapter}`;
  // Which kernels this adapter measured fastest for the network's products (hover the adapter).
  const kernels = openedBackend?.kernelReport().map((k) => k.line) ?? [];
  el.adapter.title = kernels.length > 0 ? `kernels chosen by measurement on this adapter:\n${kernels.join('\n')}` : 'backend · adapter';
  el.stepTime.textContent = `step ${formatMs(r.stepMs)}`;
  const f = r.firstNonFinite, z = r.firstAllZero;
  el.nonFinite.textContent = f ? `first non-finite: ${f.tensor} at layer ${f.layer}` : 'all values finite';
  el.nonFinite.classList.toggle('bad', f !== null);
  // A vanishing signal that underflowed (float32: below ~1e-38, or 1e-45 with subnormals) is exactly zero.
  el.allZero.textContent = z ? `all zeros from ${z.tensor} at layer ${z.layer}${r.backend === 'webgpu' ? ' (float32 underflow?)' : ''}` : '';
  el.allZero.hidden = z === null;
  charts.show(r);
  renderTableChoice(true);
}

// ---- running --------------------------------------------------------------------------------------------

/** True while the URL the page was opened with had a mistake and no field has been changed since. */
let keepUrl = false;
/** The config last requested (waiting or handed to the Session), and the last progress report of the run in
 * progress (null before one). */
let requested: RunConfig | null = null;
let progress: RunProgress | null = null;

/**
 * The summary line: what is running (its network and progress) while busy, else the result shown (or, with none,
 * that there is none).
 */
function renderSummary(): void {
  const running = progress?.config ?? requested;
  const r = state.lastResult;
  if (state.busy && running) {
    el.summary.textContent = `running: ${describeConfig(running)} — ${progress ? progressText(progress) : 'starting'}`;
  } else if (r) {
    el.summary.textContent = `${describeConfig(r.config)} · loss ${r.config.loss}: J = ${formatNumber(r.loss)}`;
  } else {
    el.summary.textContent = 'No result yet.';
  }
}

function setBusy(busy: boolean): void {
  state.busy = busy;
  panel.setBusy(busy);
  if (busy) progressView.show(progress);
  else progressView.hide();
  renderSummary();
}

/** A progress report of the run in progress. */
function onProgress(p: RunProgress): void {
  progress = p;
  state.progress = { phase: p.phase, layer: p.layer, done: p.done, total: p.total };
  if (state.busy) progressView.show(p);
  renderSummary();
}

function onOutcome(cfg: RunConfig, outcome: Outcome): void {
  progress = null;
  state.progress = null;
  switch (outcome.kind) {
    case 'done':
      state.lastResult = outcome.result;
      state.lastResultJson = toJson(outcome.result);
      state.runs += 1;
      if (!keepUrl) history.replaceState(null, '', `${location.pathname}${urlForConfig(cfg)}`);
      showResult(outcome.result);
      break;
    case 'cancelled': // the last complete result stays
      state.cancelled += 1;
      break;
    case 'failed':
      showError(describe(outcome.error));
      break;
  }
  renderSummary();
}

/** Kernel choices measured on this browser's adapter persist in localStorage (one key per adapter and shape class). */
const kernelStore: ChoiceStore = {
  get: (key) => { try { return localStorage.getItem(`gradscope.kernels ${key}`); } catch { return null; } },
  set: (key, value) => { try { localStorage.setItem(`gradscope.kernels ${key}`, value); } catch { /* storage full or denied: measure again next time */ } },
};

const session = new Session((name) => openBackend(name, navigator.gpu ?? null, 'This browser has no WebGPU', kernelStore), {
  onProgress,
  onPlan: (_cfg, plan) => progressView.showPlan(plan),
  onBackend: (backend, notice) => {
    openedBackend = backend;
    showNotice(notice);
  },
});
const requests = new RunRequests(session, {
  onStart: (cfg) => {
    requested = cfg;
    progress = null;
    setBusy(true);
  },
  onOutcome,
  onIdle: () => {
    progress = null;
    state.progress = null;
    setBusy(false);
  },
});

/**
 * Validate `raw`; on success show the resolved values in the panel and request a run ('now' for the Run button,
 * 'debounced' for edits), else report the bad field. A rejected value never reaches the Session.
 */
function submit(raw: RawConfig, when: 'now' | 'debounced'): void {
  let cfg: RunConfig;
  try {
    cfg = resolveConfig(raw);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    showError(describe(e));
    panel.markInvalid([e.field]);
    return;
  }
  clearError();
  panel.markInvalid([]);
  keepUrl = false;
  panel.setForm(formFromConfig(cfg));
  requested = cfg;
  requests.request(cfg, when);
  setBusy(true);
}

// ---- start-up -------------------------------------------------------------------------------------------

/**
 * The first network: the URL's fields, each validated on its own. Every bad parameter is named (and its field
 * outlined); the good ones still apply, and the bad ones keep their preset's or default value.
 */
function startConfig(): { cfg: RunConfig; error: string | null; invalid: (FieldName | 'preset')[] } {
  const { raw, unknown } = readUrlConfig(location.search);
  const { cfg, errors } = resolveConfigAll(raw);
  const problems: string[] = [];
  if (errors.length > 0) {
    problems.push(`Bad URL parameter${errors.length > 1 ? 's' : ''}: ${errors.map((e) => e.message).join('; ')}. `
      + `Running with ${errors.length > 1 ? 'those fields' : 'that field'} at ${cfg.preset === 'custom' ? 'the default' : `preset ${cfg.preset}'s`} value.`);
  }
  if (unknown.length > 0) problems.push(`Ignored unknown URL parameter${unknown.length > 1 ? 's' : ''}: ${unknown.map(quoteValue).join(', ')}.`);
  return { cfg, error: problems.length > 0 ? problems.join(' ') : null, invalid: errors.map((e) => e.field) };
}

function fillSelect(select: HTMLSelectElement, values: readonly string[], selected: string): void {
  select.replaceChildren(...values.map((v) => new Option(v, v, v === selected, v === selected)));
}

const start = startConfig();
const form = formFromConfig(start.cfg);
const panel = new Panel(el.panel, form, {
  onPreset: (name) => submit({ preset: name, backend: form.backend }, 'debounced'),
  onEdit: (field: FieldName) => submit(rawFromForm(form, field), 'debounced'),
  onRun: () => submit(rawFromForm(form, null), 'now'),
});

fillSelect(el.exploreTensor, TENSOR_NAMES, 'dA');
fillSelect(el.exploreStat, EXPLORE_STATS, 'rms');
fillSelect(el.tableTensor, [...TENSOR_NAMES, 'all'], 'a');
const onExplore = (): void => charts.setExplore(el.exploreTensor.value as TensorName, el.exploreStat.value as ChartStat);
el.exploreTensor.addEventListener('change', onExplore);
el.exploreStat.addEventListener('change', onExplore);
el.tableTensor.addEventListener('change', () => renderTableChoice(false));
el.tablePage.addEventListener('change', () => renderTableChoice(true));

if (start.error) showError(start.error);
panel.markInvalid(start.invalid);
// A URL with a mistake stays in the address bar (the user sees the typo) until the user changes a field.
keepUrl = start.error !== null;
requests.request(start.cfg, 'now');
setBusy(true);

/**
 * The GUI's wiring: URL → config → panel; one run at a time on one kept-open backend; results to the charts,
 * the table and window.gradscope; bad input to the error area while the last good result stays on screen.
 */
import './style.css';
import type { Backend } from '../backends/backend';
import { LimitError } from '../backends/backend';
import { openBackend } from '../backends/open';
import { ConfigError, quoteValue, resolveConfig, resolveConfigAll, type BackendName, type FieldName, type RawConfig, type RunConfig } from '../model/config';
import { TENSOR_NAMES, type TensorName } from '../model/network';
import { toJson, type RunResult } from '../model/result';
import { runStep } from '../session/run';
import { STAT_NAMES, type StatName } from '../stats/stats';
import { LayerCharts } from './charts';
import { formatMs, formatNumber } from './format';
import { formFromConfig, rawFromForm } from './form';
import { Panel } from './panel';
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

const state = publishState();
const charts = new LayerCharts({
  forward: byId('chart-forward', HTMLCanvasElement),
  backward: byId('chart-backward', HTMLCanvasElement),
  explore: byId('chart-explore', HTMLCanvasElement),
});

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

function showResult(r: RunResult): void {
  const c = r.config;
  el.adapter.textContent = `${r.backend} · ${r.adapter}`;
  el.stepTime.textContent = `step ${formatMs(r.stepMs)}`;
  el.summary.textContent = `${c.preset === 'custom' ? 'custom' : `preset ${c.preset}`} · L = ${c.depth}, n = ${c.width}, `
    + `n[0] = ${c.inputDim}, n[L] = ${c.outputDim}, m = ${c.batch} · input ${c.input} · ${c.activation} · init ${c.init}`
    + ` · loss ${c.loss}: J = ${formatNumber(r.loss)}`;
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

let opened: { name: BackendName; backend: Backend } | null = null;
let pending: RunConfig | null = null;
let running = false;
/** True while the URL the page was opened with had a mistake and no field has been changed since. */
let keepUrl = false;

/** The open backend for `name`; opens it (closing the previous one) only when the choice changed. */
async function backendFor(name: BackendName): Promise<Backend> {
  if (opened?.name !== name) {
    opened?.backend.destroy();
    opened = null;
    const o = await openBackend(name, navigator.gpu ?? null, 'This browser has no WebGPU');
    opened = { name, backend: o.backend };
    showNotice(o.notice);
  }
  return opened.backend;
}

async function runOnce(cfg: RunConfig): Promise<void> {
  let result: RunResult;
  try {
    result = await runStep(cfg, await backendFor(cfg.backend));
  } catch (e) {
    showError(describe(e));
    // Anything but a refused size may have left the backend unusable (e.g. a lost GPU device): reopen next time.
    if (!(e instanceof LimitError) && opened) {
      opened.backend.destroy();
      opened = null;
    }
    return;
  }
  state.lastResult = result;
  state.lastResultJson = toJson(result);
  state.runs += 1;
  if (!keepUrl) history.replaceState(null, '', `${location.pathname}${urlForConfig(cfg)}`);
  showResult(result);
}

/** Run `cfg` now, or after the run in progress (a newer request replaces an older waiting one). */
function requestRun(cfg: RunConfig): void {
  pending = cfg;
  state.busy = true;
  panel.setBusy(true);
  if (running) return;
  running = true;
  void (async () => {
    while (pending) {
      const next = pending;
      pending = null;
      await runOnce(next);
    }
    running = false;
    state.busy = false;
    panel.setBusy(false);
  })();
}

/** Validate `raw`; on success show the resolved values in the panel and run, else report the bad field. */
function submit(raw: RawConfig): void {
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
  requestRun(cfg);
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
  onPreset: (name) => submit({ preset: name, backend: form.backend }),
  onEdit: (field: FieldName) => submit(rawFromForm(form, field)),
  onRun: () => submit(rawFromForm(form, null)),
});

fillSelect(el.exploreTensor, TENSOR_NAMES, 'dA');
fillSelect(el.exploreStat, STAT_NAMES, 'rms');
fillSelect(el.tableTensor, [...TENSOR_NAMES, 'all'], 'a');
const onExplore = (): void => charts.setExplore(el.exploreTensor.value as TensorName, el.exploreStat.value as StatName);
el.exploreTensor.addEventListener('change', onExplore);
el.exploreStat.addEventListener('change', onExplore);
el.tableTensor.addEventListener('change', () => renderTableChoice(false));
el.tablePage.addEventListener('change', () => renderTableChoice(true));

if (start.error) showError(start.error);
panel.markInvalid(start.invalid);
// A URL with a mistake stays in the address bar (the user sees the typo) until the user changes a field.
keepUrl = start.error !== null;
requestRun(start.cfg);

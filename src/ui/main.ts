/**
 * The GUI's wiring: URL → config → panel; runs through one Session (which owns the backend, cancels a run when a
 * newer one is requested, and reports progress); results to the charts, the growth readout, the table and
 * window.gradscope; pinned runs (Pin, Compare initialisations, `?compare=`) drawn with the current one; the spread over
 * seeds (Seeds); exports; bad input and failed runs to the error area while the last complete result stays on screen.
 */
import './style.css';
import { LimitError, type Backend } from '../backends/backend';
import { openBackend } from '../backends/open';
import type { ChoiceStore } from '../backends/webgpu/kernel-choice';
import { ConfigError, quoteValue, resolveConfig, resolveConfigAll, type FieldName, type RawConfig, type RunConfig } from '../model/config';
import { toCsv } from '../model/csv';
import { TENSOR_NAMES, type TensorName } from '../model/network';
import type { RunResult } from '../model/result';
import { Session, type Outcome, type RunProgress } from '../session/session';
import { EXPLORE_STATS, LayerCharts, type ChartName, type ChartStat } from './charts';
import { applyOverrides, fieldText, formatCompare, initComparison, MAX_PINNED, parseCompare, sameConfig } from './compare';
import { DistributionsView, hasHistograms } from './distributions/view';
import { readHistParam, withHistParam } from './distributions/url';
import { chartPng, copyText, download, fileStem, torchZip, viewPng } from './export';
import { formatMs, formatNumber } from './format';
import { formFromConfig, rawFromForm } from './form';
import { formatFactor, renderGrowth } from './growth-view';
import { explanation, installHelp, renderGlossary } from './help';
import { Panel } from './panel';
import { checkPrediction, theoryPredictor, type Prediction, type Predictor } from './prediction';
import { ProgressView, progressText } from './progress';
import { RunRequests } from './requests';
import { Pins, shownRuns } from './runs';
import { publishState, seedsState } from './state';
import { seedList, summariseSeeds, type SeedsSummary } from '../stats/seeds';
import { renderTable, tablePages, type TableChoice } from './table';
import { TrainingView } from './training/view';
import { resolvePhaseOptions, type PhaseResult } from '../model/phase';
import { drawPhase, phaseCellAt, phaseCellText } from './phase-view';
import { readUrlConfig, TRAIN_VALUES, urlForConfig, urlWithEveryField, type TrainRequest } from './url';

/**
 * The theory hook: the prediction drawn for each run's network (short-dashed line and band on the charts, predicted factor
 * in the growth readout): model/theory.ts's mean field and finite-width band, through prediction.ts.
 */
const predictor: Predictor = theoryPredictor();

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
  presetNote: byId('preset-note', HTMLElement),
  pin: byId('pin', HTMLButtonElement),
  compareInits: byId('compare-inits', HTMLButtonElement),
  seedsRun: byId('seeds-run', HTMLButtonElement),
  seedsCount: byId('seeds-count', HTMLInputElement),
  unpinAll: byId('unpin-all', HTMLButtonElement),
  linear: byId('linear', HTMLInputElement),
  theory: byId('theory', HTMLInputElement),
  exportJson: byId('export-json', HTMLButtonElement),
  exportCsv: byId('export-csv', HTMLButtonElement),
  exportTorch: byId('export-torch', HTMLButtonElement),
  exportPng: byId('export-png', HTMLButtonElement),
  copyLink: byId('copy-link', HTMLButtonElement),
  copyStatus: byId('copy-status', HTMLElement),
  linkBox: byId('link-box', HTMLInputElement),
  growth: byId('growth-table', HTMLTableElement),
  predictionNote: byId('prediction-note', HTMLElement),
  chartArea: byId('charts', HTMLElement),
  exploreTensor: byId('explore-tensor', HTMLSelectElement),
  exploreStat: byId('explore-stat', HTMLSelectElement),
  tableTensor: byId('table-tensor', HTMLSelectElement),
  tablePage: byId('table-page', HTMLSelectElement),
  tablePageLabel: byId('table-page-label', HTMLElement),
  table: byId('stats-table', HTMLTableElement),
  glossary: byId('glossary-body', HTMLElement),
  phaseGrid: byId('phase-grid', HTMLSelectElement),
  phaseRun: byId('phase-run', HTMLButtonElement),
  phaseStatus: byId('phase-status', HTMLElement),
  phaseCanvas: byId('phase-canvas', HTMLCanvasElement),
};
const canvases: Record<ChartName, HTMLCanvasElement> = {
  forward: byId('chart-forward', HTMLCanvasElement),
  backward: byId('chart-backward', HTMLCanvasElement),
  explore: byId('chart-explore', HTMLCanvasElement),
};

/** A hand-made prediction for the current result (window.gradscope.setPrediction), or null. */
let manualPrediction: Prediction | null = null;

const state = publishState({
  cancel: () => requests.cancel(),
  setPrediction: (p) => {
    manualPrediction = p === null ? null : checkPrediction(p);
    redrawRuns();
  },
});
const charts = new LayerCharts(canvases);
const pins = new Pins();
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
  const shape = c.widths ? `L = ${c.depth}, widths ${c.widths.join(',')}` : `L = ${c.depth}, n = ${c.width}, n[0] = ${c.inputDim}, n[L] = ${c.outputDim}`;
  return `${c.preset === 'custom' ? 'custom' : `preset ${c.preset}`} · ${shape}, m = ${c.batch} · input ${c.input} · ${c.activation} · init ${c.init}`
    + `${c.range === 'extended' ? ' · extended range' : ''}`;
}

/** The backend the session opened last (for its kernel report). */
let openedBackend: Backend | null = null;

/** Make `r` the current result: the header, the summary's sites, the preset's note, the table and the charts. */
function showResult(r: RunResult): void {
  state.lastResult = r; // state.lastResultJson follows (made when read)
  if (seedSpread && !sameConfig(seedSpread.config, r.config)) setSeedSpread(null); // made for another network
  manualPrediction = null; // it was made for the previous result
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
  const note = r.config.preset === 'custom' ? '' : explanation(`preset.${r.config.preset}`);
  el.presetNote.textContent = note === '' ? '' : `What to look for in preset ${r.config.preset}: ${note}`;
  el.presetNote.hidden = note === '';
  renderTableChoice(true);
  distributions.show(r);
  redrawRuns();
  training.showConfig(r.config);
}

/** The prediction drawn for `r`: a hand-made one for the current result, else the predictor's (if "theory" is ticked). */
function predictionFor(r: RunResult, current: boolean): Prediction | null {
  if (current && manualPrediction) return manualPrediction;
  return el.theory.checked ? predictor(r.config) : null;
}

/** Draw the current result with the pinned ones: charts, growth readout, toolbar, window.gradscope, address bar. */
function redrawRuns(): void {
  const runs = shownRuns(pins.list, state.lastResult, predictionFor);
  const shown = runs.find((run) => run.current);
  if (shown && seedSpread && sameConfig(seedSpread.config, shown.result.config)) shown.seedSpread = seedSpread.summary;
  charts.show(runs, state.lastResult);
  state.growth = renderGrowth(el.growth, el.predictionNote, runs, unpin);
  state.prediction = runs.find((r) => r.current)?.prediction ?? null;
  state.pinned = runs.filter((r) => r.pin !== null).map((r) => ({ config: r.result.config, label: r.label, color: r.color! }));
  state.charts = state.lastResult || pins.list.length > 0 ? charts.info() : null;
  const r = state.lastResult;
  el.pin.disabled = !r || pins.has(r) || pins.full;
  el.pin.title = !r ? 'no result to pin yet' : pins.has(r) ? 'this network is pinned' : pins.full ? `at most ${MAX_PINNED} runs are pinned: unpin one` : 'pin the current result to compare it with the next ones';
  el.unpinAll.disabled = pins.list.length === 0;
  // In the extended range the axis is log10 of the values: linear already.
  el.linear.disabled = runs.some((run) => run.result.config.range === 'extended');
  for (const b of [el.exportJson, el.exportCsv, el.exportTorch, el.exportPng, el.copyLink]) b.disabled = !r;
  syncUrl();
}

// ---- pinned runs ----------------------------------------------------------------------------------------

/**
 * A batch of runs to pin (Compare initialisations, `?compare=`), run one after another, then `current` shown: the
 * pinned result of the same network if there is one, else run. A run of the batch that is cancelled or fails ends it.
 */
let batch: { configs: RunConfig[]; next: number; current: RunConfig } | null = null;

function pinCurrent(): void {
  if (state.lastResult && pins.add(state.lastResult)) redrawRuns();
}

function unpin(i: number): void {
  pins.remove(i);
  redrawRuns();
}

/** Unpin everything and run `configs` (duplicates dropped, at most MAX_PINNED), pinning each; then show `current`. */
function runAndPin(configs: readonly RunConfig[], current: RunConfig): void {
  const unique = configs.filter((c, i) => configs.findIndex((d) => sameConfig(c, d)) === i).slice(0, MAX_PINNED);
  pins.clear();
  redrawRuns();
  if (unique.length === 0) return;
  training.interrupt('the page\'s runs to pin took the backend');
  seedBatch = null;
  batch = { configs: unique, next: 0, current };
  requests.request(unique[0], 'now');
}

/** The outcome of the batch's run in progress: pin it and run the next, or end the batch. */
function onBatchOutcome(b: NonNullable<typeof batch>, outcome: Outcome): void {
  if (outcome.kind !== 'done') {
    batch = null;
    if (outcome.kind === 'cancelled') state.cancelled += 1;
    else showError(describe(outcome.error));
    return;
  }
  state.runs += 1;
  pins.add(outcome.result);
  b.next += 1;
  redrawRuns();
  if (b.next < b.configs.length) {
    requests.request(b.configs[b.next], 'now');
    return;
  }
  batch = null;
  const same = pins.list.find((p) => sameConfig(p.config, b.current));
  if (same) showResult(same);
  else requests.request(b.current, 'now');
}

/** The panel's config, validated; null (and the error shown) if a field is bad. */
function panelConfig(): RunConfig | null {
  try {
    return resolveConfig(rawFromForm(form, null));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    showError(describe(e));
    panel.markInvalid([e.field]);
    return null;
  }
}

/** Run the panel's architecture with each initialisation of initComparison, pinning each. */
function compareInitialisations(): void {
  const cfg = panelConfig();
  if (!cfg) return;
  clearError();
  keepUrl = false;
  runAndPin(initComparison(cfg), cfg);
}

// ---- seeds ----------------------------------------------------------------------------------------------

/** The range of the Seeds action's K. */
const SEEDS_MIN = 2, SEEDS_MAX = 64;

/** The spread over seeds drawn with the current result (its network at the first seed), or null. */
let seedSpread: { config: RunConfig; summary: SeedsSummary } | null = null;

/**
 * The Seeds action in progress: the network at each seed, run one after another through the Session (each with
 * progress and Cancel, a cancelled or failed one ends it, a panel edit or another batch ends it), and the results so far.
 */
let seedBatch: { configs: RunConfig[]; next: number; results: RunResult[] } | null = null;

function setSeedSpread(spread: typeof seedSpread): void {
  seedSpread = spread;
  state.seeds = spread ? seedsState(spread.summary) : null;
}

/**
 * The Seeds box's K: an integer in SEEDS_MIN..SEEDS_MAX, else null (and the error shown, naming "seeds" and its range).
 */
function seedsCount(): number | null {
  const text = el.seedsCount.value.trim();
  const k = Number(text);
  const ok = text !== '' && Number.isInteger(k) && k >= SEEDS_MIN && k <= SEEDS_MAX;
  el.seedsCount.setAttribute('aria-invalid', String(!ok));
  if (!ok) showError(`Not run: seeds (Seeds K): must be an integer in ${SEEDS_MIN}..${SEEDS_MAX}, got ${quoteValue(text)}. The last result is still shown.`);
  return ok ? k : null;
}

/**
 * Run the panel's network with seeds seed, seed + 1, …, seed + K − 1 (K from the Seeds box) one after another, then
 * draw the 10–90% spread of rms over them with the network at its own seed (window.gradscope.seeds).
 */
function runSeeds(): void {
  const k = seedsCount();
  if (k === null) return;
  const cfg = panelConfig();
  if (!cfg) return;
  clearError();
  keepUrl = false;
  batch = null;
  training.interrupt('the Seeds runs took the backend');
  setSeedSpread(null);
  redrawRuns();
  seedBatch = { configs: seedList(cfg.seed, k).map((seed) => ({ ...cfg, seed })), next: 0, results: [] };
  requests.request(seedBatch.configs[0], 'now');
  setBusy(true);
}

/** The outcome of the Seeds run in progress: keep it and run the next seed, or summarise and show the first seed's. */
function onSeedsOutcome(b: NonNullable<typeof seedBatch>, outcome: Outcome): void {
  if (outcome.kind !== 'done') {
    seedBatch = null;
    if (outcome.kind === 'cancelled') state.cancelled += 1;
    else showError(describe(outcome.error));
    return;
  }
  state.runs += 1;
  b.results.push(outcome.result);
  b.next += 1;
  if (b.next < b.configs.length) {
    requests.request(b.configs[b.next], 'now');
    return;
  }
  seedBatch = null;
  setSeedSpread({ config: b.configs[0], summary: summariseSeeds(b.results) });
  showResult(b.results[0]);
}

// ---- exports --------------------------------------------------------------------------------------------

/** The value of `?compare=` for the pins, relative to the current result's network. */
function compareParam(): string {
  return state.lastResult ? formatCompare(state.lastResult.config, pins.list.map((p) => p.config)) : '';
}

/** Keep the address bar on the current network and the pins (unless it shows a mistyped URL, see keepUrl). */
function syncUrl(): void {
  if (keepUrl || !state.lastResult) return;
  history.replaceState(null, '', `${location.pathname}${withHistParam(urlForConfig(state.lastResult.config, compareParam()), distributions.on)}`);
}

/** The summary line and the growth readout as lines of text (for the PNG of the view). */
function viewText(): string[] {
  const sites = [el.nonFinite.textContent, el.allZero.hidden ? '' : el.allZero.textContent].filter((t) => t);
  return [
    `gradscope · ${el.summary.textContent ?? ''} · ${sites.join(' · ')}`,
    ...state.growth.map((g) => `${g.label}${g.current && g.pin !== null ? ' (current)' : ''}: rms(a) ${formatFactor(g.measured.a)} per layer`
      + `${g.predicted.a === null ? '' : ` (predicted ${formatFactor(g.predicted.a)})`}, rms(dA) ${formatFactor(g.measured.dA)} per layer`
      + `${g.predicted.dA === null ? '' : ` (predicted ${formatFactor(g.predicted.dA)})`}`),
  ];
}

async function copyLink(): Promise<void> {
  const r = state.lastResult;
  if (!r) return;
  const link = `${location.origin}${location.pathname}${withHistParam(urlWithEveryField(r.config, compareParam()), distributions.on)}`;
  state.link = link;
  const copied = await copyText(link);
  el.copyStatus.textContent = copied ? 'link copied' : 'copy the link below';
  el.linkBox.value = link;
  el.linkBox.hidden = copied;
  if (!copied) el.linkBox.select();
}

function wireExports(): void {
  const stem = () => fileStem(state.lastResult!.config);
  el.exportJson.addEventListener('click', () => {
    if (state.lastResultJson) download(new Blob([state.lastResultJson], { type: 'application/json' }), `${stem()}.json`);
  });
  el.exportCsv.addEventListener('click', () => {
    if (state.lastResult) download(new Blob([toCsv(state.lastResult)], { type: 'text/csv' }), `${stem()}.csv`);
  });
  el.exportTorch.addEventListener('click', () => {
    if (!state.lastResult) return;
    try {
      download(torchZip(state.lastResult.config, `${stem()}-torch`), `${stem()}-torch.zip`);
    } catch (e) {
      showError(describe(e));
    }
  });
  el.exportPng.addEventListener('click', () => {
    if (!state.lastResult) return;
    void viewPng(el.chartArea, Object.values(canvases), viewText()).then((png) => download(png, `${stem()}.png`), (e: unknown) => showError(describe(e)));
  });
  for (const button of document.querySelectorAll<HTMLButtonElement>('button.png[data-chart]')) {
    const name = button.dataset.chart as ChartName;
    button.addEventListener('click', () => {
      if (!state.lastResult) return;
      void chartPng(canvases[name]).then((png) => download(png, `${stem()}-${name}.png`), (e: unknown) => showError(describe(e)));
    });
  }
  el.copyLink.addEventListener('click', () => void copyLink());
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
    const pinning = batch ? ` (run ${batch.next + 1} of ${batch.configs.length} to pin)`
      : seedBatch ? ` (seed ${seedBatch.next + 1} of ${seedBatch.configs.length})` : '';
    el.summary.textContent = `running${pinning}: ${describeConfig(running)} — ${progress ? progressText(progress) : 'starting'}`;
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
  if (training.onProgress(p)) return; // the training section shows its own
  progress = p;
  state.progress = { phase: p.phase, layer: p.layer, done: p.done, total: p.total };
  if (state.busy) progressView.show(p);
  renderSummary();
}

function onOutcome(cfg: RunConfig, outcome: Outcome): void {
  progress = null;
  state.progress = null;
  if (batch && cfg === batch.configs[batch.next]) {
    onBatchOutcome(batch, outcome);
    renderSummary();
    return;
  }
  if (seedBatch && cfg === seedBatch.configs[seedBatch.next]) {
    onSeedsOutcome(seedBatch, outcome);
    renderSummary();
    return;
  }
  switch (outcome.kind) {
    case 'done':
      state.runs += 1;
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
    const go = autoTrain;
    autoTrain = null;
    go?.();
  },
}, () => ({ histograms: distributions.on }));

/** The training section; it runs through the same Session (a training and a page run cancel each other). */
const training = new TrainingView({
  body: byId('train-body', HTMLElement),
  train: byId('train', HTMLButtonElement),
  pause: byId('train-pause', HTMLButtonElement),
  resume: byId('train-resume', HTMLButtonElement),
  cancel: byId('train-cancel', HTMLButtonElement),
  compare: byId('train-compare', HTMLButtonElement),
  compareAdam: byId('train-compare-adam', HTMLButtonElement),
  exportJson: byId('train-json', HTMLButtonElement),
  exportCsv: byId('train-csv', HTMLButtonElement),
  progress: byId('train-progress', HTMLElement),
  progressBar: byId('train-progress-bar', HTMLProgressElement),
  progressText: byId('train-progress-text', HTMLElement),
  status: byId('train-status', HTMLElement),
  lesson: byId('train-lesson', HTMLElement),
  runs: byId('train-runs', HTMLTableElement),
  lossCanvas: byId('chart-train-loss', HTMLCanvasElement),
  accuracyCanvas: byId('chart-train-accuracy', HTMLCanvasElement),
  heatmapRun: byId('heatmap-run', HTMLSelectElement),
  heatmapDW: byId('heatmap-dW', HTMLCanvasElement),
  heatmapA: byId('heatmap-a', HTMLCanvasElement),
  tipDW: byId('heatmap-dW-tip', HTMLElement),
  tipA: byId('heatmap-a-tip', HTMLElement),
}, {
  session,
  readPanel: () => rawFromForm(form, null),
  showError,
  clearError,
  markInvalid: (fields) => panel.markInvalid(fields),
});
state.training = training.hooks;
/** What `?train=` asked for, started when the page's first run is done; null once started (or when none). */
let autoTrain: (() => void) | null = null;

/**
 * Validate `raw`; on success show the resolved values in the panel and request a run ('now' for the Run button,
 * 'debounced' for edits), else report the bad field. A rejected value never reaches the Session. A batch of runs to
 * pin in progress ends (the pins made so far stay). A training in progress is stopped (its curves stay) with `what`
 * named in its status: the field edited, the preset, the Run button, or a cell of the phase diagram; a rejected
 * value leaves it running.
 */
function submit(raw: RawConfig, when: 'now' | 'debounced', what: FieldName | 'preset' | 'run' | 'phase'): void {
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
  batch = null;
  seedBatch = null;
  training.interrupt(what === 'run' ? 'Run was pressed' : what === 'preset' ? `the preset changed to ${cfg.preset}`
    : what === 'phase' ? 'a network of the phase diagram was opened' : `the panel's ${what} changed to ${fieldText(cfg, what)}`);
  panel.setForm(formFromConfig(cfg));
  requested = cfg;
  requests.request(cfg, when);
  setBusy(true);
}

// ---- start-up -------------------------------------------------------------------------------------------

/**
 * The first network and the runs to pin: the URL's fields, each validated on its own, and its `compare` items (each
 * applied to that network). Every bad parameter or item is named (and a bad field outlined); the good ones still
 * apply, and the bad fields keep their preset's or default value.
 */
function startConfig(): { cfg: RunConfig; pins: RunConfig[]; hist: boolean; train: TrainRequest | null; error: string | null; invalid: (FieldName | 'preset')[] } {
  const hist = readHistParam(location.search); // the Distributions switch, not a field of the network
  const { raw, compare, train, unknown } = readUrlConfig(hist.search);
  const { cfg, errors } = resolveConfigAll(raw);
  const problems: string[] = hist.error ? [`Bad URL parameter: ${hist.error}; Distributions is off.`] : [];
  if (errors.length > 0) {
    problems.push(`Bad URL parameter${errors.length > 1 ? 's' : ''}: ${errors.map((e) => e.message).join('; ')}. `
      + `Running with ${errors.length > 1 ? 'those fields' : 'that field'} at ${cfg.preset === 'custom' ? 'the default' : `preset ${cfg.preset}'s`} value.`);
  }
  if (unknown.length > 0) problems.push(`Ignored unknown URL parameter${unknown.length > 1 ? 's' : ''}: ${unknown.map(quoteValue).join(', ')}.`);
  const pinned: RunConfig[] = [];
  if (compare !== null) {
    const parsed = parseCompare(compare);
    const bad = [...parsed.errors];
    for (const item of parsed.items) {
      try {
        pinned.push(applyOverrides(cfg, item.overrides));
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        bad.push(`compare item ${item.n} ("${item.text}"): ${e.message}`);
      }
    }
    if (bad.length > 0) problems.push(`Not pinned: ${bad.join('; ')}.`);
  }
  const trainRequest = TRAIN_VALUES.find((v) => v === train) ?? null;
  if (train !== null && trainRequest === null) problems.push(`Bad URL parameter: train must be one of ${TRAIN_VALUES.join(', ')}, got ${quoteValue(train)}; not training.`);
  return { cfg, pins: pinned, hist: hist.on, train: trainRequest, error: problems.length > 0 ? problems.join(' ') : null, invalid: errors.map((e) => e.field) };
}

function fillSelect(select: HTMLSelectElement, values: readonly string[], selected: string, titles?: (v: string) => string): void {
  select.replaceChildren(...values.map((v) => {
    const option = new Option(v, v, v === selected, v === selected);
    if (titles) option.title = titles(v);
    return option;
  }));
}

const start = startConfig();
const form = formFromConfig(start.cfg);
const panel = new Panel(el.panel, form, {
  onPreset: (name) => submit({ preset: name, backend: form.backend }, 'debounced', 'preset'),
  onEdit: (field: FieldName) => submit(rawFromForm(form, field), 'debounced', field),
  onRun: () => submit(rawFromForm(form, null), 'now', 'run'),
});

const distributions = new DistributionsView(byId('distributions', HTMLElement), start.hist, {
  onToggle: (on) => {
    // Turned on: run the network again with histograms (the run in progress, else the current result's network).
    const cfg = state.busy ? requested : state.lastResult?.config ?? null;
    if (on && cfg && !batch && !seedBatch && (state.busy || !hasHistograms(state.lastResult))) {
      requests.request(cfg, 'now');
      setBusy(true);
    }
    syncUrl();
  },
  onError: showError,
});
state.distributions = distributions.state;
installHelp(document);
renderGlossary(el.glossary);
el.nonFinite.title = explanation('site.firstNonFinite');
el.allZero.title = explanation('site.firstAllZero');
fillSelect(el.exploreTensor, TENSOR_NAMES, 'dA', (t) => explanation(`tensor.${t}`));
fillSelect(el.exploreStat, EXPLORE_STATS, 'rms', (s) => explanation(`stat.${s}`));
fillSelect(el.tableTensor, [...TENSOR_NAMES, 'all'], 'a', (t) => explanation(`tensor.${t}`) || 'all six tensors of each layer');
const onExplore = (): void => {
  charts.setExplore(el.exploreTensor.value as TensorName, el.exploreStat.value as ChartStat);
  state.charts = charts.info();
};
el.exploreTensor.addEventListener('change', onExplore);
el.exploreStat.addEventListener('change', onExplore);
el.tableTensor.addEventListener('change', () => renderTableChoice(false));
el.tablePage.addEventListener('change', () => renderTableChoice(true));
el.pin.addEventListener('click', pinCurrent);
el.unpinAll.addEventListener('click', () => {
  pins.clear();
  redrawRuns();
});
el.compareInits.addEventListener('click', compareInitialisations);
el.seedsRun.addEventListener('click', runSeeds);
el.seedsRun.title = `${el.seedsRun.title} (K = ${SEEDS_MIN}..${SEEDS_MAX})`;
el.theory.addEventListener('change', redrawRuns);
el.linear.addEventListener('change', () => {
  charts.setLinear(el.linear.checked);
  state.charts = charts.info();
});
wireExports();
redrawRuns();

/** The last phase diagram drawn, or null. */
let phaseShown: PhaseResult | null = null;
/**
 * Measure the phase diagram of the panel's depth, width, batch and activation over the chosen grid (Session.phase:
 * progress and Cancel as for a step; a step requested meanwhile cancels it), then draw it.
 */
async function measurePhase(): Promise<void> {
  const cfg = panelConfig();
  if (cfg === null) return;
  clearError();
  training.interrupt('the phase diagram is being measured');
  el.phaseStatus.textContent = 'measuring…';
  setBusy(true);
  const outcome = await session.phase(cfg, resolvePhaseOptions({ grid: el.phaseGrid.value }));
  if (!requests.busy) setBusy(false);
  if (outcome.kind === 'failed') {
    el.phaseStatus.textContent = '';
    showError(describe(outcome.error));
    return;
  }
  if (outcome.kind === 'cancelled') {
    el.phaseStatus.textContent = 'cancelled';
    return;
  }
  const r = outcome.result;
  phaseShown = r;
  el.phaseCanvas.hidden = false;
  drawPhase(el.phaseCanvas, r);
  el.phaseStatus.textContent = `${r.activation}, L = ${r.depth}, n = ${r.width}, m = ${r.batch}: ${r.sw2.length * r.sb2.length} networks in `
    + `${formatMs(r.ms)} (${r.networksPerDispatch} per dispatch)`;
}
el.phaseRun.addEventListener('click', () => void measurePhase());
/**
 * Clicking a cell opens its network in the main view: the panel's network with gaussian inputs of dimension n, W^[l]
 * ~ N(0, σ_w²/n) (init normal, std σ_w/√n) and b^[l] ~ N(0, σ_b²) (bias 0, bias std σ_b), the same seed. (The main
 * view's last layer is the identity output layer, so its last rows differ from the phase diagram's all-g network.)
 */
el.phaseCanvas.addEventListener('click', (e) => {
  if (phaseShown === null) return;
  const r = phaseShown;
  const box = el.phaseCanvas.getBoundingClientRect();
  const cell = phaseCellAt(r, box.width, box.height, e.clientX - box.left, e.clientY - box.top);
  if (cell === null) return;
  submit({
    ...rawFromForm(form, null), depth: r.depth, width: r.width, batch: r.batch, activation: r.activation, seed: r.seed,
    input: 'gaussian', inputDim: r.width, init: 'normal', mean: 0, std: Math.sqrt(r.sw2[cell.col] / r.width), bias: 0,
    biasStd: Math.sqrt(r.sb2[cell.row]),
  }, 'now', 'phase');
});
el.phaseCanvas.style.cursor = 'pointer';
el.phaseCanvas.addEventListener('mousemove', (e) => {
  if (phaseShown === null) return;
  const box = el.phaseCanvas.getBoundingClientRect();
  const cell = phaseCellAt(phaseShown, box.width, box.height, e.clientX - box.left, e.clientY - box.top);
  el.phaseCanvas.title = cell === null ? '' : phaseCellText(phaseShown, cell.row, cell.col);
});

if (start.error) showError(start.error);
panel.markInvalid(start.invalid);
// A URL with a mistake stays in the address bar (the user sees the typo) until the user changes a field.
keepUrl = start.error !== null;
if (start.train !== null) {
  const t = start.train;
  autoTrain = () => (t === '1' ? training.train() : training.compare(t === 'compare' ? 'panel' : 'adam'));
}
if (start.pins.length > 0) runAndPin(start.pins, start.cfg);
else requests.request(start.cfg, 'now');
setBusy(true);

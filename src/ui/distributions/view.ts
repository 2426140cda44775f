/**
 * The Distributions section: a switch (off by default: histograms cost memory and time), the heatmap of one tensor
 * (heatmap.ts), small multiples of selected layers (multiples.ts), the dead and saturated units chart (units.ts), and
 * the histograms' CSV and the heatmap's PNG. Builds its own DOM inside the <section> it is given and publishes
 * what it shows as a DistributionsState (window.gradscope.distributions).
 */
import './distributions.css';
import { histogramsCsv } from '../../model/csv';
import { TENSOR_NAMES, type TensorName } from '../../model/network';
import type { RunResult } from '../../model/result';
import { chartPng, download, fileStem } from '../export';
import { TENSOR_TEXT } from '../explanations';
import { exponentRange, hasNegatives, type Binning, type Signs } from './bins';
import { Heatmap, type HeatmapInfo, type HistHover, type HistogramView } from './heatmap';
import { defaultLayers, parseLayers, SmallMultiples, type MultiplesInfo } from './multiples';
import { unitSeries, UnitsChart, type UnitsInfo } from './units';

/** What the section shows, for the tests and the console. */
export interface DistributionsState {
  /** The switch: runs ask for histograms while it is on. */
  on: boolean;
  tensor: TensorName;
  binning: Binning;
  signs: Signs;
  /** The heatmap as drawn, or null (off, or no histograms in the result). */
  heatmap: HeatmapInfo | null;
  /** The small multiples as drawn, or null. */
  multiples: MultiplesInfo | null;
  /** The dead / saturated units chart, or null when the result has no unit fractions (or the section is off). */
  units: UnitsInfo | null;
  /** What is under the cursor in the heatmap or a small multiple, or null. */
  hover: HistHover | null;
  /** Why nothing is drawn, or null. */
  note: string | null;
  /**
   * The heatmap's counts in row `row` (0-based, layer 1's row first; heatmap.layersPerRow layers a row), one per column
   * of heatmap.columns; null when nothing is drawn or there is no such row.
   */
  heatmapRow(row: number): number[] | null;
  /**
   * Choose what the heatmap and the small multiples show, as the section's selects do (omitted fields stay).
   * @throws TypeError for a value the select does not offer
   */
  choose(choice: Partial<{ tensor: TensorName; binning: Binning; signs: Signs }>): void;
}

/** What the section tells its owner. */
export interface DistributionsHandlers {
  /** The switch changed (the owner reruns with histograms and updates the address bar). */
  onToggle(on: boolean): void;
  /** An export failed. */
  onError(message: string): void;
}

/** True if every layer of `r` has histograms. */
export function hasHistograms(r: RunResult | null): boolean {
  return r !== null && r.layers.length > 0 && r.layers.every((l) => l.histograms !== undefined);
}

const BINNINGS: Record<Binning, string> = { magnitude: 'by power of two', linear: 'linear: 64 bins of each layer\'s range' };
const SIGNS: Record<Signs, string> = { split: 'negative mirrored left of 0', abs: '|x|: signs together' };

/** The section's markup (ids prefixed dist-); its "?" buttons are wired by help.ts's installHelp. */
const MARKUP = `
  <h2>Distributions
    <label class="check"><input type="checkbox" id="dist-on" /> histograms of every tensor</label>
    <button type="button" class="help" data-help="dist.overview">?</button>
    <span class="h2-note">off by default: they cost memory and time</span>
  </h2>
  <p class="explain" data-help="dist.overview"></p>
  <div id="dist-body" class="dist-body" hidden>
    <div class="dist-controls">
      <label>tensor <select id="dist-tensor"></select></label>
      <label>binning <select id="dist-binning"></select></label>
      <label id="dist-signs-label">signs <select id="dist-signs"></select></label>
      <span class="dist-exports">
        <button type="button" id="dist-csv" title="every histogram of the current result as CSV rows layer,tensor,binning,bin,low,high,count (the CLI's --histograms-csv)">Histograms CSV</button>
        <button type="button" id="dist-png" title="download the heatmap as PNG">Heatmap PNG</button>
      </span>
    </div>
    <p id="dist-note" class="dist-note" hidden></p>
    <figure class="chart dist-figure">
      <div class="chart-head"><span class="chart-name">Heatmap: layer × bin</span>
        <button type="button" class="help" data-help="dist.heatmap">?</button></div>
      <p class="explain" data-help="dist.heatmap"></p>
      <div class="heatmap-box"><canvas id="dist-heatmap" aria-label="heatmap"></canvas><div id="dist-tip" class="dist-tip" role="status" hidden></div></div>
    </figure>
    <figure class="chart dist-figure">
      <div class="chart-head"><span class="chart-name">Selected layers</span>
        <button type="button" class="help" data-help="dist.multiples">?</button>
        <label>layers <input type="text" id="dist-layers" size="22" spellcheck="false" /></label>
        <span id="dist-layers-error" class="dist-error" role="alert" hidden></span></div>
      <p class="explain" data-help="dist.multiples"></p>
      <div id="dist-multiples" class="multiples"><div id="dist-multiples-tip" class="dist-tip" role="status" hidden></div></div>
    </figure>
    <figure id="dist-units-figure" class="chart dist-figure" hidden>
      <div class="chart-head"><span class="chart-name">Dead and saturated units</span>
        <button type="button" class="help" data-help="dist.units">?</button></div>
      <p class="explain" data-help="dist.units"></p>
      <div class="canvas-box"><canvas id="dist-units" aria-label="dead and saturated units of a per layer"></canvas></div>
    </figure>
  </div>`;

/** The Distributions section: its controls, heatmap, small multiples, units chart and exports (see the module's comment). */
export class DistributionsView {
  readonly state: DistributionsState;
  private result: RunResult | null = null;
  /** The layers typed in the field, or null for the defaults of each result. */
  private typedLayers: string | null = null;
  private readonly heatmap: Heatmap;
  private readonly multiples: SmallMultiples;
  private readonly units: UnitsChart;
  private readonly el: {
    on: HTMLInputElement; body: HTMLElement; tensor: HTMLSelectElement; binning: HTMLSelectElement; signs: HTMLSelectElement;
    signsLabel: HTMLElement; note: HTMLElement; layers: HTMLInputElement; layersError: HTMLElement; csv: HTMLButtonElement;
    png: HTMLButtonElement; heatmap: HTMLCanvasElement; unitsFigure: HTMLElement;
  };

  /**
   * Build the section in `section` (its content is replaced).
   * @param on the switch's first position (the URL's hist=1)
   */
  constructor(section: HTMLElement, on: boolean, private readonly handlers: DistributionsHandlers) {
    section.innerHTML = MARKUP;
    const q = <T extends HTMLElement>(id: string, type: { new (): T }): T => {
      const e = section.querySelector(`#${id}`);
      if (!(e instanceof type)) throw new Error(`distributions: #${id} is missing`);
      return e;
    };
    this.el = {
      on: q('dist-on', HTMLInputElement), body: q('dist-body', HTMLElement), tensor: q('dist-tensor', HTMLSelectElement),
      binning: q('dist-binning', HTMLSelectElement), signs: q('dist-signs', HTMLSelectElement), signsLabel: q('dist-signs-label', HTMLElement),
      note: q('dist-note', HTMLElement), layers: q('dist-layers', HTMLInputElement), layersError: q('dist-layers-error', HTMLElement),
      csv: q('dist-csv', HTMLButtonElement), png: q('dist-png', HTMLButtonElement), heatmap: q('dist-heatmap', HTMLCanvasElement),
      unitsFigure: q('dist-units-figure', HTMLElement),
    };
    const options = (select: HTMLSelectElement, values: Readonly<Record<string, string>>, selected: string, titles?: (v: string) => string) => {
      select.replaceChildren(...Object.entries(values).map(([v, text]) => {
        const o = new Option(text, v, v === selected, v === selected);
        if (titles) o.title = titles(v);
        return o;
      }));
    };
    options(this.el.tensor, Object.fromEntries(TENSOR_NAMES.map((t) => [t, t])), 'a', (t) => TENSOR_TEXT[t as TensorName]);
    options(this.el.binning, BINNINGS, 'magnitude');
    options(this.el.signs, SIGNS, 'split');

    this.state = {
      on, tensor: 'a', binning: 'magnitude', signs: 'split', heatmap: null, multiples: null, units: null, hover: null, note: null,
      choose: (choice) => this.choose(choice),
      heatmapRow: (row) => this.heatmap.rowCounts(row),
    };
    this.el.on.checked = on;
    this.heatmap = new Heatmap(this.el.heatmap, q('dist-tip', HTMLElement), (h) => { this.state.hover = h; });
    this.multiples = new SmallMultiples(q('dist-multiples', HTMLElement), q('dist-multiples-tip', HTMLElement), (h) => { this.state.hover = h; });
    this.units = new UnitsChart(q('dist-units', HTMLCanvasElement));

    this.el.on.addEventListener('change', () => {
      this.state.on = this.el.on.checked;
      this.render();
      this.handlers.onToggle(this.state.on);
    });
    const onSelect = () => this.choose({
      tensor: this.el.tensor.value as TensorName, binning: this.el.binning.value as Binning, signs: this.el.signs.value as Signs,
    });
    for (const s of [this.el.tensor, this.el.binning, this.el.signs]) s.addEventListener('change', onSelect);
    this.el.layers.addEventListener('change', () => {
      this.typedLayers = this.el.layers.value.trim() === '' ? null : this.el.layers.value;
      this.render();
    });
    this.el.csv.addEventListener('click', () => this.exportCsv());
    this.el.png.addEventListener('click', () => {
      if (!this.result || !this.state.heatmap) return;
      const name = `${fileStem(this.result.config)}-heatmap-${this.state.tensor}.png`;
      void chartPng(this.el.heatmap).then((png) => download(png, name), (e: unknown) => this.handlers.onError(`Heatmap PNG failed: ${String(e)}`));
    });
    // Redraw at the new width (the canvases are drawn at their box's width in device pixels).
    let frame = 0, width = 0;
    new ResizeObserver(() => {
      const w = this.el.body.clientWidth;
      if (w === width) return;
      width = w;
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => this.render());
    }).observe(this.el.body);
    this.render();
  }

  /** True while runs should ask for histograms. */
  get on(): boolean {
    return this.state.on;
  }

  /** Show `r` (the current result): drawn when the section is on and `r` has histograms. */
  show(r: RunResult | null): void {
    this.result = r;
    this.render();
  }

  private choose(choice: Partial<{ tensor: TensorName; binning: Binning; signs: Signs }>): void {
    if (choice.tensor !== undefined && !TENSOR_NAMES.includes(choice.tensor)) throw new TypeError(`tensor: one of ${TENSOR_NAMES.join(', ')}`);
    if (choice.binning !== undefined && !(choice.binning in BINNINGS)) throw new TypeError('binning: magnitude or linear');
    if (choice.signs !== undefined && !(choice.signs in SIGNS)) throw new TypeError('signs: split or abs');
    Object.assign(this.state, Object.fromEntries(Object.entries(choice).filter(([, v]) => v !== undefined)));
    this.el.tensor.value = this.state.tensor;
    this.el.binning.value = this.state.binning;
    this.el.signs.value = this.state.signs;
    this.render();
  }

  /** Draw everything for the current state and result. */
  private render(): void {
    const s = this.state, r = this.result;
    this.el.body.hidden = !s.on;
    this.el.signsLabel.hidden = s.binning !== 'magnitude';
    const ready = s.on && hasHistograms(r);
    this.el.csv.disabled = !hasHistograms(r);
    this.el.png.disabled = !ready;
    s.note = !s.on ? 'off' : !r ? 'no result yet' : ready ? null
      : 'This result has no histograms: it runs again with them (the heatmap appears when the run is done).';
    this.el.note.textContent = s.note ?? '';
    this.el.note.hidden = !s.on || s.note === null;
    s.hover = null;
    if (!ready) {
      this.heatmap.show(null);
      this.multiples.show(null, []);
      this.units.show(null);
      this.el.unitsFigure.hidden = true;
      Object.assign(s, { heatmap: null, multiples: null, units: null });
      return;
    }
    const L = r!.layers.length;
    const view: HistogramView = {
      tensor: s.tensor, layers: r!.layers, binning: s.binning, signs: s.signs, extended: r!.config.range === 'extended',
      range: s.binning === 'magnitude' ? exponentRange(r!.layers.map((l) => l.histograms![s.tensor])) : null,
      negatives: hasNegatives(r!.layers.map((l) => l.histograms![s.tensor])),
    };
    this.heatmap.show(view);
    s.heatmap = this.heatmap.info();

    let layers = defaultLayers(L);
    this.el.layersError.hidden = true;
    if (this.typedLayers !== null) {
      const parsed = parseLayers(this.typedLayers, L);
      if ('error' in parsed) {
        this.el.layersError.textContent = `${parsed.error}; showing ${layers.join(', ')}`;
        this.el.layersError.hidden = false;
      } else {
        layers = parsed.layers;
      }
    }
    if (document.activeElement !== this.el.layers) this.el.layers.value = this.typedLayers ?? layers.join(', ');
    this.multiples.show(view, layers);
    s.multiples = this.multiples.info();

    this.el.unitsFigure.hidden = unitSeries(r!).length === 0; // before drawing: Chart.js sizes to the visible box
    this.units.show(r);
    s.units = this.units.info();
  }

  private exportCsv(): void {
    const r = this.result;
    if (!r || !hasHistograms(r)) return;
    try {
      download(new Blob([histogramsCsv(r)], { type: 'text/csv' }), `${fileStem(r.config)}-histograms.csv`);
    } catch (e) {
      this.handlers.onError(`Histograms CSV failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

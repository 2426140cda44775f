/**
 * The growth readout beside the charts: one row per run on screen (its colour, its label, × to unpin a pin) with the
 * measured factor per layer of rms(a) and rms(dA) and, where a prediction is given, the predicted factor.
 */
import { GROWTH_TENSORS, measuredGrowth, predictedGrowth, type GrowthTensor } from './growth';
import type { ShownRun } from './runs';

/** The numbers of one row, as window.gradscope.growth publishes them. */
export interface GrowthRow {
  label: string;
  pin: number | null;
  current: boolean;
  /** Measured factors per layer (null: fewer than two layers with a finite rms > 0). */
  measured: Record<GrowthTensor, number | null>;
  /** Predicted factors per layer (null: no prediction of that tensor). */
  predicted: Record<GrowthTensor, number | null>;
}

/** The readout's rows for `runs`. */
export function growthRows(runs: readonly ShownRun[]): GrowthRow[] {
  return runs.map((run) => ({
    label: run.label || 'current',
    pin: run.pin,
    current: run.current,
    measured: { a: measuredGrowth(run.result, 'a'), dA: measuredGrowth(run.result, 'dA') },
    predicted: { a: predictedGrowth(run.prediction, 'a'), dA: predictedGrowth(run.prediction, 'dA') },
  }));
}

/** A factor per layer as shown: "×0.7071", or "—" for none. */
export function formatFactor(f: number | null): string {
  return f === null ? '—' : `×${Number(f.toPrecision(4))}`;
}

/** Text with <, >, & escaped for HTML. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Render the readout of `runs` into `table` (replaces its content) and the prediction notes into `notes`.
 * Each factor cell carries data-run (row index), data-tensor and data-kind ("measured" | "predicted").
 * @param onUnpin called with a pin's index when its Unpin button is pressed
 */
export function renderGrowth(table: HTMLTableElement, notes: HTMLElement, runs: readonly ShownRun[], onUnpin: (pin: number) => void): GrowthRow[] {
  const rows = growthRows(runs);
  const head = ['run', ...GROWTH_TENSORS.flatMap((t) => [`rms(${t})`, 'pred.'])]
    .map((h) => `<th scope="col"${h === 'pred.' ? ' title="predicted by the theory (short-dashed line and band on the charts)"' : ''}>${h}</th>`).join('');
  const body = rows.map((row, i) => {
    const color = runs[i].color ?? '#1f3fb3';
    const unpin = row.pin === null ? '' : ` <button type="button" class="unpin" data-pin="${row.pin}" title="unpin this run" aria-label="unpin ${escape(row.label)}">×</button>`;
    const name = `${escape(row.label)}${row.current && row.pin !== null ? ' <em>(current)</em>' : ''}${unpin}`;
    const cells = GROWTH_TENSORS.map((t) => `<td data-run="${i}" data-tensor="${t}" data-kind="measured">${formatFactor(row.measured[t])}</td>`
      + `<td data-run="${i}" data-tensor="${t}" data-kind="predicted" class="predicted">${formatFactor(row.predicted[t])}</td>`).join('');
    return `<tr><th scope="row" style="border-left-color:${color}">${name}</th>${cells}</tr>`;
  }).join('');
  table.innerHTML = `<thead><tr>${head}</tr></thead><tbody>${body}</tbody>`;
  for (const button of table.querySelectorAll<HTMLButtonElement>('button.unpin')) {
    button.addEventListener('click', () => onUnpin(Number(button.dataset.pin)));
  }
  const noted = runs.filter((r) => r.prediction?.note);
  // One line per distinct note, naming the runs it is for (pinned runs of one architecture share it).
  const byNote = new Map<string, string[]>();
  for (const r of noted) byNote.set(r.prediction!.note!, [...(byNote.get(r.prediction!.note!) ?? []), r.label].filter((l) => l !== ''));
  notes.textContent = [...byNote].map(([note, labels]) => `prediction${labels.length > 0 ? ` (${labels.join(', ')})` : ''}: ${note}`).join(' · ');
  notes.hidden = noted.length === 0;
  return rows;
}

/**
 * The theory hook: what a theory of signal propagation predicts for a network, in the shape the charts and the growth
 * readout draw. `theoryPredictor` adapts model/theory.ts's `predict` (mean field with the finite-width band) to it;
 * a hand-made prediction can be set from the console or a test with `window.gradscope.setPrediction(p)`.
 */
import type { RunConfig } from '../model/config';
import type { TensorName } from '../model/network';
import { predict, PREDICTED_TENSORS } from '../model/theory';
import { makeBatch, shapeOf } from '../session/problem';

/**
 * The predicted rms of one tensor of one layer, and the band in which a measured rms is expected (lo ≤ hi).
 * `log10` (optional) gives both as log10, for values beyond float64 (the extended range's charts plot log10).
 */
export interface PredictedRms {
  rms: number;
  band: [number, number];
  log10?: { rms: number; band: [number, number] };
}

/**
 * A prediction for a network: `layers[l-1]` is layer l (l = 1..L); each names the tensors it predicts (a and dA
 * for a start; any TensorName is drawn on the charts that plot its rms). `note` is shown under the growth readout
 * (e.g. "mean-field theory, infinite width").
 */
export interface Prediction {
  layers: Partial<Record<TensorName, PredictedRms>>[];
  note?: string;
}

/** A source of predictions: the prediction for a config, or null where the theory has nothing to say. */
export type Predictor = (config: RunConfig) => Prediction | null;

/** The predictor used until the theory is plugged in: no prediction for any config. */
export const NO_PREDICTION: Predictor = () => null;

/**
 * `p` checked to be a Prediction (it may come from the console or a test, untyped).
 * @throws TypeError naming the first thing that does not fit.
 */
export function checkPrediction(p: unknown): Prediction {
  if (typeof p !== 'object' || p === null || !Array.isArray((p as Prediction).layers)) throw new TypeError('a prediction is { layers: [...], note? }');
  const { layers, note } = p as Prediction;
  if (note !== undefined && typeof note !== 'string') throw new TypeError('prediction.note must be a string');
  layers.forEach((layer, i) => {
    if (typeof layer !== 'object' || layer === null) throw new TypeError(`prediction.layers[${i}] must be an object`);
    for (const [tensor, v] of Object.entries(layer) as [string, PredictedRms | undefined][]) {
      const ok = v !== undefined && typeof v.rms === 'number' && Array.isArray(v.band) && v.band.length === 2
        && typeof v.band[0] === 'number' && typeof v.band[1] === 'number';
      if (!ok) throw new TypeError(`prediction.layers[${i}].${tensor} must be { rms: number, band: [lo, hi] }`);
    }
  });
  return { layers, note };
}

/** The note under the growth readout for the theory's predictions. */
export const THEORY_NOTE = 'dashed: mean field (Poole et al. 2016; Schoenholz et al. 2017), the median at this width; band: ±2σ over seeds (Hanin & Rolnick 2018)';

/** How many configs' predictions are kept (the current run, up to 4 pinned ones, and a few recent ones). */
const CACHE_SIZE = 8;

/**
 * A predictor from the theory (model/theory.ts `predict`, on the run's own batch, session/problem.ts `makeBatch`):
 * per layer, for z, a, dA, dZ and dW, the finite-width median rms (the mean-field rms where the network is
 * deterministic) and the ±2σ band (a point where the theory gives no band, e.g. dW of a batch of different examples).
 * Where the theory has no prediction (constant or zero weights) nothing is drawn and its reason is the note. Cached per
 * config (about 1 s for L = 1,000, computed on the main thread once per new network).
 */
export function theoryPredictor(): Predictor {
  const cache = new Map<string, Prediction>();
  return (config) => {
    const key = JSON.stringify(config);
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    let th: ReturnType<typeof predict>;
    try {
      th = predict(config, makeBatch(config, shapeOf(config)));
    } catch (e) {
      th = { layers: null, note: `the theory failed: ${String(e)}` };
    }
    const p: Prediction = th.layers === null ? { layers: [], note: th.note } : {
      note: THEORY_NOTE,
      layers: th.layers.map((layer) => {
        const out: Partial<Record<TensorName, PredictedRms>> = {};
        for (const t of PREDICTED_TENSORS) {
          const { rms, median, band, log10 } = layer[t];
          const mid = median ?? rms, logMid = log10.median ?? log10.rms;
          out[t] = { rms: mid, band: band ?? [mid, mid], log10: { rms: logMid, band: log10.band ?? [logMid, logMid] } };
        }
        return out;
      }),
    };
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(key, p);
    return p;
  };
}

/**
 * The theory hook: what a theory of signal propagation predicts for a network, in the shape the charts and the growth
 * readout draw. Nothing here computes a prediction; a predictor (e.g. `predict(config)` of src/model/theory.ts, once it
 * exists) is plugged into main.ts (`predictor`), and a hand-made prediction can be set from the console or a test with
 * `window.gradscope.setPrediction(p)`.
 */
import type { RunConfig } from '../model/config';
import type { TensorName } from '../model/network';

/** The predicted rms of one tensor of one layer, and the band in which a measured rms is expected (lo ≤ hi). */
export interface PredictedRms {
  rms: number;
  band: [number, number];
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

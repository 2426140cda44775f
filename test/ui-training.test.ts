/**
 * The GUI's training logic without a browser (src/ui/training): the configs of Train and of "Compare initialisations
 * while training", the runs' labels and colours, the records a run keeps (the Trainer's), the minibatch-loss
 * decimation and the heatmap binning. Oracles: configs built by resolveConfig from the intended fields, the Trainer's
 * recordEvery rule, sums and means written here.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/model/config';
import { MAX_RECORDED, recordEveryOf, type StepRecord } from '../src/session/train';
import { binOf, binRange, binRecords, decimateMinMax } from '../src/ui/training/bins';
import {
  COMPARE_ADAM_LR, DEFAULT_TRAIN_STEPS, divergenceText, labelRuns, trainingComparison, trainingConfig, TrainingRun,
} from '../src/ui/training/runs';
import { CURRENT_COLOR, PIN_COLORS } from '../src/ui/runs';

const PRESET = resolveConfig({ preset: 'train-compare', steps: 30 });

/** A record of step `step` whose values are rmsDW = 10^(step + l), rmsA = l·step for layers l = 1..L. */
function record(step: number, L: number): StepRecord {
  return {
    step, loss: 1 / step,
    rmsDW: Float64Array.from({ length: L }, (_, i) => 10 ** (step + i + 1)),
    rmsA: Float64Array.from({ length: L }, (_, i) => (i + 1) * step),
  };
}

describe('training configs', () => {
  it('Train trains the panel\'s config, or DEFAULT_TRAIN_STEPS steps (with a note) when steps is 0', () => {
    expect(trainingConfig(PRESET)).toEqual({ cfg: PRESET, note: null });
    const zero = resolveConfig({ preset: 'train-compare', steps: 0 });
    const t = trainingConfig(zero);
    expect(t.cfg).toEqual({ ...resolveConfig({ preset: 'train-compare', steps: DEFAULT_TRAIN_STEPS }), preset: 'train-compare' });
    expect(t.note).toContain(`training ${DEFAULT_TRAIN_STEPS} steps`);
  });

  it('the comparison is He, Glorot, N(0, 1), 0.5·I on the panel\'s network, data, seed and optimiser', () => {
    const configs = trainingComparison(PRESET, 'panel');
    const want = [
      { init: 'kaiming_normal', mode: 'fan_in' }, { init: 'xavier_normal' }, { init: 'normal', mean: 0, std: 1 }, { init: 'identity', gain: 0.5 },
    ].map((init) => resolveConfig({ preset: 'train-compare', steps: 30, ...init }));
    expect(configs).toHaveLength(4);
    configs.forEach((c, i) => expect({ ...c, preset: '' }, c.init).toEqual({ ...want[i], preset: '' }));
  });

  it('the Adam variant changes only the optimiser and η', () => {
    const sgd = trainingComparison(PRESET, 'panel'), adam = trainingComparison(PRESET, 'adam');
    adam.forEach((c, i) => {
      expect(c.optimizer).toBe('adam');
      expect(c.lr).toBe(COMPARE_ADAM_LR);
      expect({ ...c, optimizer: sgd[i].optimizer, lr: sgd[i].lr, preset: sgd[i].preset }).toEqual(sgd[i]);
    });
  });

  it('a config that cannot be trained is refused with its field named', () => {
    const gaussian = resolveConfig({ input: 'gaussian', loss: 'mse', steps: 0 });
    expect(() => trainingConfig(gaussian)).toThrow(/input/);
  });
});

describe('training runs', () => {
  it('labels name the initialisation; pins take PIN_COLORS in order, a Train run beside them CURRENT_COLOR', () => {
    const runs = trainingComparison(PRESET, 'panel').map((c) => new TrainingRun(c, true));
    labelRuns(runs);
    expect(runs.map((r) => r.label)).toEqual(['kaiming_normal (He)', 'xavier_normal (Glorot)', 'N(0, 1)', '0.5·I']);
    expect(runs.map((r) => r.color)).toEqual([...PIN_COLORS]);
    const alone = new TrainingRun(PRESET, false);
    labelRuns([alone]);
    expect(alone.color).toBe(PIN_COLORS[0]);
    expect(alone.label).toBe('kaiming_normal (He), sgd η = 0.01');
    const beside = new TrainingRun(resolveConfig({ preset: 'train-compare', steps: 30, lr: 0.1 }), false);
    labelRuns([...runs, beside]);
    expect(beside.color).toBe(CURRENT_COLOR);
    expect(beside.label).toMatch(/^current: .*0\.1/);
  });

  it('a run keeps the records the Trainer keeps: every recordEvery-th step and the last', () => {
    const small = new TrainingRun(PRESET, false);
    expect(small.recordEvery).toBe(1);
    for (let s = 1; s <= 30; s++) small.addStep(record(s, 20));
    expect(small.records.map((r) => r.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(small.losses.all).toEqual(Float64Array.from({ length: 30 }, (_, i) => 1 / (i + 1)));

    const steps = 2 * Math.ceil(MAX_RECORDED / 20) + 1; // L · steps just over 2·MAX_RECORDED: every 3rd step
    const big = new TrainingRun(resolveConfig({ preset: 'train-compare', steps }), false);
    expect(big.recordEvery).toBe(recordEveryOf(big.config));
    expect(big.recordEvery).toBe(Math.ceil((20 * steps) / MAX_RECORDED));
    expect(big.recordEvery).toBe(3);
    for (let s = 1; s <= 10; s++) big.addStep(record(s, 20));
    expect(big.records.map((r) => r.step)).toEqual([3, 6, 9]);
  });

  it('steps must arrive in order; the curves leave out evaluations at and after a divergence', () => {
    const run = new TrainingRun(PRESET, false);
    run.addStep(record(1, 20));
    expect(() => run.addStep(record(3, 20))).toThrow(RangeError);
    for (const step of [0, 5, 10]) run.addEvaluation({ step, train: { loss: 1, accuracy: 0.5 }, test: { loss: 1, accuracy: 0.5 }, elapsedMs: 0 });
    run.divergence = { step: 5, tensor: 'z', layer: 4 };
    expect(run.drawnEvaluations.map((e) => e.step)).toEqual([0]);
    run.state = 'diverged';
    expect(run.statusText()).toBe('diverged at step 5: first non-finite value in z^[4]');
    expect(divergenceText({ step: 3, tensor: 'dW', layer: 20 })).toBe('diverged at step 3: first non-finite value in dW^[20]');
  });
});

describe('decimation and binning', () => {
  it('decimateMinMax keeps every step up to 2·buckets, else the min and max of each bucket in step order', () => {
    const few = [3, 1, 2];
    expect(decimateMinMax(few, 10)).toEqual([{ x: 1, y: 3 }, { x: 2, y: 1 }, { x: 3, y: 2 }]);
    const values = Array.from({ length: 1000 }, (_, i) => Math.sin(i) + (i === 517 ? 100 : 0));
    const points = decimateMinMax(values, 100);
    expect(points.length).toBeLessThanOrEqual(200);
    expect(points.some((p) => p.x === 518 && p.y === values[517])).toBe(true); // the spike survives
    for (let b = 0; b < 100; b++) {
      const bucket = values.slice(10 * b, 10 * b + 10);
      const inBucket = points.filter((p) => p.x > 10 * b && p.x <= 10 * b + 10).map((p) => p.y);
      expect(inBucket.sort()).toEqual([Math.min(...bucket), Math.max(...bucket)].sort());
    }
    expect(decimateMinMax([1, NaN, -1], 10, (v) => v > 0)).toEqual([{ x: 1, y: 1 }, { x: 2, y: null }, { x: 3, y: null }]);
  });

  it('binOf and binRange cut n items into equal shares that cover 1..n once', () => {
    for (const [n, bins] of [[30, 30], [1000, 7], [20, 3], [5, 5]]) {
      const seen: number[] = [];
      for (let b = 0; b < bins; b++) {
        const { first, last } = binRange(b, n, bins);
        for (let k = first; k <= last; k++) {
          expect(binOf(k, n, bins)).toBe(b);
          seen.push(k);
        }
      }
      expect(seen).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    }
  });

  it('binRecords: one cell per layer and step when it fits, else the geometric mean; zeros and non-finite apart', () => {
    const L = 4, records = Array.from({ length: 6 }, (_, i) => record(i + 1, L));
    const full = binRecords(records, (r) => r.rmsDW, L, 10, 100, 100);
    expect([full.cols, full.rows]).toEqual([10, 4]);
    expect(full.log10[2 * 10 + 4]).toBeCloseTo(5 + 3, 12); // layer 3, step 5: 10^(5 + 3)
    expect(full.count[9]).toBe(0); // step 10 not trained yet
    expect([full.min, full.max]).toEqual([2, 10]);
    const binned = binRecords(records, (r) => r.rmsDW, L, 6, 3, 2); // 2 steps × 2 layers per cell
    expect(binned.count[0]).toBe(4);
    expect(binned.log10[0]).toBeCloseTo((2 + 3 + 3 + 4) / 4, 12); // steps 1–2, layers 1–2
    const odd = [{ step: 1, loss: 0, rmsDW: Float64Array.of(0, NaN), rmsA: Float64Array.of(1, 1) }];
    const g = binRecords(odd, (r) => r.rmsDW, 2, 1, 10, 10);
    expect([g.zeros[0], g.nonFinite[1]]).toEqual([1, 1]);
    expect(Number.isNaN(g.min)).toBe(true);
  });
});

/**
 * The lecture's lesson as a test, on the float64 CPU reference (the GPU's training equals it: test/training.test.ts):
 * a ReLU network with L = 20, n = 64, m = 64 trained by plain SGD (η = 0.01) for 500 steps on the digits (the
 * train-compare preset). He initialisation trains (≥ 85% test accuracy; PyTorch 1.13 gave 91%), Glorot stalls
 * (< 50%; PyTorch 17%), N(0, 1) diverges, reported with the step, tensor and layer where a non-finite value first
 * appeared.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backends/cpu/cpu-backend';
import { resolveConfig, type RawConfig } from '../src/model/config';
import { train } from '../src/session/train';
import { SEED_NOTE, TEST_SEED as SEED } from './helpers/seed';

const lesson = (init: RawConfig) => train(resolveConfig({ preset: 'train-compare', seed: SEED, evalEvery: 100, ...init }), new CpuBackend());

describe(`the lesson: ReLU, L = 20, n = 64, SGD η = 0.01, 500 steps ${SEED_NOTE}`, () => {
  it('He (kaiming_normal) trains: test accuracy ≥ 85%, the training loss falls below a tenth of its start', async () => {
    const r = await lesson({ init: 'kaiming_normal' });
    expect(r.state).toBe('done');
    const [first, last] = [r.evaluations[0], r.evaluations[r.evaluations.length - 1]];
    expect(last.step).toBe(500);
    expect(last.test.accuracy).toBeGreaterThanOrEqual(0.85);
    expect(last.train.loss).toBeLessThan(first.train.loss / 10);
  }, 120_000);

  it('Glorot (xavier_normal) stalls: test accuracy below 50%, the loss stays near log 10', async () => {
    const r = await lesson({ init: 'xavier_normal' });
    expect(r.state).toBe('done');
    const last = r.evaluations[r.evaluations.length - 1];
    expect(last.test.accuracy).toBeLessThan(0.5);
    expect(Math.abs(last.train.loss - Math.log(10))).toBeLessThan(0.1);
    // Why: Var(w) = 2/(fan_in + fan_out) = 1/n halves the signal's second moment at every ReLU layer, so a^[19] is
    // ~2^-9 of a^[1] at the start (first step, before any update) and the output barely depends on x.
    const a = r.records[0].rmsA;
    expect(r.records[0].step).toBe(1);
    expect(a[18]).toBeLessThan(a[0] / 100);
  }, 120_000);

  it('N(0, 1) diverges: a non-finite value, reported with its step, tensor and layer', async () => {
    const r = await lesson({ init: 'normal', mean: 0, std: 1 });
    expect(r.state).toBe('diverged');
    expect(r.divergence).not.toBeNull();
    const d = r.divergence!;
    expect(d.step).toBeGreaterThanOrEqual(1);
    expect(d.step).toBeLessThan(500);
    expect(d.layer).toBeGreaterThanOrEqual(1);
    expect(d.layer).toBeLessThanOrEqual(20);
    // The step's statistics show it where the report says.
    const last = r.last!.layers[d.layer - 1][d.tensor];
    expect(last.nanCount + last.infCount).toBeGreaterThan(0);
    expect(r.evaluations[r.evaluations.length - 1].train.loss).toBeNaN();
  }, 120_000);
});

/**
 * Training: the split and the minibatches, the optimisers' formulas against their closed forms, update.wgsl against
 * the reference (random and extreme values, guard bands), and whole training runs on the GPU against the float64 CPU
 * reference (weights after 10 steps of SGD, momentum and Adam). The lecture's lesson itself is test/lesson.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backends/cpu/cpu-backend';
import { ceilDiv } from '../src/backends/webgpu/dispatch';
import { kernels, WORKGROUP } from '../src/backends/webgpu/kernels';
import { loadDigits } from '../src/data/digits';
import { Minibatches, stratifiedSplit, TEST_EXAMPLES } from '../src/data/split';
import { ConfigError, DIGITS_CLASSES, DIGITS_EXAMPLES, resolveConfig, type RawConfig } from '../src/model/config';
import { OPTIMIZERS, stepScalars, updateReference, type OptimizerName, type OptimizerSpec } from '../src/model/optimizers';
import { Session, StaleTrainerError } from '../src/session/session';
import { Trainer } from '../src/session/train';
import { shapeOf } from '../src/session/problem';
import { memoryOf } from '../src/session/problem';
import { relativeError } from './helpers/compare';
import { gpuBackend, releaseGpu } from './helpers/gpu';
import { runKernel } from './helpers/kernel-runner';
import { TEST_SEED as SEED } from './helpers/seed';
import { createRng } from '../src/model/rng';

afterAll(releaseGpu);

const spec = (optimizer: OptimizerName, more: Partial<OptimizerSpec> = {}): OptimizerSpec =>
  ({ optimizer, lr: 0.1, momentum: 0.9, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, ...more });

describe('the digits split and the minibatches', () => {
  const digits = loadDigits();

  it('holds out 360 examples, stratified, disjoint from the 1,437 training examples, decided by the seed', () => {
    const split = stratifiedSplit(digits.labels, DIGITS_CLASSES, SEED);
    expect(split.test.length).toBe(TEST_EXAMPLES);
    expect(split.train.length).toBe(DIGITS_EXAMPLES - TEST_EXAMPLES);
    expect(new Set([...split.train, ...split.test]).size).toBe(DIGITS_EXAMPLES);
    for (let c = 0; c < DIGITS_CLASSES; c++) {
      const total = digits.labels.filter((y) => y === c).length;
      const held = Array.from(split.test).filter((e) => digits.labels[e] === c).length;
      expect(Math.abs(held - (TEST_EXAMPLES * total) / DIGITS_EXAMPLES)).toBeLessThan(1);
    }
    expect(stratifiedSplit(digits.labels, DIGITS_CLASSES, SEED).test).toEqual(split.test);
    expect(stratifiedSplit(digits.labels, DIGITS_CLASSES, SEED + 1).test).not.toEqual(split.test);
  });

  it('draws each epoch as a permutation cut into batches of m, the tail dropped', () => {
    const train = Uint32Array.from({ length: 100 }, (_, i) => 1000 + i);
    const batches = new Minibatches(train, 30, SEED);
    const epoch = [batches.nextIndices(), batches.nextIndices(), batches.nextIndices()].flatMap((b) => Array.from(b));
    expect(new Set(epoch).size).toBe(90);
    for (const e of epoch) expect(e >= 1000 && e < 1100).toBe(true);
    const next = Array.from(batches.nextIndices()); // a new epoch: a new permutation
    expect(new Set(next).size).toBe(30);
    expect(next).not.toEqual(epoch.slice(0, 30));
    expect(() => new Minibatches(train, 101, SEED)).toThrow(/m = 101/);
  });
});

describe('optimiser formulas (model/optimizers.ts) against closed forms', () => {
  it('SGD with weight decay: w − η(g + λw)', () => {
    const w = Float64Array.of(1, -2, 0.5);
    updateReference(spec('sgd', { weightDecay: 0.01 }), 1, w, [0.5, 1, -4], new Float64Array(0), new Float64Array(0));
    expect(Array.from(w)).toEqual([1 - 0.1 * (0.5 + 0.01), -2 - 0.1 * (1 - 0.02), 0.5 - 0.1 * (-4 + 0.005)]);
  });

  it('momentum: v₁ = g₁, v₂ = μ g₁ + g₂ (PyTorch: dampening 0)', () => {
    const w = Float64Array.of(0), v = new Float64Array(1);
    updateReference(spec('momentum'), 1, w, [2], v, new Float64Array(0));
    expect(v[0]).toBe(2);
    updateReference(spec('momentum'), 2, w, [3], v, new Float64Array(0));
    expect(v[0]).toBeCloseTo(0.9 * 2 + 3, 14);
    expect(w[0]).toBeCloseTo(-0.1 * 2 - 0.1 * 4.8, 14);
  });

  it('Adam: the first step moves every weight by η·g/(|g| + ε), whatever the scale of g', () => {
    const g = [1e-6, -3, 250, 0];
    const w = new Float64Array(4), m = new Float64Array(4), v = new Float64Array(4);
    updateReference(spec('adam'), 1, w, g, m, v);
    g.forEach((gi, i) => expect(w[i]).toBeCloseTo(-0.1 * gi / (Math.abs(gi) + 1e-8), 12));
    expect(stepScalars(spec('adam'), 2).stepSize).toBeCloseTo(0.1 / (1 - 0.81), 14);
    expect(stepScalars(spec('adam'), 2).sqrtCorrection2).toBeCloseTo(Math.sqrt(1 - 0.999 ** 2), 14);
    expect(() => stepScalars(spec('adam'), 0)).toThrow(RangeError);
  });
});

describe('update.wgsl against the reference', () => {
  /** HyperParams words of step t, as program.ts writes them. */
  const hyper = (s: OptimizerSpec, t: number) => {
    const { stepSize, sqrtCorrection2 } = stepScalars(s, t);
    return [...new Uint32Array(Float32Array.of(stepSize, sqrtCorrection2, s.momentum, s.beta1, 1 - s.beta1, s.beta2, 1 - s.beta2, s.eps, s.weightDecay).buffer)];
  };
  const EXTREMES = [1e30, -1e30, 100, -100, 1e-40, -1e-40, 0, -0, Infinity, -Infinity, NaN, 3e38, 1e-20, 1e20];

  for (const optimizer of OPTIMIZERS) {
    it(`${optimizer}: three steps on random values (1e-6 relative) and on ±1e30, ±100, subnormals, ±∞, NaN (float32 semantics)`, async () => {
      const gpu = await gpuBackend();
      const rng = createRng(SEED, `update-${optimizer}`);
      const count = 1000 + EXTREMES.length ** 2; // not a multiple of the workgroup
      const s = spec(optimizer, { weightDecay: 1e-3, lr: 0.01 });
      const w0 = new Float32Array(count), g = new Float32Array(count);
      for (let i = 0; i < 1000; i++) { w0[i] = rng.normal(); g[i] = rng.normal() * 10 ** (4 * rng.uniform() - 2); }
      EXTREMES.forEach((a, i) => EXTREMES.forEach((b, j) => { w0[1000 + i * EXTREMES.length + j] = a; g[1000 + i * EXTREMES.length + j] = b; }));
      const states = optimizer === 'sgd' ? 0 : optimizer === 'momentum' ? 1 : 2;
      let w: Float32Array = w0.slice(), s1: Float32Array = new Float32Array(count), s2: Float32Array = new Float32Array(count);
      const ref = { w: Float64Array.from(w0), s1: new Float64Array(count), s2: new Float64Array(count) };
      const ref32 = { w: w0.slice(), s1: new Float32Array(count), s2: new Float32Array(count) };
      // WGSL lets a GPU flush subnormal inputs and results to zero: float32 arithmetic that does is also right.
      const flush = (x: number) => { const f = Math.fround(x); return Math.abs(f) < 2 ** -126 ? 0 * f : f; };
      const gFlushed = g.map(flush);
      const refFlushed = { w: w0.map(flush), s1: new Float32Array(count), s2: new Float32Array(count) };
      for (let t = 1; t <= 3; t++) {
        const args = [{ inout: w }, { input: g }, { uniform: [count] }, { uniform: hyper(s, t) },
          ...(states >= 1 ? [{ inout: s1 }] : []), ...(states >= 2 ? [{ inout: s2 }] : [])];
        const out = await runKernel(gpu, kernels.update(optimizer), args, ceilDiv(count, WORKGROUP.update));
        [w, s1 = s1, s2 = s2] = [out[0], out[1], out[2]];
        updateReference(s, t, ref.w, g, ref.s1, ref.s2);
        updateReference(s, t, ref32.w, g, ref32.s1, ref32.s2, Math.fround);
        updateReference(s, t, refFlushed.w, gFlushed, refFlushed.s1, refFlushed.s2, flush);
      }
      // Ordinary values: the float64 reference.
      expect(relativeError(w.subarray(0, 1000), ref.w.subarray(0, 1000))).toBeLessThan(1e-6);
      // Extremes: float32 arithmetic operation by operation (g² overflows to ∞ as it does in float32 PyTorch); NaN
      // and ∞ where the reference has them; with subnormals kept or flushed.
      const agrees = (x: number, r: number) => (Number.isNaN(r) ? Number.isNaN(x) : !Number.isFinite(r) ? x === r : Math.abs(x - r) <= Math.abs(r) * 1e-6 + 2 ** -126);
      for (let i = 1000; i < count; i++) {
        const [x, r, rf] = [w[i], ref32.w[i], refFlushed.w[i]];
        expect(agrees(x, r) || agrees(x, rf), `element ${i} (w ${w0[i]}, g ${g[i]}): ${x}, expected ${r} or (flushed) ${rf}`).toBe(true);
      }
    });
  }
});

/** A small network whose widths are no multiple of any tile: n = 64, 37, 29, 10; m = 23. */
const SMALL: RawConfig = { input: 'digits', widths: '64,37,29,10', batch: 23, activation: 'relu', init: 'kaiming_normal', loss: 'softmax-xent', steps: 10, evalEvery: 10 };

describe('training on the GPU equals the float64 CPU reference', () => {
  const cases: RawConfig[] = [
    { ...SMALL, optimizer: 'sgd', lr: 0.05 },
    { ...SMALL, optimizer: 'momentum', lr: 0.02, weightDecay: 1e-3, activation: 'tanh', init: 'xavier_uniform', bias: 0.1 },
    { ...SMALL, optimizer: 'adam', lr: 1e-3, activation: 'tanh', init: 'xavier_normal' },
    { ...SMALL, optimizer: 'adam', lr: 1e-3, loss: 'mse', weightDecay: 1e-2 },
  ];
  for (const raw of cases) {
    it(`${raw.optimizer} ${raw.activation} ${raw.loss}: W and b after 10 steps within 1e-5, the same evaluations`, async () => {
      const cfg = resolveConfig({ ...raw, seed: SEED });
      const gpu = await gpuBackend();
      const cpu = new CpuBackend();
      const [g, c] = [await Trainer.start(cfg, gpu), await Trainer.start(cfg, cpu)];
      expect(await g.run()).toBe('done');
      expect(await c.run()).toBe('done');
      const [gw, cw] = [await gpu.readWeights(), await cpu.readWeights()];
      for (let l = 0; l < gw.W.length; l++) {
        expect(relativeError(gw.W[l], cw.W[l]), `W^[${l + 1}]`).toBeLessThan(1e-5);
        expect(relativeError(gw.b[l], cw.b[l]), `b^[${l + 1}]`).toBeLessThan(1e-5);
      }
      // The weights moved: the test would pass vacuously otherwise.
      const start = new CpuBackend();
      await Trainer.start(cfg, start);
      expect(relativeError((await start.readWeights()).W[0], cw.W[0])).toBeGreaterThan(1e-4);
      const [ge, ce] = [g.result.evaluations, c.result.evaluations];
      expect(ge.map((e) => e.step)).toEqual([0, 10]);
      ge.forEach((e, i) => {
        expect(Math.abs(e.test.loss - ce[i].test.loss)).toBeLessThan(1e-4 * Math.abs(ce[i].test.loss));
        expect(Math.abs(e.test.accuracy - ce[i].test.accuracy)).toBeLessThanOrEqual(1 / 360);
      });
      // Per-step statistics: the minibatch loss of every step.
      g.result.records.forEach((r, i) => expect(Math.abs(r.loss - c.result.records[i].loss)).toBeLessThan(1e-4 * Math.abs(c.result.records[i].loss)));
    });
  }

  it('plans the optimiser state with the rest (Adam: two tensors per W and b), and keeps W\'s statistics current', async () => {
    const gpu = await gpuBackend();
    const cfg = resolveConfig({ ...SMALL, optimizer: 'adam', seed: SEED });
    const names = (o?: OptimizerName) => gpu.plan(shapeOf(cfg), memoryOf(cfg, { optimizer: o })).kinds.map((k) => k.name);
    expect(names()).not.toContain('optW1');
    expect(names('momentum')).toEqual(expect.arrayContaining(['optW1', 'optb1']));
    expect(names('momentum')).not.toContain('optW2');
    const adam = gpu.plan(shapeOf(cfg), memoryOf(cfg, { optimizer: 'adam' }));
    const W = adam.kinds.find((k) => k.name === 'W')!.bytes;
    expect(adam.kinds.find((k) => k.name === 'optW2')!.bytes).toBe(W);
    const trainer = await Trainer.start(cfg, gpu);
    await trainer.run();
    // The last step's W statistics are those of the weights it used (after 9 updates): equal to the CPU's.
    const cpu = await Trainer.start(cfg, new CpuBackend());
    await cpu.run();
    const [gl, cl] = [trainer.result.last!.layers, cpu.result.last!.layers];
    gl.forEach((r, i) => expect(Math.abs(r.W.rms - cl[i].W.rms)).toBeLessThan(1e-5 * cl[i].W.rms));
  });
});

describe('training configs', () => {
  it('refuse training without the digits, with loss sum, in the extended range, or with m past the training part', () => {
    const bad: [RawConfig, RegExp][] = [
      [{ steps: 5, input: 'gaussian' }, /input \(--input\): must be digits for training/],
      [{ steps: 5, loss: 'sum', outputDim: 10 }, /loss \(--loss\): must be softmax-xent or mse for training/],
      [{ steps: 5, range: 'extended' }, /range \(--range\): must be float32 for training/],
      [{ steps: 5, batch: 1500 }, /batch \(--batch\): must be an integer in 1\.\.1437 for training/],
      [{ optimizer: 'adamw' }, /optimizer \(--optimizer\): must be one of sgd, momentum, adam, got "adamw" \(did you mean adam\?\)/],
      [{ lr: -1 }, /lr \(--lr\): must be a number in 0\.\.100/],
      [{ steps: 2.5 }, /steps \(--steps\): must be an integer in 0\.\.1000000/],
    ];
    for (const [raw, message] of bad) expect(() => resolveConfig(raw), JSON.stringify(raw)).toThrow(message);
    expect(() => resolveConfig({ steps: 5, input: 'gaussian' })).toThrow(ConfigError);
  });
});

describe('Session.train: pause, resume, and a paused trainer after another run', () => {
  const cfg = resolveConfig({ ...SMALL, steps: 12, evalEvery: 4, backend: 'cpu', seed: SEED });

  it('a cancel pauses between two steps; the same trainer resumes to the end, the same numbers as one uninterrupted run', async () => {
    const session = new Session(async () => ({ backend: new CpuBackend(), notice: null }));
    const steps: number[] = [];
    const first = await session.train(cfg, { onStep: (r) => { steps.push(r.step); if (r.step === 5) session.cancel(); } });
    expect(first.kind).toBe('trained');
    if (first.kind !== 'trained') return;
    expect(first.result.state).toBe('paused');
    expect(first.result.steps).toBe(5);
    const second = await session.train(cfg, { onStep: (r) => steps.push(r.step) }, first.trainer);
    expect(second.kind === 'trained' && second.result.state).toBe('done');
    expect(steps).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const whole = await Trainer.start(cfg, new CpuBackend());
    expect(await whole.run()).toBe('done');
    if (second.kind !== 'trained') return;
    expect(second.result.evaluations.map((e) => [e.step, e.test.loss])).toEqual(whole.result.evaluations.map((e) => [e.step, e.test.loss]));
    expect(second.result.records.map((r) => Array.from(r.rmsDW))).toEqual(whole.result.records.map((r) => Array.from(r.rmsDW)));
  });

  it('a paused trainer cannot continue once another run has used the backend: failed with StaleTrainerError', async () => {
    const session = new Session(async () => ({ backend: new CpuBackend(), notice: null }));
    const first = await session.train(cfg, { onStep: (r) => { if (r.step === 2) session.cancel(); } });
    if (first.kind !== 'trained') throw new Error(`expected trained, got ${first.kind}`);
    expect((await session.request(resolveConfig({ depth: 3, width: 8, backend: 'cpu' }))).kind).toBe('done');
    const again = await session.train(cfg, {}, first.trainer);
    expect(again.kind).toBe('failed');
    if (again.kind === 'failed') {
      expect(again.error).toBeInstanceOf(StaleTrainerError);
      expect(String(again.error)).toMatch(/another run has used the backend since it was paused/);
    }
  });
});

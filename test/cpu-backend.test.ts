/**
 * The float64 CPU reference backend, checked against oracles that do not share its code:
 * - dW, db (and dZ, dA through m = 1) against central finite differences of J in float64;
 * - the forward pass and the loss against a plain re-implementation of the model equations here;
 * - the closed forms of the seed-explode / seed-vanish presets: a^[l] = gain^l, dW^[l] = gain^(L-1);
 * - ReLU'(0) = 0, and LimitError before allocation for a network that cannot fit.
 *
 * Finite differences: every W, b entry and every input is a dyadic rational k/2^8 with |k/2^8| < 8, so w ± h with
 * h = 2^-16 is exact in float32 and the difference quotient (J(w+h) − J(w−h))/2h has no representation error.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend, CPU_MAX_ELEMENTS, tensorElements } from '../src/backends/cpu/cpu-backend';
import { LimitError } from '../src/backends/backend';
import { ACTIVATIONS, LOSSES, type Activation, type LossName, type NetworkShape, type Problem } from '../src/model/network';
import { DEFAULT_CONFIG, resolveConfig } from '../src/model/config';
import { makeProblem } from '../src/session/problem';
import { createRng, type Rng } from '../src/model/rng';

const H = 2 ** -16;

/** A dyadic rational k/256 near N(0, s²), |value| < 8 so that value ± H is exact in float32. */
function dyadic(rng: Rng, s: number): number {
  return Math.max(-7.9, Math.min(7.9, Math.round(rng.normal() * s * 256) / 256));
}

/** Weights given as values (no initialiser), every tensor kept for readTensors. */
function given(W: Float32Array<ArrayBuffer>[], b: Float32Array<ArrayBuffer>[]): Pick<Problem, 'weights' | 'memory'> {
  return {
    weights: { init: 'zeros', options: DEFAULT_CONFIG, seed: 0, bias: 0, values: { W, b } },
    memory: { budgetBytes: 2 ** 30, keepAll: true, checkpoint: 'auto' },
  };
}

/** A small problem with dyadic weights, biases, inputs and targets. */
function smallProblem(widths: number[], m: number, activation: Activation, loss: LossName, seed: number): Problem {
  const rng = createRng(seed, 'cpu-backend-test');
  const W: Float32Array<ArrayBuffer>[] = [];
  const b: Float32Array<ArrayBuffer>[] = [];
  for (let l = 1; l < widths.length; l++) {
    W.push(Float32Array.from({ length: widths[l] * widths[l - 1] }, () => dyadic(rng, 1 / Math.sqrt(widths[l - 1]) * 1.3)));
    b.push(Float32Array.from({ length: widths[l] }, () => dyadic(rng, 0.3)));
  }
  const n0 = widths[0], nL = widths[widths.length - 1];
  const X = Float32Array.from({ length: n0 * m }, () => dyadic(rng, 1));
  const Y = Float32Array.from({ length: nL * m }, () => dyadic(rng, 1));
  const labels = Uint32Array.from({ length: m }, () => Math.floor(rng.uniform() * nL));
  return { shape: { widths, m, activation, loss, range: 'float32' }, ...given(W, b), batch: { X, Y, labels } };
}

/** J of a problem, by the backend. */
async function lossOf(backend: CpuBackend, p: Problem): Promise<number> {
  await backend.setProblem(p);
  return (await backend.step()).loss;
}

/** The problem with one parameter (W or b of layer index li, entry k) replaced. */
function withParam(p: Problem, which: 'W' | 'b', li: number, k: number, value: number): Problem {
  const values = p.weights.values!;
  const copy = Float32Array.from(values[which][li]);
  copy[k] = value;
  expect(copy[k]).toBe(value); // exact in float32
  return { ...p, weights: { ...p.weights, values: { ...values, [which]: values[which].map((t, i) => (i === li ? copy : t)) } } };
}

/** Independent forward pass (plain loops over the model equations of src/model/network.ts). */
function referenceForward(p: Problem): { z: number[][][]; a: number[][][]; J: number } {
  const { widths, m, activation, loss } = p.shape;
  const L = widths.length - 1;
  const g = (v: number, l: number): number => (l === L || activation === 'identity' ? v : activation === 'relu' ? Math.max(0, v) : Math.tanh(v));
  // a[l][i][j]: unit i, example j
  const a: number[][][] = [Array.from({ length: widths[0] }, (_, i) => Array.from({ length: m }, (_, j) => p.batch.X[i * m + j]))];
  const z: number[][][] = [[]];
  for (let l = 1; l <= L; l++) {
    const zl: number[][] = [], al: number[][] = [];
    for (let i = 0; i < widths[l]; i++) {
      zl.push([]); al.push([]);
      for (let j = 0; j < m; j++) {
        let s = p.weights.values!.b[l - 1][i];
        for (let k = 0; k < widths[l - 1]; k++) s += p.weights.values!.W[l - 1][i * widths[l - 1] + k] * a[l - 1][k][j];
        zl[i].push(s);
        al[i].push(g(s, l));
      }
    }
    z.push(zl); a.push(al);
  }
  let J = 0;
  for (let j = 0; j < m; j++) {
    const yhat = a[L].map((row) => row[j]);
    if (loss === 'sum') J += yhat.reduce((s, v) => s + v, 0);
    else if (loss === 'mse') J += yhat.reduce((s, v, i) => s + (v - p.batch.Y[i * m + j]) ** 2, 0);
    else J += Math.log(yhat.reduce((s, v) => s + Math.exp(v), 0)) - yhat[p.batch.labels[j]];
  }
  return { z, a, J: J / m };
}

/** Smallest |z| over every layer (distance to ReLU's kink). */
function minAbsZ(z: number[][][]): number {
  let m = Infinity;
  for (const zl of z) for (const row of zl) for (const v of row) m = Math.min(m, Math.abs(v));
  return m;
}

/**
 * |fd − g| ≤ 1e-6·max(|fd|, |g|) + abs; abs covers entries whose gradient is ~0 and the rounding of J
 * (ε·|J|/h). Observed: ≤ 4e-9 relative, ≤ 2e-9 absolute.
 */
function expectGradClose(fd: number, g: number, what: string, abs = 1e-8): void {
  expect(Math.abs(fd - g), `${what}: finite difference ${fd}, backend ${g}`).toBeLessThanOrEqual(1e-6 * Math.max(Math.abs(fd), Math.abs(g)) + abs);
}

describe('CpuBackend forward pass and loss', () => {
  it.each(ACTIVATIONS.flatMap((g) => LOSSES.map((loss) => [g, loss] as const)))('%s / %s: z, a, J match the model equations', async (g, loss) => {
    const p = smallProblem([3, 5, 4, 2], 3, g, loss, 3);
    const backend = new CpuBackend();
    await backend.setProblem(p);
    const step = await backend.step();
    const t = await backend.readTensors();
    const ref = referenceForward(p);
    const L = 3;
    for (let l = 1; l <= L; l++) {
      for (let i = 0; i < p.shape.widths[l]; i++) {
        for (let j = 0; j < 3; j++) {
          expect(t.z[l - 1][i * 3 + j]).toBeCloseTo(ref.z[l][i][j], 13);
          expect(t.a[l][i * 3 + j]).toBeCloseTo(ref.a[l][i][j], 13);
        }
      }
    }
    expect(Array.from(t.a[0])).toEqual(Array.from(p.batch.X));
    expect(Math.abs(step.loss - ref.J)).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(ref.J)));
    expect(t.lossPerExample.length).toBe(3);
    expect(step.layers.map((r) => [r.layer, r.fanIn, r.fanOut])).toEqual([[1, 3, 5], [2, 5, 4], [3, 4, 2]]);
  });
});

describe('CpuBackend gradients against central finite differences', () => {
  const combos = ACTIVATIONS.flatMap((g) => LOSSES.map((loss) => [g, loss] as const));

  it.each(combos)('%s / %s: every dW and db entry, widths [3,5,4,2], m = 3', async (g, loss) => {
    // For relu pick a seed whose pre-activations all stay clear of the kink: a perturbation moves z by at most
    // H·max|a| ≪ 1e-3, so no z changes sign and J is smooth around every point we difference.
    let p = smallProblem([3, 5, 4, 2], 3, g, loss, 1);
    if (g === 'relu') {
      let seed = 1;
      while (minAbsZ(referenceForward(p).z.slice(1)) < 1e-3) p = smallProblem([3, 5, 4, 2], 3, g, loss, ++seed);
    }
    const backend = new CpuBackend();
    await backend.setProblem(p);
    await backend.step();
    const t = await backend.readTensors();
    const dW = t.dW.map((x) => Float64Array.from(x));
    const db = t.db.map((x) => Float64Array.from(x));
    let checked = 0, nonzero = 0;
    for (let li = 0; li < 3; li++) {
      for (const which of ['W', 'b'] as const) {
        const values = p.weights.values![which][li];
        const grads = which === 'W' ? dW[li] : db[li];
        expect(grads.length).toBe(values.length);
        for (let k = 0; k < values.length; k++) {
          const w = values[k];
          const jp = await lossOf(backend, withParam(p, which, li, k, w + H));
          const jm = await lossOf(backend, withParam(p, which, li, k, w - H));
          const fd = (jp - jm) / (2 * H);
          expectGradClose(fd, grads[k], `d${which}^[${li + 1}][${k}]`);
          checked++;
          if (Math.abs(grads[k]) > 1e-6) nonzero++;
        }
      }
    }
    expect(checked).toBe(15 + 20 + 8 + 5 + 4 + 2);
    // The check is not vacuous: most gradients are not zero (relu may switch a few units off).
    expect(nonzero).toBeGreaterThan(checked / 2);
  });

  it.each(combos)('%s / %s, m = 1: dZ^[l] = ∂J/∂b^[l], and dZ = dA ⊙ g\'(z)', async (g, loss) => {
    let p = smallProblem([4, 3, 3, 3], 1, g, loss, 21);
    if (g === 'relu') {
      let seed = 21;
      while (minAbsZ(referenceForward(p).z.slice(1)) < 1e-3) p = smallProblem([4, 3, 3, 3], 1, g, loss, ++seed);
    }
    const backend = new CpuBackend();
    await backend.setProblem(p);
    await backend.step();
    const t = await backend.readTensors();
    const dZ = t.dZ.map((x) => Float64Array.from(x));
    const dA = t.dA.map((x) => Float64Array.from(x));
    const z = t.z.map((x) => Float64Array.from(x));
    for (let li = 0; li < 3; li++) {
      for (let i = 0; i < 3; i++) {
        const b = p.weights.values!.b[li][i];
        const fd = ((await lossOf(backend, withParam(p, 'b', li, i, b + H))) - (await lossOf(backend, withParam(p, 'b', li, i, b - H)))) / (2 * H);
        expectGradClose(fd, dZ[li][i], `dZ^[${li + 1}][${i}]`);
        // g'(z) in closed form; the output layer is identity.
        const act = li === 2 ? 'identity' : g;
        const gp = act === 'identity' ? 1 : act === 'relu' ? (z[li][i] > 0 ? 1 : 0) : 1 - Math.tanh(z[li][i]) ** 2;
        expect(dZ[li][i]).toBeCloseTo(dA[li][i] * gp, 14);
      }
    }
  });
});

describe('closed forms of the seed presets', () => {
  it.each([['seed-explode', 1.5], ['seed-vanish', 0.5]] as const)('%s: a^[l] = %d^l, dA^[l] = gain^(L-l), dW^[l] = gain^(L-1)', async (preset, gain) => {
    const cfg = resolveConfig({ preset });
    const L = cfg.depth;
    expect(L).toBe(150);
    const backend = new CpuBackend();
    await backend.setProblem(makeProblem(cfg, { keepAll: true }));
    const step = await backend.step();
    const t = await backend.readTensors();
    // Each layer rounds once (1.5·a exactly rounded), so the error grows at most one ulp per layer.
    const close = (got: ArrayLike<number>, want: number, steps: number, what: string): void => {
      for (let i = 0; i < got.length; i++) {
        expect(Math.abs(got[i] - want), `${what}[${i}] = ${got[i]}, want ${want}`).toBeLessThanOrEqual(want * 2 ** -52 * (steps + 1));
      }
    };
    for (let l = 0; l <= L; l++) close(t.a[l], gain ** l, l, `a^[${l}]`);
    for (let l = 1; l <= L; l++) {
      close(t.z[l - 1], gain ** l, l, `z^[${l}]`);
      close(t.dA[l - 1], gain ** (L - l), L - l, `dA^[${l}]`);
      close(t.dZ[l - 1], gain ** (L - l), L - l, `dZ^[${l}]`);
      close(t.dW[l - 1], gain ** (L - 1), L, `dW^[${l}]`);
      expect(t.dW[l - 1].length).toBe(4);
      // Reported statistics agree: every entry of dW^[l] is the same number.
      expect(step.layers[l - 1].dW.std).toBeLessThanOrEqual(gain ** (L - 1) * 1e-13);
    }
    // J = Σ_i ŷ_i with m = 1: 2·gain^L.
    expect(Math.abs(step.loss - 2 * gain ** L)).toBeLessThanOrEqual(2 * gain ** L * 2 ** -52 * (L + 2));
    if (gain === 0.5) {
      // Powers of two: exact.
      for (let l = 1; l <= L; l++) expect(Array.from(t.dW[l - 1])).toEqual([2 ** (1 - L), 2 ** (1 - L), 2 ** (1 - L), 2 ** (1 - L)]);
    }
  });
});

describe('ReLU at the kink and special cases', () => {
  it('ReLU\'(0) = 0: where z is exactly 0, dZ is 0 (and 0 · ∞ never appears)', async () => {
    // widths [1, 2, 1]: z^[1] = [0, 2] for x = 1 (W = [0; 2], b = 0); a^[1] = [0, 2]; ŷ = a1 + a2; loss sum.
    const p: Problem = {
      shape: { widths: [1, 2, 1], m: 1, activation: 'relu', loss: 'sum', range: 'float32' },
      ...given([Float32Array.from([0, 2]), Float32Array.from([1, 1])], [new Float32Array(2), new Float32Array(1)]),
      batch: { X: Float32Array.from([1]), Y: new Float32Array(1), labels: new Uint32Array(1) },
    };
    const backend = new CpuBackend();
    await backend.setProblem(p);
    await backend.step();
    const t = await backend.readTensors();
    expect(Array.from(t.z[0])).toEqual([0, 2]);
    expect(Array.from(t.dA[0])).toEqual([1, 1]);
    expect(Array.from(t.dZ[0])).toEqual([0, 1]);
    expect(Array.from(t.dW[0])).toEqual([0, 1]);
    expect(Array.from(t.db[0])).toEqual([0, 1]);
  });

  it('z = -0 counts as not positive too', async () => {
    const p: Problem = {
      shape: { widths: [1, 1, 1], m: 1, activation: 'relu', loss: 'sum', range: 'float32' },
      ...given([Float32Array.from([-0]), Float32Array.from([1])], [Float32Array.from([-0]), new Float32Array(1)]),
      batch: { X: Float32Array.from([1]), Y: new Float32Array(1), labels: new Uint32Array(1) },
    };
    const backend = new CpuBackend();
    await backend.setProblem(p);
    await backend.step();
    expect(Array.from((await backend.readTensors()).dZ[0])).toEqual([0]);
  });

  it('step() before setProblem and readTensors() before step() throw', async () => {
    const backend = new CpuBackend();
    await expect(backend.step()).rejects.toThrow(/setProblem/);
    await backend.setProblem(smallProblem([2, 2], 1, 'identity', 'sum', 1));
    await expect(backend.readTensors()).rejects.toThrow(/no step has run/);
  });
});

describe('LimitError', () => {
  /** A problem of the given shape with no weights or data at all: only a check of the shape can refuse it. */
  function hugeProblem(shape: Omit<NetworkShape, 'range'>): Problem {
    return {
      shape: { ...shape, range: 'float32' }, ...given([], []),
      batch: { X: new Float32Array(0), Y: new Float32Array(0), labels: new Uint32Array(0) },
    };
  }
  const MEMORY = { budgetBytes: 2 ** 30, keepAll: true, checkpoint: 'auto' } as const;

  it('depth 100000 × width 4096 is refused by setProblem, fast, naming the limit; the previous step is kept', async () => {
    const backend = new CpuBackend();
    const small = smallProblem([3, 4, 2], 2, 'tanh', 'mse', 5);
    await backend.setProblem(small);
    const before = await backend.step();
    const tensorsBefore = await backend.readTensors();

    // tensorElements counts what a step really holds: on the small network, the tensors the backend kept, and b.
    const held = [tensorsBefore.z, tensorsBefore.a, tensorsBefore.dA, tensorsBefore.dZ, tensorsBefore.dW, tensorsBefore.db, tensorsBefore.W]
      .flat().reduce((s, t) => s + t.length, 0) + (await backend.readWeights()).b.reduce((s, b) => s + b.length, 0);
    expect(tensorElements(small.shape.widths, small.shape.m)).toBe(held);

    const widths = [64, ...new Array<number>(99_999).fill(4096), 10];
    const needed = tensorElements(widths, 64);
    expect(needed).toBeGreaterThan(CPU_MAX_ELEMENTS);
    // The huge problem has no weights or data at all: only a check of the shape alone can reject it with a
    // LimitError (any computation would fail differently).
    let err: unknown = null;
    try {
      await backend.setProblem(hugeProblem({ widths, m: 64, activation: 'relu', loss: 'softmax-xent' }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LimitError);
    const le = err as LimitError;
    expect(le.limit).toBe('CPU_MAX_ELEMENTS');
    expect(le.needed).toBe(needed);
    expect(le.allowed).toBe(CPU_MAX_ELEMENTS);
    expect(le.message).toMatch(/too large/);

    // Nothing already computed is lost: the old tensors and problem are still there.
    expect(await backend.readTensors()).toBe(tensorsBefore);
    expect((await backend.step()).loss).toBe(before.loss);
  });

  it('a network just within CPU_MAX_ELEMENTS is accepted by the plan (checked from the shape only)', () => {
    // widths [1, n], m = 1, every tensor kept: x (1) + z, a (2n) + W, b (2n) + dA, dZ (2n) + dW (n) + db (n) = 1 + 8n.
    const n = Math.floor((CPU_MAX_ELEMENTS - 1) / 8);
    const backend = new CpuBackend();
    expect(backend.plan(hugeProblem({ widths: [1, n], m: 1, activation: 'identity', loss: 'sum' }).shape, MEMORY).totalBytes).toBe((1 + 8 * n) * 8);
    expect(() => backend.plan(hugeProblem({ widths: [1, n + 1], m: 1, activation: 'identity', loss: 'sum' }).shape, MEMORY)).toThrow(LimitError);
  });
});

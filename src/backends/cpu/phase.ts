/**
 * The phase diagram's networks in float64 (model/phase.ts defines them): the reference the batched WebGPU engine
 * (backends/webgpu/phase.ts) is tested against, and the engine of --phase on the CPU backend. Plain loops, one network
 * at a time; W̃^[l], b̃^[l], x and dA^[L] are the Philox normals rounded to float32 once (the numbers the GPU draws, to
 * within the 24 ulp of philox.wgsl), drawn once per seed and shared by that seed's networks.
 * Returns to the event loop every ~50 ms for progress and cancel.
 */
import { CancelledError, LimitError, type RunControl } from '../backend';
import { fillNormal, PURPOSE } from '../../model/philox';
import { networkScalars, pairDecorrelation, phaseInput, type PhaseMeasurement, type PhaseSeries, type PhaseSpec } from '../../model/phase';
import { CPU_ACTIVATIONS } from './ops';
import { CPU_MAX_ELEMENTS } from './cpu-backend';

/** Longest stretch of computation between two returns to the event loop. */
const SLICE_MS = 50;

/** Float64 elements the reference holds for a spec: one seed's W̃^[1..L] and b̃ (float32), z^[1..L] of one network. */
export function phaseCpuElements(spec: Pick<PhaseSpec, 'depth' | 'width' | 'batch'>): number {
  const { depth: L, width: n, batch: m } = spec;
  return L * (n * n + n) / 2 + L * n * m + 4 * n * m;
}

/** ln rms of a tensor, in float64 without overflow (scaled by its largest magnitude): −∞ if all 0, NaN if not finite. */
export function lnRms(x: ArrayLike<number>): number {
  let big = 0;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]);
    if (!Number.isFinite(a)) return NaN;
    if (a > big) big = a;
  }
  if (big === 0) return -Infinity;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] / big) ** 2;
  return Math.log(big) + 0.5 * Math.log(s / x.length);
}

/**
 * Run every network of `spec` in float64 (see the file comment) and measure ln rms(dA^[l]) and 1 − c^[l], l = 0..L.
 * @throws LimitError when one seed's draws and one network's z^[1..L] exceed CPU_MAX_ELEMENTS (float64 elements);
 *   CancelledError when control.signal fires (between layers).
 */
export async function runPhaseCpu(spec: PhaseSpec, control: RunControl = {}): Promise<PhaseMeasurement> {
  const { depth: L, width: n, batch: m, activation } = spec;
  const needed = phaseCpuElements(spec);
  if (needed > CPU_MAX_ELEMENTS) throw new LimitError('CPU_MAX_ELEMENTS', needed, CPU_MAX_ELEMENTS, 'the phase diagram on the CPU backend (float64 elements of one network)');
  const g = CPU_ACTIVATIONS[activation];
  const nm = n * m;
  const total = spec.networks.length * (2 * L + 1);
  let done = 0, last = performance.now();
  const pause = async (phase: 'forward' | 'backward', layer: number) => {
    if (performance.now() - last < SLICE_MS) return;
    control.onProgress?.({ phase, layer, done, total });
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    if (control.signal?.aborted) throw new CancelledError();
    last = performance.now();
  };
  if (control.signal?.aborted) throw new CancelledError();
  const series: PhaseSeries[] = new Array<PhaseSeries>(spec.networks.length);
  const seeds = [...new Set(spec.networks.map((net) => net.seed))];
  for (const seed of seeds) {
    // The draws of this seed: W̃^[l] (n, n), b̃^[l] (n), x (n, m), dA^[L] (n, m), float32.
    const W: Float32Array[] = [], b: Float32Array[] = [];
    for (let l = 1; l <= L; l++) {
      const w = new Float32Array(n * n), bl = new Float32Array(n);
      fillNormal(w, seed, l, PURPOSE.WEIGHTS);
      fillNormal(bl, seed, l, PURPOSE.BIASES);
      W.push(w);
      b.push(bl);
    }
    const x = phaseInput(seed, n, m);
    const dAL = new Float32Array(nm);
    fillNormal(dAL, seed, 0, PURPOSE.PHASE_GRADIENT);
    const c0 = pairDecorrelation(x, n, m);
    for (const [q, net] of spec.networks.entries()) {
      if (net.seed !== seed) continue;
      const { sw, sb } = networkScalars(net, n);
      const lnRmsDA = new Float64Array(L + 1), oneMinusC = new Float64Array(L + 1);
      oneMinusC[0] = c0;
      const z: Float64Array[] = [];
      let a: ArrayLike<number> = x;
      for (let l = 1; l <= L; l++) {
        await pause('forward', l);
        const w = W[l - 1], zl = new Float64Array(nm);
        for (let i = 0; i < n; i++) {
          const row = i * m;
          for (let k = 0; k < n; k++) {
            const wik = w[i * n + k], col = k * m;
            for (let j = 0; j < m; j++) zl[row + j] += wik * a[col + j];
          }
          const bias = sb * b[l - 1][i];
          for (let j = 0; j < m; j++) zl[row + j] = sw * zl[row + j] + bias;
        }
        z.push(zl);
        oneMinusC[l] = pairDecorrelation(zl, n, m);
        a = Float64Array.from(zl, g.forward);
        done++;
      }
      let dA = Float64Array.from(dAL);
      lnRmsDA[L] = lnRms(dA);
      done++;
      for (let l = L; l >= 1; l--) {
        await pause('backward', l);
        const zl = z[l - 1], w = W[l - 1];
        const dZ = new Float64Array(nm);
        for (let i = 0; i < nm; i++) dZ[i] = g.backward(zl[i], dA[i]);
        const prev = new Float64Array(nm);
        for (let i = 0; i < n; i++) {
          const row = i * m;
          for (let k = 0; k < n; k++) {
            const wik = w[i * n + k], col = k * m;
            for (let j = 0; j < m; j++) prev[col + j] += wik * dZ[row + j];
          }
        }
        for (let i = 0; i < nm; i++) prev[i] *= sw;
        dA = prev;
        lnRmsDA[l - 1] = lnRms(dA);
        done++;
      }
      series[q] = { lnRmsDA, oneMinusC };
    }
  }
  control.onProgress?.({ phase: 'backward', layer: 1, done: total, total });
  return { series, networksPerDispatch: 1, chunks: spec.networks.length, submits: 0 };
}

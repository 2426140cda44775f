/**
 * The phase diagram on the device: many networks of one shape per dispatch (shaders/phase.wgsl; the networks are
 * defined in model/phase.ts). The grid's networks are split into chunks of P (as many as the memory budget, the
 * binding limits and a bounded amount of work per dispatch allow); a chunk runs as units — per forward layer: draw
 * W̃^[l] and b̃^[l] of its seeds, z^[l] = W a + b and a^[l] = g(z) of all P networks, the pairs' sums of z^[l]; the
 * output gradient; per backward layer: draw W̃^[l] again, dA^[l-1] = Wᵀ dZ^[l] (with dZ^[l-1] fused), the sums of
 * dA^[l-1] — submitted by runner.ts in chunks of ~100 ms with progress and cancel between them. Only the per-layer
 * records (4 numbers per network and layer for dA, 4 for z) are read back, once per chunk.
 *
 * Memory per chunk of P networks from S seeds (float32; row-major (n, m) per network):
 *   W̃ (S, n, n) and b̃ (S, n) of the current layer (redrawn in the backward pass instead of kept: L·S·n² would be
 *   the largest tensor by far), x (S, n, m), a^[l-1] and a^[l] (2 buffers of (P, n, m)), z^[1..L] (L·P·n·m, in pages
 *   of whole layers, each at most maxStorageBufferBindingSize), dA (P, n, m), dZ^[l] and dZ^[l-1] (2 × (P, n, m)),
 *   the records (2·(L+1)·P·4) and their read-back copy, the networks' scalars (P·16 bytes) and seeds (S·4 bytes).
 */
import { LimitError, throwIfCancelled, type RunControl } from '../backend';
import { pairDecorrelation, phaseInput, networkScalars, oneMinusC, type PhaseMeasurement, type PhaseSeries, type PhaseSpec } from '../../model/phase';
import type { Activation } from '../../model/activations';
import { ceilDiv, foldWorkgroups } from './dispatch';
import type { KernelVariant } from './kernels';
import type { EngineLimits } from './memory-plan';
import type { PipelineCache } from './pipelines';
import { Recorder, type Dispatch } from './recorder';
import { runUnits, type RunUnit } from './runner';
import { GpuError } from './webgpu-backend';

/** Threads of a matrix-product workgroup (phase.wgsl WG_X × WG_Y; each thread a 4×4 block): a tile of 32 × 16. */
export const PHASE_WG: readonly [number, number] = [4, 8];
/** Most multiply-adds of one product dispatch (P·n²·m): bounds the device time between two looks at cancel. */
export const PHASE_WORK_PER_DISPATCH = 2 ** 29;

/** The plan of a phase run: networks per chunk, seeds per chunk, chunks, bytes. */
export interface PhasePlan {
  /** Networks per dispatch (a chunk) and the most distinct seeds in one. */
  P: number;
  S: number;
  chunks: number;
  /** Layers of z per page and the pages of a chunk. */
  layersPerPage: number;
  pages: number;
  /** Bytes allocated for a chunk (all buffers, the read-back copy included). */
  bytes: number;
}

/** Bytes of a chunk of P networks from S seeds (see the file comment). */
function chunkBytes(L: number, n: number, m: number, P: number, S: number): number {
  const nm = n * m;
  return 4 * (S * (n * n + n + nm) + P * nm * (L + 5) + 2 * 2 * (L + 1) * P * 4 + 4 * P + S);
}

/**
 * Plan the chunks of a phase run before anything is allocated: the largest P (≤ the networks) whose chunk fits the
 * memory budget, whose every buffer fits maxStorageBufferBindingSize and maxBufferSize, and whose products stay within
 * PHASE_WORK_PER_DISPATCH (at least one network).
 * @param budgetBytes the memory budget (--memory, bytes)
 * @throws LimitError naming the limit when even one network does not fit (the budget, or a buffer over the binding
 *   size), or when a dispatch exceeds maxComputeWorkgroupsPerDimension folded into two dimensions.
 */
export function planPhase(spec: PhaseSpec, limits: EngineLimits, budgetBytes: number): PhasePlan {
  const { depth: L, width: n, batch: m } = spec;
  const total = spec.networks.length;
  if (total === 0) throw new RangeError('planPhase: no networks');
  const seeds = new Set(spec.networks.map((net) => net.seed)).size;
  const pageLimit = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  const limitName = limits.maxStorageBufferBindingSize <= limits.maxBufferSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
  const nm = n * m;
  const sets = (P: number) => Math.min(P, seeds);
  /** The largest single buffer of a chunk of P. */
  const largest = (P: number) => 4 * Math.max(sets(P) * n * n, P * nm, 2 * (L + 1) * P * 4);
  const fits = (P: number) => chunkBytes(L, n, m, P, sets(P)) <= budgetBytes && largest(P) <= pageLimit;
  if (!fits(1)) {
    if (largest(1) > pageLimit) throw new LimitError(limitName, largest(1), pageLimit, 'one tensor of the phase diagram\'s network (bytes)');
    throw new LimitError('memory budget (--memory, MiB)', chunkBytes(L, n, m, 1, 1), budgetBytes,
      `one network of the phase diagram (bytes: z^[1..L] of ${n} × ${m} for L = ${L}, W̃ of ${n} × ${n}, activations, gradients and records)`);
  }
  const workCap = Math.max(1, Math.floor(PHASE_WORK_PER_DISPATCH / (n * n * m)));
  let lo = 1, hi = Math.min(total, workCap);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid; else hi = mid - 1;
  }
  const P = lo, S = sets(P);
  const layersPerPage = Math.max(1, Math.min(L, Math.floor(pageLimit / (4 * P * nm))));
  const maxDim = limits.maxComputeWorkgroupsPerDimension;
  foldWorkgroups(P * productTiles(n, m), maxDim, 'the phase diagram\'s products');
  foldWorkgroups(ceilDiv(S * (ceilDiv(n * n, 4) + ceilDiv(n, 4)), 256), maxDim, 'the phase diagram\'s draws');
  foldWorkgroups(ceilDiv(P * nm, 256), maxDim, 'the phase diagram\'s output gradient');
  return { P, S, chunks: Math.ceil(total / P), layersPerPage, pages: Math.ceil(L / layersPerPage), bytes: chunkBytes(L, n, m, P, S) };
}

/** Tiles of one network's (n, m) product. */
function productTiles(n: number, m: number): number {
  return ceilDiv(n, 4 * PHASE_WG[1]) * ceilDiv(m, 4 * PHASE_WG[0]);
}

type PhaseKernel = 'DRAW' | 'FORWARD' | 'OUTGRAD' | 'BACKWARD' | 'STATS';
/** Storage uses of each kernel's bindings, in binding order (then the params slot). */
const PHASE_BINDINGS: Record<PhaseKernel, readonly ('read' | 'write')[]> = {
  DRAW: ['write', 'write', 'read'],
  FORWARD: ['read', 'read', 'read', 'read', 'write', 'write'],
  OUTGRAD: ['read', 'write', 'write', 'read', 'read'],
  BACKWARD: ['read', 'read', 'read', 'read', 'write', 'write'],
  STATS: ['read', 'write'],
};

/** The variant of one phase kernel: whole-buffer storage bindings (offsets travel in the params), a params slot. */
export function phaseVariant(kernel: PhaseKernel, g: Activation): KernelVariant {
  const kernelDefines = Object.fromEntries((Object.keys(PHASE_BINDINGS) as PhaseKernel[]).map((k) => [k, k === kernel]));
  const usesG = kernel === 'FORWARD' || kernel === 'BACKWARD' || kernel === 'OUTGRAD';
  const defines = { ...kernelDefines, MATMUL: kernel === 'FORWARD' || kernel === 'BACKWARD', RELU: usesG && g === 'relu', TANH: usesG && g === 'tanh' };
  const on = Object.keys(defines).filter((k) => defines[k as keyof typeof defines]).sort();
  const matmul = kernel === 'FORWARD' || kernel === 'BACKWARD';
  return {
    key: `phase[${on.join(',')}]${matmul ? `{WG_X=${PHASE_WG[0]},WG_Y=${PHASE_WG[1]}}` : ''}`,
    shader: 'phase',
    defines,
    constants: matmul ? { WG_X: PHASE_WG[0], WG_Y: PHASE_WG[1] } : {},
    bindings: [...PHASE_BINDINGS[kernel].map((use) => ({ use, dynamic: false })), { use: 'uniform' as const, dynamic: true }],
  };
}

/** Biased exponents of phase.wgsl's records (e + 150). */
const EXP_OFFSET = 150;

/**
 * Run every network of `spec` on the device in chunks (see the file comment) and measure ln rms(dA^[l]) and 1 − c^[l]
 * for l = 0..L (1 − c^[0] from the inputs on the host, float64).
 * @param budgetBytes the memory budget (bytes)
 * @throws LimitError (before anything is allocated); CancelledError between submits (what was allocated is released);
 *   GpuError for a validation or out-of-memory error of the device; ShaderCompileError.
 */
export async function runPhaseGpu(device: GPUDevice, cache: PipelineCache, spec: PhaseSpec, budgetBytes: number,
  control: RunControl = {}): Promise<PhaseMeasurement> {
  const plan = planPhase(spec, device.limits, budgetBytes);
  throwIfCancelled(control.signal);
  const { depth: L, width: n, batch: m, activation } = spec;
  const { P, S } = plan;
  const nm = n * m;
  const rec = new Recorder(device, cache);
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let failure: unknown = null;
  const series: PhaseSeries[] = new Array<PhaseSeries>(spec.networks.length);
  let submits = 0;
  try {
    const buf = (label: string, elements: number) => rec.buffer(`phase ${label}`, 4 * elements);
    const Wt = buf('W̃', S * n * n), bt = buf('b̃', S * n), x = buf('x', S * nm);
    const acts = [buf('a even', P * nm), buf('a odd', P * nm)];
    const dA = buf('dA', P * nm), dZ = [buf('dZ even', P * nm), buf('dZ odd', P * nm)];
    const zPages = Array.from({ length: plan.pages }, (_, i) => buf(`z page ${i}`, Math.min(plan.layersPerPage, L - i * plan.layersPerPage) * P * nm));
    const recordsElements = 2 * (L + 1) * P * 4;
    const records = buf('records', recordsElements);
    const staging = rec.buffer('phase records read back', 4 * recordsElements, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    const nets = rec.buffer('phase networks', 16 * P), seedBuf = rec.buffer('phase seeds', 4 * S);
    const whole = (buffer: GPUBuffer): GPUBufferBinding => ({ buffer, offset: 0, size: buffer.size });
    /** z^[l] (l ≥ 1): its page and element offset. */
    const zAt = (l: number) => ({ page: zPages[Math.floor((l - 1) / plan.layersPerPage)], off: ((l - 1) % plan.layersPerPage) * P * nm });
    const v = (k: PhaseKernel) => phaseVariant(k, activation);
    const chunkUnits = 2 * L + 1;
    for (let c = 0; c < plan.chunks; c++) {
      const first = c * P, Pc = Math.min(P, spec.networks.length - first);
      const chunk = spec.networks.slice(first, first + Pc);
      const chunkSeeds = [...new Set(chunk.map((net) => net.seed))];
      // The chunk's networks, seeds and inputs.
      const netWords = new ArrayBuffer(16 * Pc);
      chunk.forEach((net, p) => {
        const { sw, sb } = networkScalars(net, n);
        new Float32Array(netWords, 16 * p, 2).set([sw, sb]);
        new Uint32Array(netWords, 16 * p + 8, 2).set([chunkSeeds.indexOf(net.seed), 0]);
      });
      device.queue.writeBuffer(nets, 0, netWords);
      device.queue.writeBuffer(seedBuf, 0, Uint32Array.from(chunkSeeds));
      const inputs = chunkSeeds.map((seed) => phaseInput(seed, n, m));
      inputs.forEach((xs, s) => device.queue.writeBuffer(x, 4 * s * nm, xs));
      const Sc = chunkSeeds.length;
      const param = (words: Partial<Record<'layer' | 'offZ' | 'flag' | 'S' | 'offOut', number>>) =>
        rec.param([n, m, Pc, words.layer ?? 0, words.offZ ?? 0, words.flag ?? 0, words.S ?? Sc, words.offOut ?? 0]);
      const tiles = Pc * productTiles(n, m);
      const drawGroups = ceilDiv(Sc * (ceilDiv(n * n, 4) + ceilDiv(n, 4)), 256);
      const draw = (l: number) => rec.dispatch(v('DRAW'), `phase draw W̃^[${l}]`, [whole(Wt), whole(bt), whole(seedBuf), param({ layer: l })], drawGroups);
      const stats = (label: string, source: GPUBuffer, offIn: number, pairs: boolean, slot: number) =>
        rec.dispatch(v('STATS'), `phase ${label}`, [whole(source), whole(records), param({ offZ: offIn, flag: pairs ? 1 : 0, offOut: slot })], Pc);
      /** Record slots: dA^[l] at l·Pc·4, z^[l] at (L+1+l)·Pc·4. */
      const dASlot = (l: number) => l * Pc * 4, zSlotOf = (l: number) => (L + 1 + l) * Pc * 4;
      const units: RunUnit[] = [];
      for (let l = 1; l <= L; l++) {
        const z = zAt(l);
        const input = l === 1 ? x : acts[(l - 1) % 2];
        const dispatches: Dispatch[] = await Promise.all([
          draw(l),
          rec.dispatch(v('FORWARD'), `phase forward z^[${l}]`,
            [whole(Wt), whole(bt), whole(nets), whole(input), whole(z.page), whole(acts[l % 2]), param({ offZ: z.off, flag: l === 1 ? 1 : 0 })], tiles),
          stats(`pairs of z^[${l}]`, z.page, z.off, true, zSlotOf(l)),
        ]);
        units.push({ phase: 'forward', layer: l, dispatches });
      }
      const zL = zAt(L);
      units.push({ phase: 'loss', layer: L, dispatches: await Promise.all([
        rec.dispatch(v('OUTGRAD'), 'phase dA^[L]', [whole(zL.page), whole(dA), whole(dZ[L % 2]), whole(nets), whole(seedBuf), param({ offZ: zL.off })], ceilDiv(Pc * nm, 256)),
        stats(`rms of dA^[${L}]`, dA, 0, false, dASlot(L)),
      ]) });
      for (let l = L; l >= 1; l--) {
        const zPrev = l > 1 ? zAt(l - 1) : zAt(1);
        const dispatches: Dispatch[] = await Promise.all([
          draw(l),
          rec.dispatch(v('BACKWARD'), `phase backward dA^[${l - 1}]`,
            [whole(Wt), whole(nets), whole(dZ[l % 2]), whole(zPrev.page), whole(dA), whole(dZ[(l - 1) % 2]), param({ offZ: zPrev.off, flag: l > 1 ? 1 : 0 })], tiles),
          stats(`rms of dA^[${l - 1}]`, dA, 0, false, dASlot(l - 1)),
        ]);
        units.push({ phase: 'backward', layer: l, dispatches });
      }
      const run = await runUnits(device, units, {
        signal: control.signal,
        onProgress: (p) => control.onProgress?.({ ...p, done: c * chunkUnits + p.done, total: plan.chunks * chunkUnits }),
      }, { finish: (encoder) => encoder.copyBufferToBuffer(records, 0, staging, 0, 4 * recordsElements) });
      submits += run.submits;
      await staging.mapAsync(GPUMapMode.READ);
      const r = new Float32Array(staging.getMappedRange().slice(0));
      staging.unmap();
      chunk.forEach((net, p) => {
        const lnRmsDA = new Float64Array(L + 1), decorrelation = new Float64Array(L + 1);
        for (let l = 0; l <= L; l++) {
          const a = dASlot(l) + 4 * p;
          const [E, s, bad] = [r[a], r[a + 1], r[a + 2]];
          lnRmsDA[l] = bad > 0 ? NaN : E === 0 ? -Infinity : (E - EXP_OFFSET) * Math.LN2 + 0.5 * Math.log(s / nm);
          if (l === 0) continue;
          const b = zSlotOf(l) + 4 * p;
          decorrelation[l] = r[b] === 0 ? NaN : oneMinusC(r[b + 1], r[b + 2], r[b + 3]);
        }
        decorrelation[0] = pairDecorrelation(inputs[chunkSeeds.indexOf(net.seed)], n, m);
        series[first + p] = { lnRmsDA, oneMinusC: decorrelation };
      });
    }
  } catch (e) {
    failure = e;
  } finally {
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    rec.destroy();
    const gpuError = validation ?? oom;
    if (failure === null && gpuError) failure = new GpuError(`the phase diagram failed: ${gpuError.message}`);
  }
  if (failure !== null) throw failure;
  return { series, networksPerDispatch: P, chunks: plan.chunks, submits };
}

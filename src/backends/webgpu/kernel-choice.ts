/**
 * Which kernel computes a product, chosen by measurement on the adapter in use: the tiled kernel (matmul.wgsl,
 * workgroup memory — what GPUs prefer for large layers) or the barrier-free register-blocked one (matmul_regs.wgsl,
 * with a workgroup size among a few — what software adapters and narrow layers prefer). Each candidate is first
 * verified against the float64 reference on the shape itself, then timed (a few milliseconds each); the winner is
 * kept per adapter and shape class in a ChoiceStore (the GUI's localStorage, a file for the CLI, memory otherwise).
 */
import { matmul as referenceMatmul } from '../cpu/ops';
import { ceilDiv } from './dispatch';
import { kernels, WORKGROUP, type KernelVariant } from './kernels';
import type { PipelineCache } from './pipelines';
import { Recorder, encodeDispatches } from './recorder';

/** How a product is computed. */
export type MatmulKernel = { readonly kind: 'tiled' } | { readonly kind: 'regs'; readonly wg: readonly [number, number] };

/** The candidates, in order of preference on a tie. */
export const MATMUL_CANDIDATES: readonly MatmulKernel[] = [
  { kind: 'tiled' }, { kind: 'regs', wg: [4, 4] }, { kind: 'regs', wg: [8, 8] }, { kind: 'regs', wg: [16, 16] }, { kind: 'regs', wg: [16, 4] },
];

/** The three products of a layer: z = W a + b (M = n^[l], N = m, K = n^[l-1]); dW = dZ aᵀ; dA = Wᵀ dZ. */
export type ProductOp = 'forward' | 'dW' | 'dA';

/** A name for a kernel, e.g. "tiled 64×64" or "registers 8×8 (tile 32×32)". */
export function kernelName(k: MatmulKernel): string {
  return k.kind === 'tiled' ? `tiled ${WORKGROUP.matmulTile}×${WORKGROUP.matmulTile}` : `registers ${k.wg[0]}×${k.wg[1]} (tile ${4 * k.wg[1]}×${4 * k.wg[0]})`;
}

/** The unfused variant of a kernel for an op (the form that is verified and timed). */
export function productVariant(k: MatmulKernel, op: ProductOp): KernelVariant {
  const [transA, transB, bias] = op === 'forward' ? [false, false, true] : op === 'dW' ? [false, true, false] : [true, false, false];
  return k.kind === 'tiled' ? kernels.matmul(transA, transB, bias) : kernels.matmulRegs(transA, transB, bias, null, false, k.wg);
}

/** Workgroups of a product of (M, N) with a kernel. */
export function productGroups(k: MatmulKernel, M: number, N: number): number {
  const [tm, tn] = k.kind === 'tiled' ? [WORKGROUP.matmulTile, WORKGROUP.matmulTile] : [4 * k.wg[1], 4 * k.wg[0]];
  return ceilDiv(M, tm) * ceilDiv(N, tn);
}

/** The class a shape's measurement stands for: the op and each dimension rounded up to a power of two. */
export function shapeClass(op: ProductOp, M: number, N: number, K: number): string {
  const p2 = (x: number) => 2 ** Math.ceil(Math.log2(Math.max(1, x)));
  return `${op} ${p2(M)}×${p2(N)}×${p2(K)}`;
}

/** Where choices persist between runs: keys are "adapter | shape class", values JSON MatmulKernel. */
export interface ChoiceStore {
  get(key: string): string | null;
  set(key: string, value: string): void;
}

/** A store in memory, for the life of the process (the default). */
export const memoryStore = (): ChoiceStore => {
  const m = new Map<string, string>();
  return { get: (k) => m.get(k) ?? null, set: (k, v) => { m.set(k, v); } };
};

/** A measured choice, as the faces report it. */
export interface Choice {
  shape: string;
  kernel: MatmulKernel;
  /** Milliseconds per dispatch of each candidate that passed verification (empty when it came from the store). */
  timings: { kernel: string; ms: number }[];
  /** Candidates that failed verification (relative error to float64 above 1e-4), with the error. */
  rejected: { kernel: string; error: number }[];
}

const PROCESS_STORE = memoryStore();

export class KernelChooser {
  /** Every choice made or read so far, by shape class. */
  readonly choices = new Map<string, Choice>();
  private readonly pending = new Map<string, Promise<MatmulKernel>>();

  /**
   * @param adapter the adapter's description (the store's key prefix)
   * @param fixed a kernel to use for every product instead of measuring (tests), or null
   */
  constructor(private readonly device: GPUDevice, private readonly cache: PipelineCache, private readonly adapter: string,
    private readonly store: ChoiceStore = PROCESS_STORE, readonly fixed: MatmulKernel | null = null) {}

  /** The kernel for a product of shape (M, N, K): fixed, stored, or measured now. */
  choose(op: ProductOp, M: number, N: number, K: number): Promise<MatmulKernel> {
    const shape = shapeClass(op, M, N, K);
    if (this.fixed) {
      this.choices.set(shape, { shape, kernel: this.fixed, timings: [], rejected: [] });
      return Promise.resolve(this.fixed);
    }
    let p = this.pending.get(shape);
    if (!p) {
      p = this.measure(op, M, N, K, shape);
      this.pending.set(shape, p);
    }
    return p;
  }

  private async measure(op: ProductOp, M: number, N: number, K: number, shape: string): Promise<MatmulKernel> {
    const key = `${this.adapter} | ${shape}`;
    const stored = this.store.get(key);
    if (stored) {
      const kernel = JSON.parse(stored) as MatmulKernel;
      if (MATMUL_CANDIDATES.some((c) => kernelName(c) === kernelName(kernel))) {
        this.choices.set(shape, { shape, kernel, timings: [], rejected: [] });
        return kernel;
      }
    }
    const rec = new Recorder(this.device, this.cache);
    try {
      const choice = await this.time(rec, op, M, N, K, shape);
      this.choices.set(shape, choice);
      this.store.set(key, JSON.stringify(choice.kernel));
      return choice.kernel;
    } finally {
      rec.destroy();
    }
  }

  /** Verify every candidate on random data of this shape, then time those that pass; the fastest wins. */
  private async time(rec: Recorder, op: ProductOp, M: number, N: number, K: number, shape: string): Promise<Choice> {
    // Inputs: small integers, so the float32 products are exact and any error is a kernel's.
    const rand = (n: number) => Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 17) - 8);
    const [A, B, bias] = [rand(M * K), rand(K * N), rand(M)];
    const upload = (data: Float32Array<ArrayBuffer>) => {
      const b = rec.buffer('choice input', data.byteLength);
      this.device.queue.writeBuffer(b, 0, data);
      return b;
    };
    const [bufA, bufB, bufBias] = [upload(A), upload(B), upload(bias)];
    const bufC = rec.buffer('choice output', M * N * 4);
    const readback = rec.buffer('choice readback', M * N * 4, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    const [transA, transB, withBias] = op === 'forward' ? [false, false, true] : op === 'dW' ? [false, true, false] : [true, false, false];
    const ref = referenceMatmul(A, B, M, N, K, transA, transB, withBias ? bias : null);
    const timings: Choice['timings'] = [], rejected: Choice['rejected'] = [];
    let best: { kernel: MatmulKernel; ms: number } | null = null;
    for (const kernel of MATMUL_CANDIDATES) {
      const params = kernel.kind === 'tiled' ? rec.param([M, N, K, 0]) : rec.param([M, N, K, 0, 0, 0, 0, 0, 0]);
      const whole = (buffer: GPUBuffer) => ({ buffer, offset: 0, size: buffer.size });
      const d = await rec.dispatch(productVariant(kernel, op), `choice ${kernelName(kernel)}`,
        [whole(bufA), whole(bufB), whole(bufC), params, ...(withBias ? [whole(bufBias)] : [])], productGroups(kernel, M, N));
      // Verify.
      const encoder = this.device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      encodeDispatches(pass, [d]);
      pass.end();
      encoder.copyBufferToBuffer(bufC, 0, readback, 0, M * N * 4);
      this.device.queue.submit([encoder.finish()]);
      await readback.mapAsync(GPUMapMode.READ);
      const got = new Float32Array(readback.getMappedRange().slice(0));
      readback.unmap();
      let num = 0, den = 0;
      for (let i = 0; i < ref.length; i++) { num += (got[i] - ref[i]) ** 2; den += ref[i] ** 2; }
      const error = Math.sqrt(num / Math.max(den, 1e-300));
      if (!(error <= 1e-4)) {
        rejected.push({ kernel: kernelName(kernel), error });
        continue;
      }
      // Time: repetitions in one submit, doubled until they take ≥ 4 ms (or 256 of them); the best of two rounds.
      let ms = Infinity;
      for (let round = 0; round < 2; round++) {
        for (let reps = 1; ; reps *= 2) {
          const e = this.device.createCommandEncoder();
          const p = e.beginComputePass();
          encodeDispatches(p, Array<typeof d>(reps).fill(d));
          p.end();
          const t0 = performance.now();
          this.device.queue.submit([e.finish()]);
          await this.device.queue.onSubmittedWorkDone();
          const elapsed = performance.now() - t0;
          if (elapsed >= 4 || reps >= 256) {
            ms = Math.min(ms, elapsed / reps);
            break;
          }
        }
      }
      timings.push({ kernel: kernelName(kernel), ms });
      if (!best || ms < best.ms) best = { kernel, ms };
    }
    if (!best) throw new Error(`no matmul kernel passed verification for ${shape}: ${rejected.map((r) => `${r.kernel} error ${r.error}`).join('; ')}`);
    return { shape, kernel: best.kernel, timings, rejected };
  }
}

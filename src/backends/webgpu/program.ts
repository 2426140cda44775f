/**
 * The compiled form of one network shape: its buffers (memory-plan.ts), and a step as a list of units — one per
 * forward layer, the loss, one per backward layer — each a few dispatches, with the statistics of every G layers
 * reduced right after them (so transient gradients can live in rings). The runner (runner.ts) submits units in
 * chunks, with progress and cancel between chunks; the statistics are read back once per step.
 *
 * Per layer (llm.c style pairs):
 *   forward:  z^[l] = W^[l] a^[l-1] + b^[l]  (matmul+bias);   a^[l] = g(z^[l])  (identity at l = L)
 *   loss:     dA^[L] = ∂J/∂ŷ, per-example loss
 *   backward: dZ^[l] = dA^[l] ⊙ g'(z^[l]);  dW^[l] = dZ^[l] a^[l-1]ᵀ;  db^[l] = Σ_j dZ^[l];  dA^[l-1] = W^[l]ᵀ dZ^[l]
 *   with checkpoints (s < L), the backward pass first recomputes z and a of each segment from its checkpoint.
 *   training: each backward unit ends with the optimiser's update of W^[l] and b^[l] (shaders/update.wgsl), after
 *   dA^[l-1] has used W^[l]; W's statistics are then reduced at the start of every step.
 */
import { throwIfCancelled, type Phase, type RunControl, type Tensors } from '../backend';
import { layerDraw } from '../../model/init';
import type { Batch, NetworkShape, WeightSpec } from '../../model/network';
import { PURPOSE } from '../../model/philox';
import { initParamWords } from './init-params';
import { TENSOR_NAMES } from '../../model/network';
import type { Moments } from '../../stats/stats';
import { stepScalars, type OptimizerSpec } from '../../model/optimizers';
import { ceilDiv } from './dispatch';
import { kernels, WORKGROUP, type KernelVariant } from './kernels';
import { productGroups, type KernelChooser } from './kernel-choice';
import { activationSlot, KIND_NAMES, ringSlot, slot, zSlot, type KindName, type MemoryPlan } from './memory-plan';
import type { PipelineCache } from './pipelines';
import { Recorder, type Dispatch, type ParamSlot } from './recorder';
import { planReduction, type ReducedTensor } from './reduction-plan';
import { reductionDispatches, StatsReadback, statsRecords, type StatsRecords } from './stats-reducer';

/** A unit of a step: the dispatches of one layer (or the loss), with the statistics that follow it. */
export interface Unit {
  readonly phase: Phase;
  readonly layer: number;
  readonly dispatches: Dispatch[];
  /** Training: the optimiser's update of W^[l] and b^[l], run after the unit's dispatches in an updating step. */
  readonly update?: Dispatch[];
}

/** Longest stretch of building between two returns to the event loop (progress, cancel, the page). */
const BUILD_SLICE_MS = 50;

/** A function to await while building: every BUILD_SLICE_MS it reports progress, yields and checks for cancel. */
function buildPauser(control: RunControl, total: number): (done: number) => Promise<void> {
  let last = performance.now();
  return async (done) => {
    if (performance.now() - last < BUILD_SLICE_MS) return;
    control.onProgress?.({ phase: 'build', layer: Math.min(done, total / 2), done, total });
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    throwIfCancelled(control.signal);
    last = performance.now();
  };
}

/** Bytes of the scales' global words, and i32 words per layer record (shaders/scales.wgsl: 16 and REC). */
const SCALES_GLOBAL_BYTES = 64;
const SCALES_RECORD = 16;

/** Result index of tensor `name` of layer l (TENSOR_NAMES order); the loss is last, 6L. */
export const resultIndex = (name: (typeof TENSOR_NAMES)[number], l: number) => (l - 1) * TENSOR_NAMES.length + TENSOR_NAMES.indexOf(name);

export class NetworkProgram {
  private readonly pages = {} as Record<KindName, GPUBuffer[]>;
  private readonly rec: Recorder;
  /** The step's units, in order. */
  readonly units: Unit[] = [];
  /** The reduction of W's statistics, run once the weights are drawn (W does not change during a step). */
  private weightStats: Promise<Dispatch[]> | null = null;
  private records: StatsRecords | null = null;
  private readback: StatsReadback | null = null;
  /** The extended range's scales (shaders/scales.wgsl), or null in the float32 range. */
  readonly scales: GPUBuffer | null;
  /** Training: the optimiser's per-step scalars (update.wgsl HyperParams), one slot shared by every update. */
  private hyper: ParamSlot | null = null;
  /** Whether an update has changed the weights since they were drawn (W's statistics are then reduced every step). */
  private updated = false;

  private constructor(device: GPUDevice, cache: PipelineCache, readonly shape: NetworkShape, readonly plan: MemoryPlan,
    private readonly chooser: KernelChooser) {
    this.rec = new Recorder(device, cache);
    const L = shape.widths.length - 1;
    this.scales = shape.range === 'extended' ? this.rec.buffer('scales', SCALES_GLOBAL_BYTES + 4 * SCALES_RECORD * (L + 1)) : null;
    for (const name of KIND_NAMES) {
      this.pages[name] = plan.kinds[name].pages.map((bytes, p) => this.rec.buffer(`${name} page ${p}`, bytes));
    }
  }

  get device(): GPUDevice {
    return this.rec.device;
  }

  /** Bind groups made by the build (a few per kernel, independent of L). */
  get bindGroups(): number {
    return this.rec.bindGroupCount;
  }

  /** Dispatches of one step. */
  get dispatchesPerStep(): number {
    return this.units.reduce((t, u) => t + u.dispatches.length, 0);
  }

  /**
   * Build the program of a shape: buffers (as planned), pipelines (from the cache), bind groups, and the units of a
   * step, each product with the kernel the chooser measured fastest on this adapter (fused epilogues with the
   * register-blocked kernel). The plan must come from planMemory with this device's limits (it has been checked).
   * Progress (phase 'build', layers recorded of 2L) and cancel every ~50 ms.
   * @throws CancelledError (the program is destroyed), LimitError, ShaderCompileError.
   */
  static async build(device: GPUDevice, cache: PipelineCache, shape: NetworkShape, plan: MemoryPlan, chooser: KernelChooser,
    control: RunControl = {}): Promise<NetworkProgram> {
    const program = new NetworkProgram(device, cache, shape, plan, chooser);
    try {
      await program.record(control);
    } catch (e) {
      program.destroy(); // its buffers exist already
      throw e;
    }
    return program;
  }

  /** The buffer and byte offset of slot `index` of a kind. */
  region(kind: KindName, index: number): { buffer: GPUBuffer; offset: number; elements: number } {
    const r = slot(this.plan, kind, index);
    return { buffer: this.pages[kind][r.page], offset: r.offset, elements: r.elements };
  }

  /** A dynamic binding of slot `index` of a kind (its size is the kind's binding size). */
  private bind(kind: KindName, index: number): GPUBufferBinding {
    const r = this.region(kind, index);
    return { buffer: r.buffer, offset: r.offset, size: this.plan.kinds[kind].bindingBytes };
  }

  private bindA(l: number): GPUBufferBinding {
    const { kind, index } = activationSlot(this.plan, l);
    return this.bind(kind, index);
  }

  /** The element range of a slot as a statistics source: its page buffer and first element. */
  private source(kind: KindName, index: number, elements: number, result: number, buffers: GPUBuffer[]): ReducedTensor {
    const r = this.region(kind, index);
    let source = buffers.indexOf(r.buffer);
    if (source < 0) source = buffers.push(r.buffer) - 1;
    return { source, start: r.offset / 4, count: elements, result };
  }

  /** The scales binding (extended range), as the last binding of a dispatch: [] in the float32 range. */
  private scalesBinding(): GPUBufferBinding[] {
    return this.scales ? [{ buffer: this.scales }] : [];
  }

  /** Parameter words of a per-layer kernel: its shape, and the layer only in the extended range (else shared slots). */
  private layerParam(words: number[], layer: number) {
    return this.rec.param(this.scales ? [...words, layer] : words);
  }

  /** A whole page of a kind's slot, as a static binding, and the slot's element offset in it (matmul_regs). */
  private page(kind: KindName, index: number): { binding: GPUBufferBinding; offset: number } {
    const r = this.region(kind, index);
    return { binding: { buffer: r.buffer, offset: 0, size: r.buffer.size }, offset: r.offset / 4 };
  }

  private pageA(l: number): { binding: GPUBufferBinding; offset: number } {
    const { kind, index } = activationSlot(this.plan, l);
    return this.page(kind, index);
  }

  /**
   * One product of the register-blocked kernel: operands as whole pages with their element offsets in the params,
   * and the fused outputs (bias or db at binding 4, a at binding 5).
   */
  private regs(variant: KernelVariant, label: string, shape: [number, number, number], layer: number,
    parts: { binding: GPUBufferBinding; offset: number }[], groups: number): Promise<Dispatch> {
    const offsets = [0, 0, 0, 0, 0];
    parts.forEach((part, i) => { offsets[i] = part.offset; });
    return this.rec.dispatch(variant, label,
      [parts[0].binding, parts[1].binding, parts[2].binding, this.rec.param([...shape, layer, ...offsets]), ...parts.slice(3).map((p) => p.binding),
        ...(variant.defines.EXTENDED ? this.scalesBinding() : [])],
      groups);
  }

  private async forward(l: number): Promise<Dispatch[]> {
    const { widths: n, m, activation } = this.shape;
    const L = n.length - 1;
    const ext = this.scales !== null;
    const g = l === L ? 'identity' : activation;
    const count = n[l] * m;
    const kernel = await this.chooser.choose('forward', n[l], m, n[l - 1]);
    const activate = () => this.rec.dispatch(kernels.activationForward(g, ext), `forward a^[${l}]`,
      [this.bind('z', zSlot(this.plan, l)), this.bindA(l), this.layerParam([count], l), ...this.scalesBinding()],
      ceilDiv(count, WORKGROUP.elementwise));
    if (kernel.kind === 'regs') {
      // Fused: z = W a + b and a = g(z) in one dispatch (the extended range normalises z first: a second one).
      const parts = [this.page('W', l - 1), this.pageA(l - 1), this.page('z', zSlot(this.plan, l)), this.page('b', l - 1), ...(ext ? [] : [this.pageA(l)])];
      const product = this.regs(kernels.matmulRegs(false, false, true, ext ? null : g, false, kernel.wg, ext), `forward z^[${l}]${ext ? '' : ', a^[l]'}`,
        [n[l], m, n[l - 1]], l, parts, productGroups(kernel, n[l], m));
      return Promise.all(ext ? [product, activate()] : [product]);
    }
    return Promise.all([
      this.rec.dispatch(kernels.matmul(false, false, true, ext), `forward z^[${l}]`,
        [this.bind('W', l - 1), this.bindA(l - 1), this.bind('z', zSlot(this.plan, l)), this.layerParam([n[l], m, n[l - 1]], l),
          this.bind('b', l - 1), ...this.scalesBinding()],
        productGroups(kernel, n[l], m)),
      activate(),
    ]);
  }

  private async backward(l: number): Promise<Dispatch[]> {
    const { widths: n, m, activation } = this.shape;
    const L = n.length - 1;
    const ext = this.scales !== null;
    const g = l === L ? 'identity' : activation;
    const count = n[l] * m;
    const ring = ringSlot(this.plan, l);
    const dZ = (scalePass: boolean) => this.rec.dispatch(kernels.activationBackward(g, ext, scalePass), `backward dZ^[${l}]${scalePass ? ' scale' : ''}`,
      [this.bind('z', zSlot(this.plan, l)), this.bind('dA', ring), this.bind('dZ', ring), this.layerParam([count], l), ...this.scalesBinding()],
      ceilDiv(count, WORKGROUP.elementwise));
    const [kdW, kdA] = await Promise.all([this.chooser.choose('dW', n[l], n[l - 1], m), l > 1 ? this.chooser.choose('dA', n[l - 1], m, n[l]) : null]);
    const ops = [
      // Extended range, tanh: a first pass finds dZ's max exponent, so that dZ is stored normalised.
      ...(ext && g === 'tanh' ? [dZ(true)] : []),
      dZ(false),
    ];
    if (kdW.kind === 'regs') {
      // Fused: dW = dZ a^[l-1]ᵀ and db = Σ_j dZ in one dispatch.
      ops.push(this.regs(kernels.matmulRegs(false, true, false, null, true, kdW.wg), `backward dW^[${l}], db^[${l}]`, [n[l], n[l - 1], m], l,
        [this.page('dZ', ring), this.pageA(l - 1), this.page('dW', ring), this.page('db', ring)], productGroups(kdW, n[l], n[l - 1])));
    } else {
      ops.push(
        this.rec.dispatch(kernels.matmul(false, true, false), `backward dW^[${l}]`,
          [this.bind('dZ', ring), this.bindA(l - 1), this.bind('dW', ring), this.rec.param([n[l], n[l - 1], m])], productGroups(kdW, n[l], n[l - 1])),
        this.rec.dispatch(kernels.biasGrad(), `backward db^[${l}]`,
          [this.bind('dZ', ring), this.bind('db', ring), this.rec.param([n[l], m])], ceilDiv(n[l], WORKGROUP.biasGrad)));
    }
    if (kdA) {
      const label = `backward dA^[${l - 1}]`;
      ops.push(kdA.kind === 'regs'
        ? this.regs(kernels.matmulRegs(true, false, false, null, false, kdA.wg, ext), label, [n[l - 1], m, n[l]], l - 1,
          [this.page('W', l - 1), this.page('dZ', ring), this.page('dA', ringSlot(this.plan, l - 1))], productGroups(kdA, n[l - 1], m))
        : this.rec.dispatch(kernels.matmul(true, false, false, ext), label,
          [this.bind('W', l - 1), this.bind('dZ', ring), this.bind('dA', ringSlot(this.plan, l - 1)), this.layerParam([n[l - 1], m, n[l]], l - 1),
            ...this.scalesBinding()],
          productGroups(kdA, n[l - 1], m)));
    }
    return Promise.all(ops);
  }

  /** The optimiser's update of W^[l] and b^[l] from dW^[l] and db^[l] (their ring slot), with its state tensors. */
  private async update(l: number): Promise<Dispatch[]> {
    const optimizer = this.plan.optimizer!;
    const n = this.shape.widths;
    const ring = ringSlot(this.plan, l);
    const states = (param: 'W' | 'b') => (optimizer === 'sgd' ? [] : optimizer === 'momentum' ? [this.bind(`opt${param}1`, l - 1)]
      : [this.bind(`opt${param}1`, l - 1), this.bind(`opt${param}2`, l - 1)]);
    return Promise.all([
      this.rec.dispatch(kernels.update(optimizer), `update W^[${l}]`,
        [this.bind('W', l - 1), this.bind('dW', ring), this.rec.param([n[l] * n[l - 1]]), this.hyper!, ...states('W')],
        ceilDiv(n[l] * n[l - 1], WORKGROUP.update)),
      this.rec.dispatch(kernels.update(optimizer), `update b^[${l}]`,
        [this.bind('b', l - 1), this.bind('db', ring), this.rec.param([n[l]]), this.hyper!, ...states('b')],
        ceilDiv(n[l], WORKGROUP.update)),
    ]);
  }

  private async record(control: RunControl): Promise<void> {
    const { widths: n, m, loss } = this.shape;
    const { L, s, G } = this.plan;
    const T = 6 * L + 1;
    // Statistics groups. Backward: dA, dZ, dW of G layers (their rings are reused after). Forward: z, a, W of G
    // layers when activations are recomputed (s < L, their slots are reused); otherwise they stay until the end of
    // the step and join the last backward group, with the loss: most networks reduce everything at once.
    /** Tensors reduced together, right after the unit of layer `after`; a backward group covers layers top..after. */
    type Group = { tensors: ReducedTensor[]; buffers: GPUBuffer[]; after: number; top: number };
    const forwardGroups: Group[] = [], backwardGroups: Group[] = [];
    for (let top = L; top >= 1; top -= G) backwardGroups.push({ tensors: [], buffers: [], after: Math.max(1, top - G + 1), top });
    const lastGroup = backwardGroups[backwardGroups.length - 1];
    const forwardTensors = (g: Group, l: number) => {
      const a = activationSlot(this.plan, l);
      g.tensors.push(
        this.source('z', zSlot(this.plan, l), n[l] * m, resultIndex('z', l), g.buffers),
        this.source(a.kind, a.index, n[l] * m, resultIndex('a', l), g.buffers));
    };
    // W does not change during a step: its statistics are reduced once, when the weights are drawn.
    const weightGroup: Group = { tensors: [], buffers: [], after: 0, top: 0 };
    for (let l = 1; l <= L; l++) weightGroup.tensors.push(this.source('W', l - 1, n[l] * n[l - 1], resultIndex('W', l), weightGroup.buffers));
    if (s < L) {
      for (let lo = 1; lo <= L; lo += Math.min(G, s)) {
        const g: Group = { tensors: [], buffers: [], after: Math.min(L, lo + Math.min(G, s) - 1), top: lo };
        for (let l = lo; l <= g.after; l++) forwardTensors(g, l);
        forwardGroups.push(g);
      }
    } else {
      for (let l = 1; l <= L; l++) forwardTensors(lastGroup, l);
    }
    for (const g of backwardGroups) {
      for (let l = g.top; l >= g.after; l--) {
        const r = ringSlot(this.plan, l);
        g.tensors.push(
          this.source('dA', r, n[l] * m, resultIndex('dA', l), g.buffers),
          this.source('dZ', r, n[l] * m, resultIndex('dZ', l), g.buffers),
          this.source('dW', r, n[l] * n[l - 1], resultIndex('dW', l), g.buffers));
      }
    }
    lastGroup.tensors.push(this.source('loss', 0, m, T - 1, lastGroup.buffers));
    const reductions = [...forwardGroups, ...backwardGroups, weightGroup].map((g) => ({ g, plan: planReduction(g.tensors, T) }));
    const histograms = this.plan.histogramBytes > 0;
    this.records = statsRecords(this.rec, T, Math.max(...reductions.map((r) => r.plan.records)), 'stats', histograms ? L : -1);
    this.readback = new StatsReadback(this.rec, this.records, this.scales);
    const statsOf = new Map<Group, Promise<Dispatch[]>>(reductions.map(({ g, plan }, i) =>
      [g, reductionDispatches(this.rec, plan, g.buffers, this.records!, `stats group ${i}`)]));
    this.weightStats = statsOf.get(weightGroup)!;

    if (this.plan.optimizer) this.hyper = this.rec.ownParam();
    const pause = buildPauser(control, 2 * L);
    for (let l = 1; l <= L; l++) {
      await pause(l);
      const dispatches = await this.forward(l);
      if (histograms && l < L) {
        // Dead and saturated units of a^[l], counted once per step (recomputed segments do not count again).
        dispatches.push(await this.rec.dispatch(kernels.units(), `units of a^[${l}]`,
          [this.bindA(l), { buffer: this.records.units! }, this.rec.param([n[l], m, l - 1])], ceilDiv(n[l], WORKGROUP.stats)));
      }
      const g = forwardGroups.find((f) => f.after === l);
      if (g) dispatches.push(...await statsOf.get(g)!);
      this.units.push({ phase: 'forward', layer: l, dispatches });
    }
    const lossOps = [await this.rec.dispatch(kernels.loss(loss, this.scales !== null), 'loss',
      [this.bindA(L), this.bind('y', 0), this.bind('labels', 0), this.bind('dA', ringSlot(this.plan, L)), this.bind('loss', 0),
        this.layerParam([n[L], m], L), ...this.scalesBinding()],
      ceilDiv(m, WORKGROUP.loss))];
    this.units.push({ phase: 'loss', layer: L, dispatches: lossOps });
    for (let l = L; l >= 1; l--) {
      await pause(2 * L - l + 1);
      const dispatches: Dispatch[] = [];
      // Entering a segment (k·s, (k+1)·s] from its top: recompute its z and a from the checkpoint a^[k·s],
      // except for the last segment, which the forward pass has just left in place.
      const segmentTop = Math.min(L, Math.ceil(l / s) * s);
      if (l === segmentTop && s < L && l !== L && Math.ceil(l / s) !== Math.ceil(L / s)) {
        for (let k = l - ((l - 1) % s); k <= l; k++) dispatches.push(...await this.forward(k));
      }
      dispatches.push(...await this.backward(l));
      const g = backwardGroups.find((b) => b.after === l);
      if (g) dispatches.push(...await statsOf.get(g)!);
      this.units.push({ phase: 'backward', layer: l, dispatches, ...(this.plan.optimizer ? { update: await this.update(l) } : {}) });
    }
  }

  /**
   * The units of a step: with `update`, each backward unit followed by its layer's optimiser update (the program
   * must be built for training, and {@link writeHyper} called for the step); once the weights have been updated,
   * every step begins by reducing W's statistics.
   * @throws Error if `update` is asked of a program built without an optimiser.
   */
  async stepUnits(update: boolean): Promise<Unit[]> {
    if (update && !this.plan.optimizer) throw new Error('step with update: the network was loaded without an optimiser (problem.training)');
    let units = this.units;
    if (update) {
      units = units.map((u) => (u.update ? { ...u, dispatches: [...u.dispatches, ...u.update] } : u));
      this.updated = true;
    }
    // W's statistics are reduced again when the weights changed, and with histograms (their counters are cleared at
    // the start of every step).
    if (this.updated || this.plan.histogramBytes > 0) {
      units = [{ ...units[0], dispatches: [...await this.weightStats!, ...units[0].dispatches] }, ...units.slice(1)];
    }
    return units;
  }

  /** The forward units only (ŷ of a batch; statistics of z and a where the plan recomputes, harmlessly). */
  get forwardUnits(): Unit[] {
    return this.units.filter((u) => u.phase === 'forward');
  }

  /**
   * Write the optimiser's scalars of step t (≥ 1) for the next updating step (float64 on the host, then float32).
   * @throws Error if the program was built without an optimiser; RangeError if t < 1.
   */
  writeHyper(spec: OptimizerSpec, t: number): void {
    if (!this.hyper) throw new Error('writeHyper: the network was loaded without an optimiser');
    const { stepSize, sqrtCorrection2 } = stepScalars(spec, t);
    const f = Float32Array.of(stepSize, sqrtCorrection2, spec.momentum, spec.beta1, 1 - spec.beta1, spec.beta2, 1 - spec.beta2,
      spec.eps, spec.weightDecay);
    this.rec.writeParam(this.hyper, [...new Uint32Array(f.buffer)]);
  }

  /** Clear the optimiser's state (new weights start a new optimisation), and forget earlier updates. */
  resetOptimizer(): void {
    this.updated = false;
    for (const kind of ['optW1', 'optb1', 'optW2', 'optb2'] as const) {
      for (const page of this.pages[kind]) {
        const encoder = this.device.createCommandEncoder();
        encoder.clearBuffer(page);
        this.device.queue.submit([encoder.finish()]);
      }
    }
  }

  /**
   * Upload the batch (x, targets, labels) of a problem of this program's shape.
   * @throws RangeError if X, Y or labels are larger than their slots.
   */
  loadBatch(batch: Batch): void {
    const write = (kind: KindName, index: number, data: Float32Array<ArrayBuffer> | Uint32Array<ArrayBuffer>) => {
      const r = this.region(kind, index);
      if (data.length > r.elements) throw new RangeError(`${kind}: ${data.length} values for a slot of ${r.elements} elements`);
      this.device.queue.writeBuffer(r.buffer, r.offset, data);
    };
    const a0 = activationSlot(this.plan, 0);
    write(a0.kind, a0.index, batch.X);
    write('y', 0, batch.Y);
    write('labels', 0, batch.labels);
  }

  /**
   * Replace x, the targets and the labels with another batch of the same m (training: the next minibatch;
   * evaluation: x of examples to predict).
   * @throws RangeError if the batch does not match the slots.
   */
  setBatch(batch: Batch): void {
    this.loadBatch(batch);
  }

  /** Write W^[l] (host-drawn values). @throws RangeError on a size mismatch. */
  writeWeights(l: number, W: Float32Array<ArrayBuffer>): void {
    const r = this.region('W', l - 1);
    if (W.length !== r.elements) throw new RangeError(`W^[${l}]: ${W.length} values for ${r.elements} elements`);
    this.device.queue.writeBuffer(r.buffer, r.offset, W);
  }

  /** Per layer: the dispatches that fill b^[l] and W^[l] from their own parameter slots (made on first use). */
  private initOps: { b: Dispatch; W: Dispatch; bSlot: ParamSlot; WSlot: ParamSlot }[] | null = null;

  /**
   * The device work that draws the weights of a spec: per layer, W^[l] by shaders/init.wgsl from the Philox
   * stream (seed, l, WEIGHTS) unless `host(l)` (that layer's W is written from the host), and b^[l] = bias (or, with
   * biasStd > 0, bias + biasStd·n from the stream (seed, l, BIASES)).
   * The dispatches are made once per program; each call rewrites their parameter slots.
   */
  async initUnits(spec: WeightSpec, host: (l: number) => boolean): Promise<Unit[]> {
    const n = this.shape.widths, L = n.length - 1;
    if (!this.initOps) {
      const ops = [];
      for (let l = 1; l <= L; l++) {
        const [bSlot, WSlot] = [this.rec.ownParam(), this.rec.ownParam()];
        const [b, W] = await Promise.all([
          this.rec.dispatch(kernels.init(), `init b^[${l}]`, [this.bind('b', l - 1), bSlot], ceilDiv(n[l], WORKGROUP.init)),
          this.rec.dispatch(kernels.init(), `init W^[${l}]`, [this.bind('W', l - 1), WSlot], ceilDiv(n[l] * n[l - 1], WORKGROUP.init)),
        ]);
        ops.push({ b, W, bSlot, WSlot });
      }
      this.initOps = ops;
    }
    const units: Unit[] = [];
    for (let l = 1; l <= L; l++) {
      const op = this.initOps[l - 1];
      const biasStd = spec.biasStd ?? 0;
      this.rec.writeParam(op.bSlot, initParamWords(biasStd === 0
        ? { count: n[l], seed: 0, layer: l, purpose: PURPOSE.WEIGHTS, first: 0, kind: 'constant', a: spec.bias }
        : { count: n[l], seed: spec.seed, layer: l, purpose: PURPOSE.BIASES, first: 0, kind: 'normal', a: spec.bias, b: biasStd }));
      const dispatches = [op.b];
      const d = layerDraw(spec.init, n[l], n[l - 1], spec.options);
      if (!host(l) && d.kind !== 'orthogonal') {
        this.rec.writeParam(op.WSlot, initParamWords({
          count: n[l] * n[l - 1], seed: spec.seed, layer: l, purpose: PURPOSE.WEIGHTS, first: 0, kind: d.kind, a: d.a,
          b: 'b' in d ? d.b : 0, rows: n[l], cols: n[l - 1],
        }));
        dispatches.push(op.W);
      }
      units.push({ phase: 'init', layer: l, dispatches });
    }
    return units;
  }

  /**
   * The first encoder of a step: the extended range's per-layer scales start from 0 (their atomic maxima from
   * "no value"); the globals (the bias exponent) stay.
   */
  startStep(encoder: GPUCommandEncoder): void {
    if (this.scales) encoder.clearBuffer(this.scales, SCALES_GLOBAL_BYTES);
    this.readback!.clear(encoder);
  }

  /** The extended range: the exponent of the bias (written with the weights). */
  writeBiasExponent(bias: number): void {
    if (!this.scales) return;
    const b = Math.abs(Math.fround(bias));
    // No bias: an exponent below every scale, so the forward matmul's t = max(S_a, e_b) is S_a.
    const e = b === 0 ? -1_000_000 : Math.floor(Math.log2(b));
    this.device.queue.writeBuffer(this.scales, 0, Int32Array.of(e));
  }

  /** The unit that reduces W's statistics (after the weights are drawn, before the next step reads them back). */
  async weightStatsUnit(): Promise<Unit> {
    return { phase: 'init', layer: this.plan.L, dispatches: await this.weightStats! };
  }

  /** Copy the statistics results (and the scales) into the readback buffer (the last encoder of a step). */
  copyResults(encoder: GPUCommandEncoder): void {
    this.readback!.copy(encoder);
  }

  /**
   * Read back and decode the results (after the submit of copyResults): one Moments per tensor, resultIndex order,
   * the scales (extended range) as scale exponents per tensor (0 in the float32 range), and with histograms their
   * counters (HIST_WORDS per result, resultIndex order) and the unit counters (dead, saturated of layer l at 2(l−1)).
   */
  async readResults(): Promise<{ moments: Moments[]; scales: number[]; hist: Uint32Array | null; units: Uint32Array | null }> {
    const { moments, extra, hist, units } = await this.readback!.read();
    const L = this.plan.L;
    const scales = new Array<number>(moments.length).fill(0);
    if (extra) {
      const at = (l: number, field: number) => extra[SCALES_GLOBAL_BYTES / 4 + SCALES_RECORD * l + field];
      for (let l = 1; l <= L; l++) {
        scales[resultIndex('z', l)] = at(l, 2);
        scales[resultIndex('a', l)] = at(l, 3);
        scales[resultIndex('dA', l)] = at(l, 4);
        scales[resultIndex('dZ', l)] = at(l, 6);
        scales[resultIndex('dW', l)] = at(l, 6) + at(l - 1, 3);
      }
      scales[6 * L] = extra[1];
    }
    return { moments, scales, hist, units };
  }

  /**
   * Every tensor of the last step as float32, read back (tests and exports). Needs the program built with keepAll
   * (every slot is its layer's).
   * @throws Error without keepAll.
   */
  async readTensors(): Promise<Tensors> {
    const { L, s, R } = this.plan;
    if (s < L || R <= L) throw new Error('readTensors needs a network loaded with keepAll (every tensor kept)');
    const n = this.shape.widths, m = this.shape.m;
    const read = this.reader();
    const layers = Array.from({ length: L }, (_, i) => i + 1);
    const [W, z, a, dA, dZ, dW, db, loss] = await Promise.all([
      Promise.all(layers.map((l) => read('W', l - 1, n[l] * n[l - 1]))),
      Promise.all(layers.map((l) => read('z', zSlot(this.plan, l), n[l] * m))),
      Promise.all([0, ...layers].map((l) => { const x = activationSlot(this.plan, l); return read(x.kind, x.index, n[l] * m); })),
      Promise.all(layers.map((l) => read('dA', ringSlot(this.plan, l), n[l] * m))),
      Promise.all(layers.map((l) => read('dZ', ringSlot(this.plan, l), n[l] * m))),
      Promise.all(layers.map((l) => read('dW', ringSlot(this.plan, l), n[l] * n[l - 1]))),
      Promise.all(layers.map((l) => read('db', ringSlot(this.plan, l), n[l]))),
      read('loss', 0, m),
    ]);
    return { W, z, a, dA, dZ, dW, db, lossPerExample: loss };
  }

  /**
   * A reader of slots: each page it touches is copied and read back once (float32 values of the slot, `elements` long).
   */
  reader(): (kind: KindName, index: number, elements: number) => Promise<Float32Array> {
    const cache = new Map<GPUBuffer, Promise<Float32Array>>();
    const readPage = (buffer: GPUBuffer): Promise<Float32Array> => {
      let p = cache.get(buffer);
      if (!p) {
        p = (async () => {
          const staging = this.device.createBuffer({ size: buffer.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
          try {
            const encoder = this.device.createCommandEncoder();
            encoder.copyBufferToBuffer(buffer, 0, staging, 0, buffer.size);
            this.device.queue.submit([encoder.finish()]);
            await staging.mapAsync(GPUMapMode.READ);
            return new Float32Array(staging.getMappedRange().slice(0));
          } finally {
            staging.destroy();
          }
        })();
        cache.set(buffer, p);
      }
      return p;
    };
    return async (kind, index, elements) => {
      const r = this.region(kind, index);
      return (await readPage(r.buffer)).slice(r.offset / 4, r.offset / 4 + elements);
    };
  }

  /** ŷ = a^[L] of the last forward pass, row-major (n^[L], m), read back. */
  readOutput(): Promise<Float32Array> {
    const n = this.shape.widths;
    return this.reader()('out', 0, n[n.length - 1] * this.shape.m);
  }

  /** W^[l] row-major (n^[l], n^[l-1]) and b^[l] (n^[l]) of every layer, index l-1, read back. */
  async readWeights(): Promise<{ W: Float32Array[]; b: Float32Array[] }> {
    const n = this.shape.widths, read = this.reader();
    const layers = Array.from({ length: n.length - 1 }, (_, i) => i + 1);
    const [W, b] = await Promise.all([
      Promise.all(layers.map((l) => read('W', l - 1, n[l] * n[l - 1]))),
      Promise.all(layers.map((l) => read('b', l - 1, n[l]))),
    ]);
    return { W, b };
  }

  /** Release every buffer of the program; it is unusable afterwards. */
  destroy(): void {
    this.rec.destroy();
  }
}

/**
 * The peer bench: gradscope against TensorFlow.js and jax-js on the same WebGPU adapter in the same run, the same
 * code in Node (Dawn) and in a browser (bench/browser/). Measures the adapter's ceiling (peers/ceiling.ts), products
 * at a few shapes and whole steps of four networks (peers/nets.ts); every result is checked against the float64
 * reference (backends/cpu) before it is timed, and timings are interleaved (peers/measure.ts).
 */
import { CpuBackend } from '../../src/backends/cpu/cpu-backend';
import { matmul as referenceMatmul } from '../../src/backends/cpu/ops';
import { kernelName, MATMUL_CANDIDATES, shapeClass } from '../../src/backends/webgpu/kernel-choice';
import { WebGpuBackend } from '../../src/backends/webgpu/webgpu-backend';
import { createRng } from '../../src/model/rng';
import { runStep } from '../../src/session/run';
import { measureCeiling, type Ceiling } from './ceiling';
import { dispatchesPerLayer, gradscopeMatmul, gradscopeStep, statisticsShare } from './gradscope';
import { createJax } from './jax';
import { errorText, interleave, relativeError, summarize, yieldToEventLoop, type Outcome, type Rounds, type Sample, type Timed } from './measure';
import { BENCH_NETS, describeNet, netConfig, netData, stepFlops, type BenchNet } from './nets';
import type { MatmulRun, Peer, StepRun } from './peer';
import { createTfjs } from './tfjs';

export interface PeerBenchOptions {
  /**
   * Every shape and network of issue 7 (6 products, 4 networks, 3–7 rounds), not only the default's three products
   * and two networks (3–5 rounds): tens of minutes on a software adapter.
   */
  full: boolean;
  /** Exactly this many interleaved rounds per comparison (instead of the default's or --full's range). */
  rounds?: number;
  /** Time every kernel of MATMUL_CANDIDATES in the interleaved rounds, not only the chooser's pick. */
  allKernels?: boolean;
  /** Where progress lines go. */
  log: (line: string) => void;
  /** Run only these sections (all by default). */
  sections?: readonly Section[];
  /** Only these products (instead of the default's or --full's). */
  shapes?: readonly Shape[];
  /** Only these networks, by name (BENCH_NETS). */
  nets?: readonly string[];
}

export type Section = 'ceiling' | 'matmul' | 'step';
export const SECTIONS: readonly Section[] = ['ceiling', 'matmul', 'step'];

/** A product C = A·B: A (M, K), B (K, N). */
export interface Shape { M: number; K: number; N: number }

export const MATMUL_SHAPES: readonly Shape[] = [
  { M: 128, K: 64, N: 128 }, { M: 128, K: 128, N: 128 }, { M: 512, K: 512, N: 512 }, { M: 1024, K: 1024, N: 1024 },
  { M: 127, K: 513, N: 257 }, { M: 1, K: 4096, N: 4096 },
];
/** The default's products: the three (a relu-he layer, 512³, 1024³). */
export const DEFAULT_SHAPES: readonly Shape[] = [MATMUL_SHAPES[0], MATMUL_SHAPES[2], MATMUL_SHAPES[3]];
/** The default's networks: relu-he and seed-explode. */
export const DEFAULT_NETS = BENCH_NETS.slice(0, 2);

/**
 * Rounds per comparison: 5 (--full: 7), or fewer (at least 3) once a comparison has taken 20 s (--full: a minute) —
 * a round of 1024³ products or of the wide network's step takes seconds on a software adapter.
 */
const DEFAULT_ROUNDS: Rounds = { min: 3, max: 5, budgetMs: 20_000 };
const FULL_ROUNDS: Rounds = { min: 3, max: 7, budgetMs: 60_000 };

/** The rounds of a run: --rounds n exactly, else the default's or --full's range. @throws RangeError for n < 1. */
export function roundsFor(full: boolean, rounds?: number): Rounds {
  if (rounds === undefined) return full ? FULL_ROUNDS : DEFAULT_ROUNDS;
  if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`rounds: ${rounds} is not a whole number ≥ 1`);
  return { min: rounds, max: rounds, budgetMs: 0 };
}

/** Relative error to float64 above which a product (‖ΔC‖/‖C‖) or a step (|ΔJ|/|J|) does not count. */
export const MATMUL_TOLERANCE = 1e-4;
export const LOSS_TOLERANCE = 1e-4;

/** One contender's row of a comparison. */
export interface ContenderResult {
  name: string;
  /** gradscope's kernel that the chooser picked for this shape (products), or its step. */
  ours: boolean;
  outcome: Outcome;
}

export interface MatmulResult {
  shape: Shape;
  /** 2·M·N·K. */
  flops: number;
  /** Products per timed call (the same for every contender of the shape). */
  perCall: number;
  /** The kernel gradscope's chooser picked for this shape (op forward). */
  chosen: string;
  /**
   * The chooser's own measurement of every candidate (milliseconds per product, best of two, not interleaved with
   * the peers), and the candidates it rejected (error to float64 above 1e-4).
   */
  chooser: { timings: { kernel: string; ms: number }[]; rejected: { kernel: string; error: number }[] } | null;
  contenders: ContenderResult[];
}

export interface StepRow {
  net: string;
  description: string;
  depth: number;
  /** Floating-point operations of the step's products (nets.ts stepFlops). */
  flops: number;
  /** J of the float64 CPU reference. */
  referenceLoss: number;
  contenders: ContenderResult[];
  /** gradscope's dispatches per step / L. */
  dispatchesPerLayer: number | null;
  /** The statistics' share of gradscope's step (1 − time without / time with), or why not measured. */
  statisticsShare: Sample | { error: string };
}

export interface PeerInfo {
  name: string;
  label: string;
  adapter: string | null;
  stepIs: string | null;
  /** Why the peer could not start here, if it could not. */
  error: string | null;
}

export interface PeerBenchResult {
  date: string;
  face: 'node' | 'browser';
  userAgent: string;
  adapter: string;
  peers: PeerInfo[];
  full: boolean;
  rounds: Rounds;
  ceiling: Ceiling | { error: string } | null;
  matmul: MatmulResult[];
  steps: StepRow[];
}

/** A GPU that asks for the high-performance adapter, as tfjs and jax-js do, so that all three get the same one. */
function highPerformance(gpu: GPU): GPU {
  return {
    requestAdapter: (options?: GPURequestAdapterOptions) => gpu.requestAdapter({ powerPreference: 'high-performance', ...options }),
    getPreferredCanvasFormat: () => gpu.getPreferredCanvasFormat(),
    get wgslLanguageFeatures() { return gpu.wgslLanguageFeatures; },
  } as GPU;
}

/** Uniform values in [−1, 1), rounded to float32, from a seeded stream. */
function randomMatrix(count: number, stream: string): Float32Array<ArrayBuffer> {
  const rng = createRng(7, stream);
  return Float32Array.from({ length: count }, () => 2 * rng.uniform() - 1);
}

/** "512x512x512" or "128×64×128" as a Shape. @throws RangeError for anything else. */
export function parseShape(text: string): Shape {
  const dims = text.trim().split(/[x×]/).map(Number);
  if (dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d >= 1)) throw new RangeError(`shape "${text}": expected MxKxN, e.g. 512x512x512`);
  const [M, K, N] = dims;
  return { M, K, N };
}

/** The networks of a run: these names, or the default's or --full's. @throws RangeError for an unknown name. */
export function netsFor(full: boolean, names?: readonly string[]): readonly BenchNet[] {
  if (!names) return full ? BENCH_NETS : DEFAULT_NETS;
  return names.map((name) => {
    const net = BENCH_NETS.find((n) => n.name === name.trim());
    if (!net) throw new RangeError(`network "${name}" is not one of ${BENCH_NETS.map((n) => n.name).join(', ')}`);
    return net;
  });
}

/**
 * Run the peer bench on `gpu` (navigator.gpu, or Dawn's GPU with navigator.gpu set to it: the peers look there).
 */
export async function runPeerBench(gpu: GPU, face: 'node' | 'browser', opts: PeerBenchOptions): Promise<PeerBenchResult> {
  const { full } = opts;
  const t0 = performance.now();
  const log = (line: string) => opts.log(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  const sections = new Set(opts.sections ?? SECTIONS);
  const rounds = roundsFor(full, opts.rounds);
  const targetMs = full ? 100 : 50;
  const backend = await WebGpuBackend.create(highPerformance(gpu));
  const result: PeerBenchResult = {
    date: new Date().toISOString(), face, userAgent: globalThis.navigator?.userAgent ?? `Node.js ${globalThis.process?.version}`,
    adapter: backend.adapter, peers: [], full, rounds, ceiling: null, matmul: [], steps: [],
  };
  const peers: Peer[] = [];
  for (const [name, create] of [['tfjs', createTfjs], ['jax-js', createJax]] as const) {
    try {
      const peer = await create();
      peers.push(peer);
      result.peers.push({ name, label: peer.label, adapter: peer.adapter, stepIs: peer.stepIs, error: null });
      log(`${peer.label}: adapter ${peer.adapter}`);
    } catch (e) {
      result.peers.push({ name, label: name, adapter: null, stepIs: null, error: errorText(e) });
      log(`${name}: cannot run here: ${errorText(e)}`);
    }
  }
  try {
    if (sections.has('ceiling')) {
      log('ceiling: multiply-adds, barriers, empty dispatches');
      try {
        result.ceiling = await measureCeiling(backend.device, rounds.max, 2 * targetMs);
      } catch (e) {
        result.ceiling = { error: errorText(e) };
      }
    }
    if (sections.has('matmul')) {
      for (const shape of opts.shapes ?? (full ? MATMUL_SHAPES : DEFAULT_SHAPES)) {
        log(`matmul ${shape.M}×${shape.K}×${shape.N}`);
        result.matmul.push(await compareMatmul(backend, peers, shape, { allKernels: !!opts.allKernels, rounds, targetMs, log }));
        await yieldToEventLoop();
      }
    }
    if (sections.has('step')) {
      for (const net of netsFor(full, opts.nets)) {
        log(`step ${net.name}`);
        result.steps.push(await compareStep(backend, peers, net, rounds, log));
        await yieldToEventLoop();
      }
    }
  } finally {
    for (const p of peers) p.destroy();
    backend.destroy();
  }
  return result;
}

/** A contender set up for a comparison: its run, or the outcome that says why it is not timed. */
type Prepared<R> = { name: string; ours: boolean; run: R | null; outcome: Outcome | null; error: number };

async function compareMatmul(backend: WebGpuBackend, peers: readonly Peer[], shape: Shape,
  o: { allKernels: boolean; rounds: Rounds; targetMs: number; log: (line: string) => void }): Promise<MatmulResult> {
  const { M, K, N } = shape;
  const A = randomMatrix(M * K, `bench A ${M}x${K}`), B = randomMatrix(K * N, `bench B ${K}x${N}`);
  const ref = referenceMatmul(A, B, M, N, K, false, false);
  const chosen = await backend.chooser.choose('forward', M, N, K);
  const choice = backend.chooser.choices.get(shapeClass('forward', M, N, K));
  o.log(`  gradscope's chooser: ${kernelName(chosen)}`);
  const kernels = o.allKernels ? MATMUL_CANDIDATES : [chosen];
  const setups: { name: string; ours: boolean; make: () => Promise<MatmulRun> }[] = [
    ...kernels.map((k) => ({
      name: `gradscope ${kernelName(k)}`, ours: kernelName(k) === kernelName(chosen), make: () => gradscopeMatmul(backend, k, A, B, M, K, N),
    })),
    ...peers.map((p) => ({ name: p.name, ours: false, make: () => p.matmul(A, B, M, K, N) })),
  ];
  // Set up, check against float64, warm up.
  const prepared: Prepared<MatmulRun>[] = [];
  for (const s of setups) {
    let run: MatmulRun | null = null;
    try {
      run = await s.make();
      const error = relativeError(await run.read(), ref);
      if (!(error <= MATMUL_TOLERANCE)) {
        prepared.push({ ...s, run: null, error, outcome: { status: 'mismatch', error, reason: `‖ΔC‖/‖C‖ = ${error.toExponential(1)} > ${MATMUL_TOLERANCE}` } });
        run.dispose();
        continue;
      }
      o.log(`  ${s.name}: ‖ΔC‖/‖C‖ = ${error.toExponential(1)}`);
      prepared.push({ ...s, run, error, outcome: null });
    } catch (e) {
      run?.dispose();
      o.log(`  ${s.name}: ${errorText(e)}`);
      prepared.push({ ...s, run: null, error: NaN, outcome: { status: 'failed', reason: errorText(e) } });
    }
  }
  // Products per timed call: doubled until our chosen kernel's call takes targetMs (at most 1024). The check above
  // (read: one product and its read-back) was every contender's warm-up.
  const ours = prepared.find((p) => p.ours && p.run) ?? prepared.find((p) => p.run);
  let perCall = 1;
  if (ours?.run) {
    for (; perCall < 1024; perCall *= 2) {
      const t0 = performance.now();
      await ours.run.run(perCall);
      if (performance.now() - t0 >= o.targetMs) break;
    }
  }
  const timed = prepared.filter((p) => p.run);
  if (perCall > 1) for (const p of timed) await p.run!.run(perCall); // every contender warm at this size (read() warmed one)
  const times = await interleave(timed.map((p): Timed => ({ name: p.name, once: () => p.run!.run(perCall) })), o.rounds, perCall);
  for (const p of prepared) p.run?.dispose();
  return {
    shape, flops: 2 * M * N * K, perCall, chosen: kernelName(chosen),
    chooser: choice ? { timings: choice.timings, rejected: choice.rejected } : null,
    contenders: prepared.map((p) => ({ name: p.name, ours: p.ours, outcome: p.outcome ?? timedOutcome(times.get(p.name)!, p.error) })),
  };
}

function timedOutcome(t: { ms: number[]; error?: string }, error: number): Outcome {
  if (t.error !== undefined) return { status: 'failed', reason: t.error };
  return { status: 'timed', ms: summarize(t.ms), error };
}

async function compareStep(backend: WebGpuBackend, peers: readonly Peer[], net: (typeof BENCH_NETS)[number], rounds: Rounds,
  log: (line: string) => void): Promise<StepRow> {
  const cfg = netConfig(net);
  const reference = (await runStep(cfg, new CpuBackend())).loss;
  const data = netData(cfg);
  const lossOutcome = (J: number): Outcome | null => {
    const error = Math.abs(J - reference) / Math.abs(reference);
    return error <= LOSS_TOLERANCE ? null : { status: 'mismatch', error, reason: `J = ${J.toPrecision(7)}, float64 ${reference.toPrecision(7)}` };
  };
  const prepared: Prepared<StepRun>[] = [];
  const prepare = async (name: string, ours: boolean, make: () => Promise<StepRun>) => {
    let run: StepRun | null = null;
    const t0 = performance.now();
    try {
      run = await make();
      const J = await run.run(); // warm-up (compiles), and the loss to check
      const mismatch = lossOutcome(J);
      if (mismatch) {
        run.dispose();
        run = null;
      }
      prepared.push({ name, ours, run, outcome: mismatch, error: Math.abs(J - reference) / Math.abs(reference) });
      log(`  ${name}: first step ${(performance.now() - t0).toFixed(0)} ms, J = ${J}`);
    } catch (e) {
      run?.dispose();
      prepared.push({ name, ours, run: null, error: NaN, outcome: { status: 'failed', reason: errorText(e) } });
      log(`  ${name}: ${errorText(e)}`);
    }
  };
  await prepare('gradscope', true, () => gradscopeStep(backend, cfg));
  for (const p of peers) await prepare(p.name, false, () => p.step(data));
  const timed = prepared.filter((p) => p.run);
  const times = await interleave(timed.map((p): Timed => ({ name: p.name, once: async () => { await p.run!.run(); } })), rounds);
  for (const p of prepared) p.run?.dispose();
  let share: StepRow['statisticsShare'] = { error: 'gradscope did not run this network' };
  let perLayer: number | null = null;
  if (prepared[0].outcome?.status !== 'failed') { // the engine holds this network
    try {
      perLayer = dispatchesPerLayer(backend);
      share = (await statisticsShare(backend, rounds.max)).share;
    } catch (e) {
      share = { error: errorText(e) };
    }
  }
  return {
    net: net.name, description: describeNet(cfg), depth: cfg.depth, flops: stepFlops(data.widths, data.m), referenceLoss: reference,
    contenders: prepared.map((p) => ({ name: p.name, ours: p.ours, outcome: p.outcome ?? timedOutcome(times.get(p.name)!, p.error) })),
    dispatchesPerLayer: perLayer, statisticsShare: share,
  };
}

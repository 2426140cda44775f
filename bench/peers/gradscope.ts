/**
 * gradscope as a contender: a product with one of its matmul kernels (MATMUL_CANDIDATES, as the kernel chooser
 * verifies and times them: the unfused forward variant z = W a + b, here with b = 0), and a whole step of the engine
 * (WebGpuBackend.step: forward, loss, backward and the statistics of every tensor, read back). Plus what only
 * the engine has: its dispatches per layer and the statistics' share of a step.
 */
import type { RunConfig } from '../../src/model/config';
import { kernelName, productGroups, productVariant, type MatmulKernel } from '../../src/backends/webgpu/kernel-choice';
import { encodeDispatches, Recorder, type Dispatch } from '../../src/backends/webgpu/recorder';
import type { WebGpuBackend } from '../../src/backends/webgpu/webgpu-backend';
import { runStep } from '../../src/session/run';
import { summarize, type Sample } from './measure';
import type { MatmulRun, StepRun } from './peer';

/** Encode `dispatches` into one pass, submit, and wait for the device. */
async function submitAndWait(device: GPUDevice, dispatches: Iterable<Dispatch>): Promise<void> {
  const encoder = device.createCommandEncoder({ label: 'bench' });
  const pass = encoder.beginComputePass();
  encodeDispatches(pass, dispatches);
  pass.end();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
}

/** C = A·B with one kernel of the engine: k dispatches in one pass per run. */
export async function gradscopeMatmul(backend: WebGpuBackend, kernel: MatmulKernel, A: Float32Array<ArrayBuffer>, B: Float32Array<ArrayBuffer>,
  M: number, K: number, N: number): Promise<MatmulRun> {
  const device = backend.device;
  const rec = new Recorder(device, backend.cache);
  try {
    const upload = (data: Float32Array<ArrayBuffer>) => {
      const buffer = rec.buffer('bench matmul input', data.byteLength);
      device.queue.writeBuffer(buffer, 0, data);
      return buffer;
    };
    const [bufA, bufB, bias] = [upload(A), upload(B), upload(new Float32Array(M))];
    const bufC = rec.buffer('bench matmul output', M * N * 4);
    const readback = rec.buffer('bench matmul readback', M * N * 4, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    // The parameter words of the chooser's measurement: {M, N, K, layer} (tiled), plus five element offsets (registers).
    const params = kernel.kind === 'tiled' ? rec.param([M, N, K, 0]) : rec.param([M, N, K, 0, 0, 0, 0, 0, 0]);
    const whole = (buffer: GPUBuffer) => ({ buffer, offset: 0, size: buffer.size });
    const d = await rec.dispatch(productVariant(kernel, 'forward'), `bench ${kernelName(kernel)}`,
      [whole(bufA), whole(bufB), whole(bufC), params, whole(bias)], productGroups(kernel, M, N));
    return {
      run: (k) => submitAndWait(device, Array<Dispatch>(k).fill(d)),
      async read() {
        await submitAndWait(device, [d]);
        const encoder = device.createCommandEncoder();
        encoder.copyBufferToBuffer(bufC, 0, readback, 0, M * N * 4);
        device.queue.submit([encoder.finish()]);
        await readback.mapAsync(GPUMapMode.READ);
        const got = new Float32Array(readback.getMappedRange().slice(0));
        readback.unmap();
        return got;
      },
      dispose: () => rec.destroy(),
    };
  } catch (e) {
    rec.destroy();
    throw e;
  }
}

/**
 * The engine's step of a network: built and its weights drawn once (runStep), then each run is WebGpuBackend.step —
 * what runStep times as stepMs: submit to statistics read back.
 */
export async function gradscopeStep(backend: WebGpuBackend, cfg: RunConfig): Promise<StepRun & { firstLoss: number }> {
  const first = await runStep(cfg, backend);
  return {
    firstLoss: first.loss,
    run: async () => (await backend.step()).loss,
    dispose() {},
  };
}

/** Dispatches of one step of the loaded network, per layer. */
export function dispatchesPerLayer(backend: WebGpuBackend): number {
  const program = backend.loaded;
  if (!program) throw new Error('dispatchesPerLayer: no network loaded');
  return program.dispatchesPerStep / (program.shape.widths.length - 1);
}

/**
 * The statistics' share of a step of the loaded network: every dispatch of the program's units in one pass, against
 * the same without the dispatches labelled "stats …" (interleaved, `rounds` pairs). Share of a round =
 * 1 − without/with. One submit per step here (the engine submits in chunks of ~100 ms, for progress and cancel).
 */
export async function statisticsShare(backend: WebGpuBackend, rounds: number): Promise<{ share: Sample; withMs: Sample; withoutMs: Sample; statsDispatches: number }> {
  const program = backend.loaded;
  if (!program) throw new Error('statisticsShare: no network loaded');
  const all = program.units.flatMap((u) => u.dispatches);
  const compute = all.filter((d) => !d.label.startsWith('stats'));
  const time = async (ds: Dispatch[]) => {
    const t0 = performance.now();
    await submitAndWait(backend.device, ds);
    return performance.now() - t0;
  };
  await time(all); // warm
  await time(compute);
  const withMs: number[] = [], withoutMs: number[] = [], share: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const a = await time(all), b = await time(compute);
    withMs.push(a);
    withoutMs.push(b);
    share.push(1 - b / a);
  }
  return { share: summarize(share), withMs: summarize(withMs), withoutMs: summarize(withoutMs), statsDispatches: all.length - compute.length };
}

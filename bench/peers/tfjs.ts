/**
 * TensorFlow.js (`@tensorflow/tfjs` with `@tensorflow/tfjs-backend-webgpu`) as a peer: tf.matMul for products,
 * tf.variableGrads of the network for a step. Its WebGPU backend takes navigator.gpu (in Node: Dawn's GPU, see
 * peers/node-navigator.ts), asking for the high-performance adapter as gradscope's bench does.
 *
 * Every op stays on the GPU (WEBGPU_CPU_FORWARD off: by default tfjs runs ops on small inputs on the CPU). tfjs
 * batches dispatches into deferred submits; "done" is: end its pass, submit its queue, queue.onSubmittedWorkDone().
 */
import type * as TF from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { adapterName, devVersion, type MatmulRun, type Peer, type StepRun } from './peer';
import type { NetData } from './nets';

export async function createTfjs(): Promise<Peer> {
  if (!globalThis.navigator?.gpu) throw new Error('navigator.gpu is missing (tfjs-backend-webgpu registers only where it exists)');
  const tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-webgpu'); // registers the 'webgpu' backend
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") failed');
  await tf.ready();
  const backend = tf.backend() as WebGPUBackend;
  // The device's adapter info where WebGPU has it (tfjs keeps only vendor and architecture of it).
  const info = (backend.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo
    ?? (backend as unknown as { adapterInfo?: Partial<GPUAdapterInfo> }).adapterInfo;
  const version = await devVersion('@tensorflow/tfjs');

  /** Submit everything tfjs has encoded and wait for the device. */
  const done = async () => {
    backend.ensureCommandEncoderReady();
    backend.endComputePassEncoder();
    backend.submitQueue();
    await backend.device.queue.onSubmittedWorkDone();
  };

  return {
    name: 'tfjs',
    label: `@tensorflow/tfjs ${version} (webgpu)`,
    adapter: adapterName(info),
    stepIs: 'tf.variableGrads: forward, loss, backward',
    async matmul(A, B, M, K, N): Promise<MatmulRun> {
      const a = tf.tensor2d(A, [M, K]), b = tf.tensor2d(B, [K, N]);
      return {
        async run(k) {
          for (let i = 0; i < k; i++) tf.matMul(a, b).dispose(); // the dispatch is encoded; the buffer is released after the submit
          await done();
        },
        async read() {
          const c = tf.matMul(a, b);
          try {
            return new Float32Array(await c.data());
          } finally {
            c.dispose();
          }
        },
        dispose() { tf.dispose([a, b]); },
      };
    },
    async step(net: NetData): Promise<StepRun> {
      const { widths: n, m } = net, L = n.length - 1;
      const W = net.W.map((w, i) => tf.variable(tf.tensor2d(w, [n[i + 1], n[i]]), true, `W${i + 1}`));
      const b = net.b.map((v, i) => tf.variable(tf.tensor2d(v, [n[i + 1], 1]), true, `b${i + 1}`));
      const X = tf.tensor2d(net.X, [n[0], m]), Y = tf.tensor2d(net.Y, [n[L], m]), onehot = tf.tensor2d(net.onehot, [n[L], m]);
      const g = (z: TF.Tensor2D): TF.Tensor2D => (net.activation === 'relu' ? tf.relu(z) : net.activation === 'tanh' ? tf.tanh(z) : z);
      const J = (): TF.Scalar => {
        let a: TF.Tensor2D = X;
        for (let l = 1; l <= L; l++) {
          const z = tf.add(tf.matMul(W[l - 1], a), b[l - 1]) as TF.Tensor2D;
          a = l < L ? g(z) : z;
        }
        switch (net.loss) {
          case 'sum': return tf.div(tf.sum(a), m);
          case 'mse': return tf.div(tf.sum(tf.squaredDifference(a, Y)), m);
          case 'softmax-xent': return tf.div(tf.sum(tf.sub(tf.logSumExp(a, 0), tf.sum(tf.mul(a, onehot), 0))), m);
        }
      };
      const variables = [...W, ...b];
      return {
        async run() {
          const { value, grads } = tf.tidy(() => tf.variableGrads(J, variables));
          try {
            // The read back of J is submitted after every gradient's dispatches, so it completes after them.
            return (await value.data())[0];
          } finally {
            tf.dispose([value, ...Object.values(grads)]);
          }
        },
        dispose() { tf.dispose([...variables, X, Y, onehot]); },
      };
    },
    destroy() {
      tf.disposeVariables();
    },
  };
}

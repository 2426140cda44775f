/**
 * jax-js (`@jax-js/jax`) as a peer: np.matmul for products, jit(valueAndGrad(J)) of the network for a step. Its
 * WebGPU device comes from navigator.gpu (in Node: Dawn's GPU, see peers/node-navigator.ts), the high-performance
 * adapter as gradscope's bench asks for.
 *
 * jax-js is lazy and reference-counted: an array is computed when something waits for it (blockUntilReady,
 * data), and every call consumes its array arguments (`.ref` keeps one). "Done" is blockUntilReady of every output.
 * Waiting on the outputs of a jitted step all at once costs O(outputs × kernels) on the host (each output collects
 * its pending kernels first), so the step waits on dW^[1] first — it depends on nearly every kernel of the step —
 * and then on the rest, whose pending lists are then short.
 */
import type * as Jax from '@jax-js/jax';
import { adapterName, devVersion, type MatmulRun, type Peer, type StepRun } from './peer';
import type { NetData } from './nets';

type Params = { W: Jax.Array[]; b: Jax.Array[] };

export async function createJax(): Promise<Peer> {
  if (!globalThis.navigator?.gpu) throw new Error('navigator.gpu is missing (jax-js looks for WebGPU there)');
  const jax = await import('@jax-js/jax');
  const np = jax.numpy;
  const available = await jax.init('webgpu');
  if (!available.includes('webgpu')) throw new Error(`jax-js: no webgpu device (available: ${available.join(', ')})`);
  jax.defaultDevice('webgpu');
  const device = jax.getWebGPUDevice() as GPUDevice & { adapterInfo?: GPUAdapterInfo };
  const version = await devVersion('@jax-js/jax');
  const matrix = (data: Float32Array, rows: number, cols: number) => np.array(data).reshape([rows, cols]);

  return {
    name: 'jax-js',
    label: `@jax-js/jax ${version} (webgpu)`,
    adapter: adapterName(device.adapterInfo),
    stepIs: 'jit(valueAndGrad(J)): forward, loss, backward',
    async matmul(A, B, M, K, N): Promise<MatmulRun> {
      const a = matrix(A, M, K), b = matrix(B, K, N);
      return {
        async run(k) {
          const outs = Array.from({ length: k }, () => np.matmul(a.ref, b.ref));
          try {
            await jax.blockUntilReady(outs);
          } finally {
            jax.tree.dispose(outs);
          }
        },
        async read() {
          return new Float32Array(await np.matmul(a.ref, b.ref).data());
        },
        dispose() { jax.tree.dispose([a, b]); },
      };
    },
    async step(net: NetData): Promise<StepRun> {
      const { widths: n, m } = net, L = n.length - 1;
      const params: Params = { W: net.W.map((w, i) => matrix(w, n[i + 1], n[i])), b: net.b.map((v, i) => matrix(v, n[i + 1], 1)) };
      const X = matrix(net.X, n[0], m), Y = matrix(net.Y, n[L], m), onehot = matrix(net.onehot, n[L], m);
      const g = (z: Jax.Array): Jax.Array => (net.activation === 'relu' ? jax.nn.relu(z) : net.activation === 'tanh' ? np.tanh(z) : z);
      // Each argument is used once (the rules of jax-js's references), ŷ twice (one .ref).
      const J = (p: Params, x: Jax.Array, y: Jax.Array, oh: Jax.Array): Jax.Array => {
        let a = x;
        for (let l = 1; l <= L; l++) {
          const z = np.matmul(p.W[l - 1], a).add(p.b[l - 1]);
          a = l < L ? g(z) : z;
        }
        let total: Jax.Array;
        switch (net.loss) {
          case 'sum': total = np.sum(a); y.dispose(); oh.dispose(); break;
          case 'mse': total = np.sum(np.square(a.sub(y))); oh.dispose(); break;
          case 'softmax-xent': total = np.sum(jax.nn.logsumexp(a.ref, 0).sub(np.sum(a.mul(oh), 0))); y.dispose(); break;
        }
        return total.div(m);
      };
      const step = jax.jit(jax.valueAndGrad(J));
      return {
        async run() {
          const [value, grads] = step(jax.tree.ref(params), X.ref, Y.ref, onehot.ref);
          try {
            await grads.W[0].blockUntilReady();
            await jax.blockUntilReady(grads);
            return (await value.data())[0];
          } finally {
            jax.tree.dispose(grads);
          }
        },
        dispose() {
          step.dispose();
          jax.tree.dispose([params, X, Y, onehot]);
        },
      };
    },
    destroy() {},
  };
}

/**
 * The digits split once into train and test, and the minibatches of training: both seeded, so a run is repeatable
 * and an exported experiment can replay them.
 */
import { createRng } from '../model/rng';
import type { Batch } from '../model/network';
import type { Digits } from './digits';

/** Examples held out for testing (of 1,797): 360, as scikit-learn's train_test_split(test_size=0.2) gives. */
export const TEST_EXAMPLES = 360;

/** Example indices of each part, ascending within a class block. */
export interface Split {
  train: Uint32Array;
  test: Uint32Array;
}

/**
 * Stratified split: each class keeps its share in both parts. Class c with n_c examples gives
 * ⌊testCount·n_c/N⌋ test examples, and the remaining ones go to the classes with the largest fractional parts
 * (ties: lower class first), so exactly `testCount` are held out. Within a class the test examples are a seeded
 * random choice (Fisher–Yates on stream "split" of the seed).
 * @param labels class of each example, in 0..classes-1
 * @throws RangeError if testCount is not in 0..N.
 */
export function stratifiedSplit(labels: ArrayLike<number>, classes: number, seed: number, testCount = TEST_EXAMPLES): Split {
  const N = labels.length;
  if (!(Number.isInteger(testCount) && testCount >= 0 && testCount <= N)) throw new RangeError(`stratifiedSplit: test count must be in 0..${N}, got ${testCount}`);
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (let e = 0; e < N; e++) byClass[labels[e]].push(e);
  const exact = byClass.map((c) => (testCount * c.length) / N);
  const quota = exact.map(Math.floor);
  const order = exact.map((x, c) => c).sort((a, b) => (exact[b] - quota[b]) - (exact[a] - quota[a]) || a - b);
  for (let k = 0, left = testCount - quota.reduce((a, b) => a + b, 0); k < left; k++) quota[order[k]]++;
  const rng = createRng(seed, 'split');
  const train: number[] = [], test: number[] = [];
  byClass.forEach((members, c) => {
    const shuffled = [...members];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(rng.uniform() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    test.push(...shuffled.slice(0, quota[c]));
    train.push(...shuffled.slice(quota[c]));
  });
  return { train: Uint32Array.from(train.sort((a, b) => a - b)), test: Uint32Array.from(test.sort((a, b) => a - b)) };
}

/**
 * The minibatches of training, as PyTorch's DataLoader(shuffle=True, drop_last=True) draws them: each epoch a new
 * seeded permutation of the training examples (stream "minibatch"), cut into batches of m; the incomplete tail of an
 * epoch is dropped. Batch t (1-based) is the same for every run with the same seed, split and m.
 */
export class Minibatches {
  private order: number[] = [];
  private next = 0;
  private readonly rng;

  /** @throws RangeError if m exceeds the training examples. */
  constructor(private readonly train: ArrayLike<number>, private readonly m: number, seed: number) {
    if (m > train.length) throw new RangeError(`a minibatch of m = ${m} needs at least ${m} training examples, there are ${train.length}`);
    this.rng = createRng(seed, 'minibatch');
  }

  /** The example indices of the next minibatch (m of them). */
  nextIndices(): Uint32Array {
    if (this.next + this.m > this.order.length) {
      this.order = Array.from(this.train);
      for (let i = this.order.length - 1; i > 0; i--) {
        const j = Math.floor(this.rng.uniform() * (i + 1));
        [this.order[i], this.order[j]] = [this.order[j], this.order[i]];
      }
      this.next = 0;
    }
    const batch = Uint32Array.from(this.order.slice(this.next, this.next + this.m));
    this.next += this.m;
    return batch;
  }
}

/**
 * The batch of the given examples: x row-major (64, m), one-hot targets row-major (n^[L], m) (a label ≥ n^[L] gets
 * no 1), labels; m = indices.length.
 */
export function digitsBatch(digits: Digits, indices: ArrayLike<number>, nL: number): Batch {
  const m = indices.length, n0 = digits.features.length / digits.examples;
  const X = new Float32Array(n0 * m), Y = new Float32Array(nL * m), labels = new Uint32Array(m);
  for (let j = 0; j < m; j++) {
    const e = indices[j];
    for (let i = 0; i < n0; i++) X[i * m + j] = digits.features[e * n0 + i];
    labels[j] = digits.labels[e];
    if (labels[j] < nL) Y[labels[j] * m + j] = 1;
  }
  return { X, Y, labels };
}

/**
 * The registry of losses J (averaged over the m examples of a batch): each is defined once here, and every backend
 * maps it with a type that lists every entry, so a loss without its CPU function or WGSL variant does not compile.
 */

export interface LossSpec {
  /** The least output dimension n^[L] the loss is meaningful for (softmax over one class is constant). */
  readonly minOutputs: number;
  /** Whether the loss reads one-hot targets y (mse) or class labels (softmax-xent); sum reads neither. */
  readonly targets: 'none' | 'one-hot' | 'labels';
  /** The formula, for help texts and tooltips. */
  readonly description: string;
}

export const LOSS_SPECS = {
  sum: { minOutputs: 1, targets: 'none', description: 'J = (1/m) Σ_j Σ_i ŷ_ij, dŷ = 1/m' },
  mse: { minOutputs: 1, targets: 'one-hot', description: 'J = (1/m) Σ_j ‖ŷ_j − y_j‖², dŷ = 2(ŷ − y)/m' },
  'softmax-xent': { minOutputs: 2, targets: 'labels', description: 'J = (1/m) Σ_j (log Σ_i e^ŷ_ij − ŷ_label,j), dŷ = (softmax − onehot)/m' },
} as const satisfies Record<string, LossSpec>;

/** Loss J, averaged over the m examples of the batch. */
export type LossName = keyof typeof LOSS_SPECS;
export const LOSSES = Object.keys(LOSS_SPECS) as readonly LossName[];

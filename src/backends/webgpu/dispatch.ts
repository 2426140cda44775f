/**
 * Workgroup counts: ceil division, folded into a second dimension past maxComputeWorkgroupsPerDimension
 * (as onnxruntime's normalizeDispatchGroupSize). Kernels recover the linear index with workgroup_index()
 * in shaders/common.wgsl and return early past the end.
 */
import { LimitError } from '../backend';

/** ceil(a / b) for positive integers. */
export function ceilDiv(a: number, b: number): number {
  return Math.floor((a + b - 1) / b);
}

/**
 * Fold `groups` workgroups into (x, y), x ≤ maxPerDim, x·y ≥ groups, y minimal.
 * @throws LimitError (maxComputeWorkgroupsPerDimension) if even maxPerDim² workgroups are too few.
 */
export function foldWorkgroups(groups: number, maxPerDim: number, what: string): [number, number] {
  if (groups <= maxPerDim) return [Math.max(groups, 1), 1];
  const y = ceilDiv(groups, maxPerDim);
  if (y > maxPerDim) throw new LimitError('maxComputeWorkgroupsPerDimension', y, maxPerDim, `${what} (${groups} workgroups folded into 2 dimensions: the second)`);
  return [ceilDiv(groups, y), y];
}

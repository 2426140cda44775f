/**
 * The registry of activations g: each is defined once here (its name, gain and properties), and every backend
 * maps this registry with a type that lists every entry (`{ [g in Activation]: … }`), so adding an activation
 * without its CPU function or its WGSL variant is a compile error, not a silent fallback.
 */

export interface ActivationSpec {
  /** The recommended gain, torch.nn.init.calculate_gain: identity 1, relu √2 (He et al. 2015, eq. 10), tanh 5/3. */
  readonly gain: number;
  /**
   * Positively homogeneous, g(c·z) = c·g(z) for c > 0: then a power-of-two scale carried with z passes through g
   * exactly (extended range).
   */
  readonly homogeneous: boolean;
  /** One line for help texts and tooltips. */
  readonly description: string;
}

export const ACTIVATION_SPECS = {
  identity: { gain: 1, homogeneous: true, description: 'g(z) = z (a linear network)' },
  relu: { gain: Math.SQRT2, homogeneous: true, description: 'g(z) = max(z, 0); ReLU\'(0) = 0' },
  tanh: { gain: 5 / 3, homogeneous: false, description: 'g(z) = tanh z' },
} as const satisfies Record<string, ActivationSpec>;

/** Activation g of the hidden layers. The output layer is always identity. */
export type Activation = keyof typeof ACTIVATION_SPECS;
export const ACTIVATIONS = Object.keys(ACTIVATION_SPECS) as readonly Activation[];

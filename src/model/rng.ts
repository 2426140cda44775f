/**
 * Seeded random numbers (seedrandom's Alea generator). One named stream per purpose, so that a seed fully
 * determines the weights of each layer and the batch, independently of which backend runs them and of
 * the other layers (growing L leaves the first layers' weights unchanged).
 */
import seedrandom from 'seedrandom';

/** A stream of uniform and normal variates. */
export interface Rng {
  /** Uniform on [0, 1). */
  uniform(): number;
  /** Standard normal N(0, 1), by the Box–Muller transform (Box & Muller 1958, Ann. Math. Stat. 29(2), eq. 1). */
  normal(): number;
}

/**
 * Create the stream named `stream` of seed `seed`.
 * @param seed integer in 0..2^32-1
 * @param stream a purpose, e.g. "W/3" for the weights of layer 3 or "batch"
 */
export function createRng(seed: number, stream: string): Rng {
  const prng = seedrandom.alea(`gradscope/${seed}/${stream}`);
  let spare: number | null = null;
  return {
    uniform: () => prng(),
    normal(): number {
      if (spare !== null) {
        const s = spare;
        spare = null;
        return s;
      }
      const u1 = 1 - prng(); // (0, 1]: log(u1) is finite
      const u2 = prng();
      const r = Math.sqrt(-2 * Math.log(u1));
      spare = r * Math.sin(2 * Math.PI * u2);
      return r * Math.cos(2 * Math.PI * u2);
    },
  };
}

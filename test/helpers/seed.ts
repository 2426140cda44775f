/**
 * The random seed of the tests: fixed (1) so that test names and failures are reproducible, overridden by the
 * environment variable GRADSCOPE_TEST_SEED (an integer in 0..2^32-1) to try other inputs.
 */
const raw = process.env.GRADSCOPE_TEST_SEED;
if (raw !== undefined && !/^\d+$/.test(raw.trim())) throw new Error(`GRADSCOPE_TEST_SEED must be an integer in 0..4294967295, got ${JSON.stringify(raw)}`);

/** The tests' seed (GRADSCOPE_TEST_SEED or 1). */
export const TEST_SEED = raw === undefined ? 1 : Number(raw) % 2 ** 32;
/** "(seed N)", for test names. */
export const SEED_NOTE = `(seed ${TEST_SEED}${raw === undefined ? '' : ' from GRADSCOPE_TEST_SEED'})`;

/** The sample's scored test sets, by the names weights cards and eval reports use for them. */
export const SAMPLE_SETS = [
  { name: 'sample test split', dir: 'data/sample' },
  { name: 'sample CC-BY-SA test pairs', dir: 'data/sample/cc-by-sa' },
] as const;

/** The held-out pairs of `npm run data:train`'s set, as weights cards name them. */
export const HELD_OUT_SET = 'held-out';

import * as fs from 'node:fs';
import * as path from 'node:path';
import { designOf, type NetConfig, type VariantName } from '../model/config';
import { summarize } from '../model/summary';
import { readTrainingState, type TrainingState } from '../train/checkpoint';
import { parseRunName } from './plan';
import { psnrGains, ssimGains, type RunEvaluation } from './results';
import { comparePaired, estimateMean, type PairedComparison, type MeanEstimate } from './stats';

/** Held-out PSNR/SSIM gain of the weights at one step (every `every`-th held-out pair). */
export interface CurvePoint {
  step: number;
  n: number;
  psnrGain: number;
  ssimGain: number | null;
}

/** One ablation run, from its run folder (build/ablation/runs/…) or its shipped weights folder. */
export interface AblationRun {
  name: string;
  variant: VariantName;
  seed: number;
  dir: string;
  config: NetConfig;
  params: number;
  /** Multiply-adds for one 256² image. */
  macs: number;
  steps: number;
  /** Training wall time, all resumed parts together. */
  seconds: number;
  state: TrainingState;
  heldout?: RunEvaluation;
  sample?: RunEvaluation;
  curve?: { every: number; points: CurvePoint[] };
}

const readJson = <T>(file: string): T | undefined => (fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as T) : undefined);

/**
 * Reads a run. Its name (`variant-sSEED`) is the folder's, less a leading `ablation-` (as shipped
 * under weights/); the design is checked against the config it was trained with.
 */
export function loadRun(dir: string): AblationRun {
  const name = path.basename(dir).replace(/^ablation-/, '');
  const { variant, seed } = parseRunName(name);
  const state = readJson<TrainingState>(path.join(dir, 'training.json')) ?? readTrainingState(dir);
  if (!state) throw new Error(`${dir}: no training state (training.json or a checkpoint)`);
  if (designOf(state.config) !== variant) throw new Error(`${dir}: named ${variant} but trained as ${state.config.block}/${state.config.skip}`);
  const s = summarize(state.config);
  const run: AblationRun = { name, variant, seed, dir, config: state.config, params: s.params, macs: s.macs, steps: state.step, seconds: state.seconds, state };
  const heldout = readJson<RunEvaluation>(path.join(dir, 'eval-heldout.json'));
  const sample = readJson<RunEvaluation>(path.join(dir, 'eval-sample.json'));
  const curve = readJson<AblationRun['curve']>(path.join(dir, 'curve.json'));
  return { ...run, ...(heldout ? { heldout } : {}), ...(sample ? { sample } : {}), ...(curve ? { curve } : {}) };
}

/**
 * Every run folder under `root` whose name is a run name (optionally `ablation-` first), in name
 * order; a run still before its first checkpoint has nothing to report yet and is left out.
 */
export function loadRuns(root: string): AblationRun[] {
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .filter((d) => /^(ablation-)?[a-z]+-s\d+$/.test(d) && fs.statSync(path.join(root, d)).isDirectory())
    .filter((d) => fs.existsSync(path.join(root, d, 'training.json')) || readTrainingState(path.join(root, d)) !== undefined)
    .sort()
    .map((d) => loadRun(path.join(root, d)));
}

export interface RunRow {
  run: AblationRun;
  /** Per-image PSNR gain (dB) on the held-out split and on the sample's test split. */
  heldoutPsnr?: MeanEstimate;
  heldoutSsim?: MeanEstimate;
  samplePsnr?: MeanEstimate;
  /** Images of the held-out split the run improved. */
  improved?: number;
}

export function runRow(run: AblationRun): RunRow {
  const row: RunRow = { run };
  if (run.heldout) {
    const g = [...psnrGains(run.heldout).values()];
    row.heldoutPsnr = estimateMean(g);
    row.heldoutSsim = estimateMean([...ssimGains(run.heldout).values()]);
    row.improved = g.filter((x) => x > 0).length;
  }
  if (run.sample) row.samplePsnr = estimateMean([...psnrGains(run.sample).values()]);
  return row;
}

export interface Comparison extends PairedComparison {
  a: string;
  b: string;
  /** What the pair tests: a rung of the paper's ladder, or the same variant at two seeds. */
  kind: 'rung' | 'seed';
}

/** The paper's ladder, each step as (better, worse) in its table 2. */
export const PAPER_LADDER: ReadonlyArray<readonly [VariantName, VariantName]> = [
  ['dffm', 'baseline'],
  ['full', 'dffm'],
  ['full', 'baseline'],
];

/**
 * Paired held-out comparisons: each rung of the ladder at every seed both runs have, and each
 * variant's second seed against its first (the noise floor a rung difference must clear).
 */
export function comparisons(runs: readonly AblationRun[], metric: 'psnr' | 'ssim' = 'psnr'): Comparison[] {
  const gains = metric === 'psnr' ? psnrGains : ssimGains;
  const byName = new Map(runs.filter((r) => r.heldout).map((r) => [r.name, r]));
  const out: Comparison[] = [];
  const seeds = [...new Set(runs.map((r) => r.seed))].sort((x, y) => x - y);
  for (const seed of seeds) {
    for (const [a, b] of PAPER_LADDER) {
      const ra = byName.get(`${a}-s${seed}`);
      const rb = byName.get(`${b}-s${seed}`);
      if (ra && rb) out.push({ a: ra.name, b: rb.name, kind: 'rung', ...comparePaired(gains(ra.heldout!), gains(rb.heldout!)) });
    }
  }
  for (const r of runs) {
    const first = byName.get(`${r.variant}-s${seeds[0]}`);
    if (r.seed !== seeds[0] && first && r.heldout) out.push({ a: r.name, b: first.name, kind: 'seed', ...comparePaired(gains(r.heldout), gains(first.heldout!)) });
  }
  return out;
}

const signed = (x: number, d = 2): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(d)}`;
const ci = (s: MeanEstimate, d = 2): string => `[${signed(s.ci95[0], d)}, ${signed(s.ci95[1], d)}]`;

/** The results table: one row per run. */
export function runsTable(rows: readonly RunRow[]): string {
  const head = '| run | design | params | G MACs (256²) | steps | wall time | held-out PSNR gain, dB: mean ± std (95% CI of mean) | improved | held-out SSIM gain | sample test PSNR gain |';
  const lines = rows.map(({ run, heldoutPsnr: hp, heldoutSsim: hs, samplePsnr: sp, improved }) =>
    [
      run.name,
      `${run.config.block}/${run.config.skip}, C=${run.config.channels}, N=${run.config.blocks}`,
      run.params.toLocaleString('en-US'),
      (run.macs / 1e9).toFixed(2),
      run.steps,
      run.seconds < 120 ? `${run.seconds.toFixed(0)} s` : `${(run.seconds / 60).toFixed(0)} min`,
      hp ? `${signed(hp.mean)} ± ${hp.std.toFixed(2)} ${ci(hp)}` : 'not evaluated yet',
      hp ? `${improved}/${hp.n}` : '–',
      hs ? `${signed(hs.mean, 4)} ± ${hs.std.toFixed(4)}` : '–',
      sp ? `${signed(sp.mean)} ± ${sp.std.toFixed(2)} (n=${sp.n})` : '–',
    ].join(' | '),
  );
  return [head, `|${'---|'.repeat(10)}`, ...lines.map((l) => `| ${l} |`)].join('\n');
}

/** The paired comparisons table. */
export function comparisonsTable(cs: readonly Comparison[]): string {
  const head = '| A − B | what it tests | images | mean difference, dB (95% CI) | A better / B better | sign-flip p |';
  const lines = cs.map((c) => `| ${c.a} − ${c.b} | ${c.kind === 'rung' ? 'paper ladder' : 'seed noise'} | ${c.n} | ${signed(c.mean, 3)} ${ci(c, 3)} | ${c.wins[0]} / ${c.wins[1]} | ${c.p < 0.001 ? '< 0.001' : c.p.toFixed(3)} |`);
  return [head, '|---|---|---|---|---|---|', ...lines].join('\n');
}

/** The order of the runs of one seed by mean held-out PSNR gain, best first. */
export function ranking(runs: readonly AblationRun[], seed: number): string[] {
  return runs
    .filter((r) => r.seed === seed && r.heldout)
    .sort((x, y) => y.heldout!.gain.psnr - x.heldout!.gain.psnr)
    .map((r) => r.name);
}

/** The settings every run shares, in words (from the first run's training state). */
export function describeSetting(runs: readonly AblationRun[]): string {
  const s = runs[0]!.state;
  const held = runs.find((r) => r.heldout)?.heldout;
  return [
    `Trained on ${s.data.description} of \`${s.data.root}\` (${s.data.pairs} pairs), ${s.step} steps of batch ${s.pipeline.batch} × ${s.pipeline.crop}² random crops with flips,`,
    `Adam with a cosine schedule ${s.schedule.kind === 'cosine' ? `${s.schedule.initial} → ${s.schedule.final}` : s.schedule.kind}, loss Σ L1 + ${s.lambda}·FFT-L1 over 3 scales, backend \`${s.backend}\`.`,
    held ? `Held out: ${held.n} pairs of \`${held.dataset.root}\`'s test split, from photos never trained on; scored on ${held.convention}.` : '',
  ].join(' ');
}

/** The whole results section: setting, the runs, the paired comparisons. */
export function ablationReport(runs: readonly AblationRun[]): string {
  if (runs.length === 0) return '_No run evaluated yet._';
  const rows = runs.map(runRow);
  const cs = comparisons(runs);
  const seeds = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b);
  return [
    describeSetting(runs),
    '',
    runsTable(rows),
    '',
    `Order by mean held-out PSNR gain, best first: ${seeds.map((s) => `seed ${s}: ${ranking(runs, s).join(' > ') || '–'}`).join('; ')}.`,
    '',
    'Paired on the same held-out images (A − B of the per-image PSNR gains; 95% bootstrap interval; two-sided sign-flip p):',
    '',
    comparisonsTable(cs),
    '',
    'The paper\'s ladder at the first seed: a rung *holds* when its interval excludes 0 and its difference exceeds the largest difference between two seeds of one design.',
    '',
    ...describeVerdicts(ladderVerdicts(runs, cs)).map((l) => `- ${l}`),
  ].join('\n');
}

export interface RungVerdict {
  better: VariantName;
  worse: VariantName;
  seed: number;
  comparison: Comparison;
  /** Largest |mean difference| between two seeds of one design: what a rung difference must clear. */
  seedNoise?: number;
  /** `holds`: the paper's order, outside both the interval and the seed noise; `reversed`: the opposite; else `unresolved`. */
  verdict: 'holds' | 'reversed' | 'unresolved';
}

/**
 * The paper's ladder judged at the first seed. A paired interval only says that these two trained
 * networks differ on these images; whether the *designs* differ needs the difference to exceed
 * what a second seed of one design moves, so both are required.
 */
export function ladderVerdicts(runs: readonly AblationRun[], cs: readonly Comparison[] = comparisons(runs)): RungVerdict[] {
  const seeds = cs.filter((c) => c.kind === 'seed').map((c) => Math.abs(c.mean));
  const seedNoise = seeds.length ? Math.max(...seeds) : undefined;
  const first = Math.min(...runs.map((r) => r.seed));
  return PAPER_LADDER.flatMap(([better, worse]) => {
    const c = cs.find((x) => x.kind === 'rung' && x.a === `${better}-s${first}` && x.b === `${worse}-s${first}`);
    if (!c) return [];
    const clears = seedNoise === undefined || Math.abs(c.mean) > seedNoise;
    const verdict = c.ci95[0] > 0 && clears ? 'holds' : c.ci95[1] < 0 && clears ? 'reversed' : 'unresolved';
    return [{ better, worse, seed: first, comparison: c, ...(seedNoise !== undefined ? { seedNoise } : {}), verdict }];
  });
}

/** One line per rung, e.g. "dffm > baseline: +0.052 dB [+0.03, +0.07], seed noise 0.010 dB → holds". */
export function describeVerdicts(vs: readonly RungVerdict[]): string[] {
  return vs.map((v) => {
    const c = v.comparison;
    const noise = v.seedNoise === undefined ? 'no second seed to compare with' : `seed noise ${v.seedNoise.toFixed(3)} dB`;
    return `${v.better} > ${v.worse} (paper): ${signed(c.mean, 3)} dB ${ci(c, 3)}, better on ${c.wins[0]} of ${c.n} images, p ${c.p < 0.001 ? '< 0.001' : `= ${c.p.toFixed(3)}`}; ${noise} → ${v.verdict}`;
  });
}

/**
 * The ablation (`npm run ablation`): trains the plan's variants at the same width, depth, steps
 * and seed on the `npm run data:train` set, evaluates each, gives the two closest rungs a second
 * seed, and writes the results (see docs/ABLATION.md).
 *
 * Every run is a `deblur-lab train` child with checkpoints, so the whole thing can be stopped at
 * any moment (Ctrl-C, or the session ending) and run again: finished runs and evaluations are
 * kept, unfinished runs resume from their last checkpoint. `--jobs` runs train side by side; the
 * cores are shared out among them (OMP_NUM_THREADS for the native kernels; the rest of the wasm
 * backend is single-threaded).
 *
 * build/ablation/
 *   plan.json                   the experiment; a rerun must ask for the same one
 *   runs/<variant>-s<seed>/     the train --out folder (checkpoint/, snapshots/, log.csv), config.json,
 *                               train.out (the child's output), eval-heldout.json, eval-sample.json,
 *                               curve.json (held-out PSNR gain of each snapshot)
 *   second-seed.json            which two rungs were closest, once every first-seed rung is evaluated
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ablationRecipe, DEFAULT_PLAN, planConfig, planDifference, runName, type AblationPlan } from '../src/ablation/plan';
import { ablationReport, loadRuns, type AblationRun } from '../src/ablation/report';
import { closestPair, type RunEvaluation } from '../src/ablation/results';
import { startCpu } from '../src/backend';
import { positiveInt } from '../src/cli/options';
import { UsageError } from '../src/errors';
import { isVariantName, type VariantName } from '../src/model/config';
import { readTrainingState } from '../src/train/checkpoint';
import { writeRecipe } from '../src/train/recipe';
import { runMain } from '../src/cli/run-main';

const root = path.resolve(__dirname, '..');
const CLI = path.join(root, 'bin', 'deblur-lab.js');
const SAMPLE = path.join('data', 'sample'); // children run in the project root
const DEFAULT_DATA = path.join('build', 'data', 'gopro-synth');

function buildTrainingSet(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register', path.join(root, 'scripts', 'build-train-set.ts')], { cwd: root, stdio: 'inherit' });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`npm run data:train failed (exit ${code})`))));
  });
}

interface Options {
  dir: string;
  data: string;
  steps: number;
  jobs: number;
  variants: VariantName[];
  secondSeed: boolean;
  report?: boolean;
  ship?: boolean;
  weightsDir: string;
  doc: string;
}

function variantList(v: string): VariantName[] {
  const names = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !isVariantName(n));
  if (bad.length || names.length === 0) throw new InvalidArgumentError(`unknown variant ${bad.join(', ') || '(none)'}.`);
  return names as VariantName[];
}

function stamp(): string {
  return new Date().toISOString().slice(11, 19);
}

function say(line: string): void {
  console.log(`[${stamp()}] ${line}`);
}

// The native kernels' threads in each child: the cores shared among the --jobs children (set in main).
let childThreads = 1;

/** Runs the deblur-lab CLI; resolves with its stdout, rejects with the tail of its output. */
function cli(args: string[], logFile?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, DEBLUR_BACKEND: process.env.DEBLUR_BACKEND ?? 'wasm', OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? String(childThreads) };
    const child = spawn(process.execPath, [CLI, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    const log = logFile ? fs.createWriteStream(logFile, { flags: 'a' }) : undefined;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      log?.write(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
      log?.write(d);
    });
    child.on('exit', (code, signal) => {
      log?.end();
      if (code === 0) resolve(out);
      else reject(new Error(`deblur-lab ${args[0]} ${args[0] === 'continue' ? args[1] : args.includes('--out') ? args[args.indexOf('--out') + 1] : ''} failed (${signal ?? `exit ${code}`}): ${err.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

class Ablation {
  readonly runsDir: string;
  constructor(readonly o: Options, readonly plan: AblationPlan) {
    this.runsDir = path.join(o.dir, 'runs');
  }

  runDir(name: string): string {
    return path.join(this.runsDir, name);
  }

  trainedSteps(name: string): number {
    return readTrainingState(this.runDir(name))?.step ?? 0;
  }

  async train(variant: VariantName, seed: number): Promise<void> {
    const name = runName(variant, seed);
    const dir = this.runDir(name);
    if (this.trainedSteps(name) >= this.plan.steps) return;
    fs.mkdirSync(dir, { recursive: true });
    // Shipped beside the weights (see ship below): the network each run trained.
    fs.writeFileSync(path.join(dir, 'config.json'), `${JSON.stringify(planConfig(this.plan, variant), null, 1)}\n`);
    const resume = readTrainingState(dir) !== undefined;
    writeRecipe(dir, ablationRecipe(this.plan, variant, { data: this.o.data, seed }));
    say(`${name}: ${resume ? `resuming at step ${this.trainedSteps(name)}` : 'training'} (${this.plan.steps} steps; output in ${path.relative(root, path.join(dir, 'train.out'))})`);
    const began = performance.now();
    await cli(['continue', dir], path.join(dir, 'train.out'));
    say(`${name}: trained to step ${this.trainedSteps(name)} in ${((performance.now() - began) / 60000).toFixed(1)} min`);
  }

  /** Final scores on the held-out split and the sample's test split, and the held-out learning curve. */
  async evaluate(variant: VariantName, seed: number): Promise<void> {
    const name = runName(variant, seed);
    const dir = this.runDir(name);
    const jobs: Array<[string, string[]]> = [
      ['eval-heldout.json', ['--data', this.o.data, '--weights', dir]],
      ['eval-sample.json', ['--data', SAMPLE, '--weights', dir]],
    ];
    for (const [file, args] of jobs) {
      if (fs.existsSync(path.join(dir, file))) continue;
      say(`${name}: ${file.replace('.json', '')}`);
      // The ablation compares networks with each other: the classical baselines would only cost time.
      writeAtomically(path.join(dir, file), await cli(['eval', '--json', '--no-baselines', ...args]));
    }
    const curveFile = path.join(dir, 'curve.json');
    if (!fs.existsSync(curveFile)) {
      say(`${name}: held-out learning curve (every ${this.plan.curveEvery}th pair, ${this.plan.steps / this.plan.snapshotEvery} snapshots)`);
      const snaps = path.join(dir, 'snapshots');
      const points = [];
      for (const snap of fs.existsSync(snaps) ? fs.readdirSync(snaps).filter((d) => /^step-\d+$/.test(d)).sort() : []) {
        const r = JSON.parse(await cli(['eval', '--json', '--no-baselines', '--data', this.o.data, '--every', String(this.plan.curveEvery), '--weights', path.join(snaps, snap)])) as RunEvaluation;
        points.push({ step: Number(snap.slice(5)), n: r.n, psnrGain: r.gain.psnr, ssimGain: r.gain.ssim });
      }
      writeAtomically(curveFile, `${JSON.stringify({ every: this.plan.curveEvery, points }, null, 1)}\n`);
    }
  }

  evaluation(variant: VariantName, seed: number): RunEvaluation | undefined {
    const f = path.join(this.runDir(runName(variant, seed)), 'eval-heldout.json');
    return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, 'utf8')) as RunEvaluation) : undefined;
  }

  /** The two rungs whose first-seed held-out gains are closest: they get a second seed. Decided once. */
  secondSeedRungs(): VariantName[] | undefined {
    const file = path.join(this.o.dir, 'second-seed.json');
    if (fs.existsSync(file)) return (JSON.parse(fs.readFileSync(file, 'utf8')) as { rungs: VariantName[] }).rungs;
    const evals = this.plan.rungs.map((v) => ({ variant: v, report: this.evaluation(v, this.plan.seed) }));
    if (evals.some((e) => !e.report)) return undefined;
    const pair = closestPair(evals.map((e) => ({ name: e.variant, report: e.report! })));
    const rungs = pair.names as VariantName[];
    writeAtomically(file, `${JSON.stringify({ rungs, reason: `closest mean held-out PSNR gain at seed ${this.plan.seed}: ${pair.difference.toFixed(3)} dB apart` }, null, 1)}\n`);
    say(`second seed for ${rungs.join(' and ')} (their first-seed held-out gains are ${pair.difference.toFixed(3)} dB apart)`);
    return rungs;
  }
}

/** DIR/results.md: the table and the paired comparisons of every evaluated run. */
function writeReport(dir: string, runs: AblationRun[]): void {
  const file = path.join(dir, 'results.md');
  writeAtomically(file, `${ablationReport(runs)}\n`);
  say(`results of ${runs.filter((r) => r.heldout).length} evaluated runs: ${path.relative(root, file)}`);
}

/** Ships each evaluated run (weights, card, logs, evaluations) and rewrites the doc's table from the shipped copies. */
async function ship(ab: Ablation, o: Options): Promise<void> {
  const runs = loadRuns(ab.runsDir).filter((r) => r.heldout && r.sample && r.curve && r.steps >= ab.plan.steps);
  if (runs.length === 0) throw new UsageError(`${ab.runsDir}: no finished and evaluated run to ship yet`);
  for (const r of runs) {
    const name = `ablation-${r.name}`;
    say(`${r.name}: shipping to ${path.join(o.weightsDir, name)}/`);
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['-r', 'ts-node/register', path.join(root, 'scripts', 'ship-weights.ts'), '--run', r.dir, '--name', name, '--weights-dir', o.weightsDir, '--note', shipNote(r, o.data)], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ship-weights for ${r.name} failed (exit ${code})`))));
    });
    for (const f of ['curve.json', 'config.json']) fs.copyFileSync(path.join(r.dir, f), path.join(o.weightsDir, name, f));
    for (const f of ['eval-heldout.json', 'eval-sample.json']) {
      // Paths as seen from the project root, so the shipped files mean the same on any machine.
      const report = JSON.parse(fs.readFileSync(path.join(r.dir, f), 'utf8')) as RunEvaluation;
      report.dataset.root = fromRoot(report.dataset.root);
      report.weights = fromRoot(report.weights);
      fs.writeFileSync(path.join(o.weightsDir, name, f), `${JSON.stringify(report, null, 1)}\n`);
    }
  }
  const shipped = loadRuns(o.weightsDir);
  const doc = o.doc;
  const text = fs.readFileSync(doc, 'utf8');
  const [start, end] = ['<!-- ablation:start -->', '<!-- ablation:end -->'];
  if (!text.includes(start) || !text.includes(end)) throw new Error(`${doc}: no ${start} … ${end} section to rewrite`);
  const section = `${start}\n${ablationReport(shipped)}\n${end}`;
  writeAtomically(doc, text.slice(0, text.indexOf(start)) + section + text.slice(text.indexOf(end) + end.length));
  say(`${doc}: table of ${shipped.length} shipped runs`);
}

function fromRoot(p: string): string {
  return path.isAbsolute(p) ? path.relative(root, p) : p;
}

function shipNote(r: AblationRun, data: string): string {
  return `${r.name}: one run of the ablation (docs/ABLATION.md), made by \`npm run ablation\`: every run there has the same width, depth, steps, batch, crops, schedule and seed rules. Its scores on the held-out split of \`${data}\` (photos never trained on) are in \`eval-heldout.json\` and its held-out learning curve in \`curve.json\`.`;
}

function writeAtomically(file: string, text: string): void {
  fs.writeFileSync(`${file}.tmp`, text);
  fs.renameSync(`${file}.tmp`, file);
}

/** Runs tasks with at most `jobs` at once; `more()` is asked for new tasks whenever one finishes. */
async function pool(jobs: number, first: Array<() => Promise<void>>, more: () => Array<() => Promise<void>>): Promise<void> {
  const queue = [...first];
  const running = new Set<Promise<void>>();
  let failure: unknown;
  for (;;) {
    while (running.size < jobs && queue.length && failure === undefined) {
      const p: Promise<void> = queue.shift()!().catch((e: unknown) => void (failure ??= e)).finally(() => running.delete(p));
      running.add(p);
    }
    if (running.size === 0) break;
    await Promise.race(running);
    if (failure === undefined) queue.push(...more());
  }
  if (failure !== undefined) throw failure;
}

async function main(): Promise<void> {
  const o = new Command('ablation')
    .description('train and evaluate the ablation runs (resumable); see docs/ABLATION.md')
    .option('--dir <dir>', 'where runs and results go', path.join('build', 'ablation'))
    .option('--data <dir>', 'the dataset (default: npm run data:train\'s, built first if missing)', DEFAULT_DATA)
    .option('--steps <n>', 'training steps of every run', positiveInt, DEFAULT_PLAN.steps)
    .option('--jobs <n>', 'runs trained side by side (the cores shared among them)', positiveInt, 2)
    .option('--variants <list>', 'variants at the first seed', variantList, DEFAULT_PLAN.variants)
    .option('--no-second-seed', 'do not train the closest two rungs at a second seed')
    .option('--report', 'train nothing: write the results of the evaluated runs (DIR/results.md)')
    .option('--ship', 'train nothing: copy every finished, evaluated run to WEIGHTS/ablation-<run>/ and rewrite the table in --doc')
    .option('--weights-dir <dir>', 'where --ship puts the runs', 'weights')
    .option('--doc <file>', 'the document whose ablation table --ship rewrites', path.join('docs', 'ABLATION.md'))
    .parse(process.argv)
    .opts<Options>();
  // Children run in the project root; paths are kept relative to it, as the training records show them.
  for (const k of ['dir', 'data', 'weightsDir', 'doc'] as const) o[k] = path.relative(root, path.resolve(o[k])) || '.';
  process.chdir(root);
  await startCpu(); // this process only builds networks to count their parameters; the children train
  if (!fs.existsSync(path.join(o.data, 'train'))) {
    if (path.resolve(o.data) !== path.resolve(DEFAULT_DATA)) throw new UsageError(`--data ${o.data}: no train/ split here`);
    say(`building the training set first (npm run data:train)`);
    await buildTrainingSet();
  }
  const plan: AblationPlan = {
    ...DEFAULT_PLAN,
    steps: o.steps,
    variants: o.variants,
    rungs: DEFAULT_PLAN.rungs.filter((v) => o.variants.includes(v)),
    snapshotEvery: Math.max(1, Math.round(o.steps / 4)),
  };
  fs.mkdirSync(o.dir, { recursive: true });
  const planFile = path.join(o.dir, 'plan.json');
  if (fs.existsSync(planFile)) {
    const had = JSON.parse(fs.readFileSync(planFile, 'utf8')) as AblationPlan;
    const diff = planDifference(had, plan);
    if (diff) throw new UsageError(`${o.dir} holds a different ablation (kept vs asked: ${diff}); choose another --dir (nothing was changed)`);
  } else {
    writeAtomically(planFile, `${JSON.stringify(plan, null, 1)}\n`);
  }
  const ab = new Ablation(o, plan);
  if (o.report || o.ship) {
    writeReport(o.dir, loadRuns(ab.runsDir));
    if (o.ship) await ship(ab, o);
    return;
  }
  const task = (v: VariantName, seed: number) => async (): Promise<void> => {
    await ab.train(v, seed);
    await ab.evaluate(v, seed);
  };
  let secondQueued = !o.secondSeed || plan.rungs.length < 2;
  const more = (): Array<() => Promise<void>> => {
    if (secondQueued) return [];
    const rungs = ab.secondSeedRungs();
    if (!rungs) return [];
    secondQueued = true;
    return rungs.map((v) => task(v, plan.seed + 1));
  };
  childThreads = Math.max(1, Math.floor(os.availableParallelism() / o.jobs));
  say(`ablation in ${o.dir}: ${plan.variants.join(', ')} at C=${plan.channels}, N=${plan.blocks}; ${plan.steps} steps of batch ${plan.batch} × ${plan.crop}²; ${o.jobs} at a time`);
  await pool(o.jobs, [...plan.variants.map((v) => task(v, plan.seed)), ...more()], more);
  writeReport(o.dir, loadRuns(ab.runsDir));
  say(`done: every run trained and evaluated; npm run ablation -- --ship copies them to weights/ and docs/ABLATION.md`);
}

runMain('ablation', main);

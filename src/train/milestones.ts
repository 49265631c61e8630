import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { ImagePair } from '../data/dataset';
import { UsageError } from '../errors';
import { loadModel } from '../model/io';
import { appendCurve, curveBaselines, curvePoint, openCurveSets, readCurve, trainingAt, trainingOf, type CurvePoint, type CurveSet } from './curve';
import { LossLog } from './loss-log';
import type { Recipe } from './recipe';
import { SNAPSHOTS, snapshotDir, type TrainingRun } from './run';

/**
 * A long run's milestones (`continue`, and anything else that trains a recipe): the data a recipe
 * names, built where missing; the classical baselines on each milestone set; each milestone's
 * snapshot scored into the run's curve; and milestones a stopped sitting left unscored, caught up.
 */

/** Where cached baselines go (tuned once per training set). */
const CACHE = path.join('build', 'cache');

/** Builds a missing folder with its npm script (and arguments), e.g. "data:train -- --mix mixed"; every build is deterministic. */
function ensureBuilt(root: string, build: string | undefined, what: string, say: (line: string) => void): void {
  if (fs.existsSync(root)) return;
  if (!build) throw new UsageError(`${root}: ${what} is missing (and the recipe names no script that builds it)`);
  say(`${root} is missing: building it with \`npm run ${build}\` (deterministic: the same pairs every time)`);
  const [script, ...args] = build.trim().split(/\s+/);
  const built = spawnSync('npm', ['run', '--silent', script!, ...args], { stdio: 'inherit' });
  if (built.status !== 0) throw new UsageError(`npm run ${build} failed (exit ${built.status}); the run was not touched`);
}

/** The recipe's training data and milestone sets, built where missing. */
export function ensureRecipeData(r: Recipe, say: (line: string) => void): void {
  ensureBuilt(r.data.root, r.data.build, "the recipe's training data", say);
  for (const s of r.milestones?.sets ?? []) ensureBuilt(s.root, s.build, `milestone set "${s.name}"`, say);
}

const dB = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(2)} dB`;

function describePoint(p: CurvePoint): string {
  return `${p.weights} ` + Object.entries(p.sets).map(([name, s]) => `${name} ${dB(s.gain)} (${s.improved}/${s.n} improved${s.worst !== undefined ? `, worst ${dB(s.worst)}` : ''})`).join(', ');
}

/** Milestone snapshots on disk that have no curve point yet (e.g. a sitting killed while evaluating). */
function pendingSnapshots(run: string, every: number, curve: readonly CurvePoint[]): number[] {
  const dir = path.join(run, SNAPSHOTS);
  if (!fs.existsSync(dir)) return [];
  const done = new Set(curve.map((p) => p.step));
  return fs
    .readdirSync(dir)
    .map((n) => /^step-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .filter((s) => s % every === 0 && !done.has(s) && fs.existsSync(path.join(snapshotDir(run, s), 'model.json')))
    .sort((a, b) => a - b);
}

export interface Milestones {
  sets: Array<CurveSet & { pairs: ImagePair[] }>;
  /** Scores the models of milestone `step`; `live` when the run is at that step (else the loss log says what it took). */
  evaluate(step: number, models: Array<{ weights: CurvePoint['weights']; model: tf.LayersModel }>, live: boolean): Promise<void>;
  /** Snapshots the run where it stands (a milestone step) and scores it, averaged weights first. */
  take(step: number): Promise<void>;
  /** Scores the milestone snapshots on disk that the curve does not have yet. */
  catchUp(): Promise<void>;
}

/** The run's milestone sets and baselines (tuned once, cached), ready to score its milestones. */
export async function openMilestones(runDir: string, plan: NonNullable<Recipe['milestones']>, run: TrainingRun, backend: string, say: (line: string) => void): Promise<Milestones> {
  const sets = await openCurveSets(plan.sets);
  for (const s of sets) if (s.unblurred) say(`milestone set "${s.name}": ${s.pairs.length} pairs scored; ${s.unblurred} unblurred ones left out (their input PSNR is infinite: no gain to measure)`);
  const about = { root: run.data.root, description: run.data.description, pairs: run.data.pairs, fingerprint: run.data.fingerprint };
  const baselines = await curveBaselines(runDir, sets, { pairs: run.trainer.pipeline.pairs, about }, CACHE, say);
  for (const [name, b] of Object.entries(baselines.sets)) say(`baselines on ${name}: ${Object.values(b).map((x) => `${x.label}: ${dB(x.gain)}`).join('; ')}`);
  const m: Milestones = {
    sets,
    async evaluate(step, models, live) {
      const points: CurvePoint[] = [];
      const t0 = performance.now();
      const ledger = run.state.ledger ?? [];
      const rows = live ? [] : LossLog.read(path.join(runDir, 'log.csv')).map((row) => ({ step: row['step']!, seconds: row['step_s']! }));
      const training = live ? trainingOf(ledger) : trainingAt(rows, ledger, step);
      for (const x of models) points.push(await curvePoint(x.model, sets, { step, weights: x.weights, training, backend }));
      appendCurve(runDir, points);
      const usm = Object.entries(baselines.sets).map(([name, b]) => `${name} ${dB(b.usm.gain)}`).join(', ');
      say(`milestone ${step}: ${points.map(describePoint).join('; ')}; unsharp mask ${usm} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    },
    async take(step) {
      const snap = await run.snapshot(step);
      const averaged = run.trainer.averaging ? run.trainer.evaluationModel() : undefined;
      try {
        await m.evaluate(step, [...(averaged ? [{ weights: 'ema' as const, model: averaged }] : []), { weights: 'raw' as const, model: run.model }], true);
      } finally {
        averaged?.dispose();
      }
      say(`snapshot: ${snap}`);
    },
    async catchUp() {
      for (const step of pendingSnapshots(runDir, plan.every, readCurve(runDir))) {
        say(`milestone ${step} was never evaluated: scoring its snapshot`);
        const dir = snapshotDir(runDir, step);
        const models: Array<{ weights: CurvePoint['weights']; model: tf.LayersModel }> = [{ weights: 'raw', model: await loadModel(dir) }];
        if (fs.existsSync(path.join(dir, 'ema', 'model.json'))) models.unshift({ weights: 'ema', model: await loadModel(path.join(dir, 'ema')) });
        try {
          await m.evaluate(step, models, false);
        } finally {
          models.forEach((x) => x.model.dispose());
        }
      }
      // A sitting stopped between its milestone checkpoint and the snapshot (a full disk there): the checkpoint holds that step's weights.
      const at = run.trainer.step;
      if (at > 0 && at % plan.every === 0 && !fs.existsSync(snapshotDir(runDir, at)) && !readCurve(runDir).some((p) => p.step === at)) {
        say(`milestone ${at} has no snapshot: taking it from the checkpoint`);
        await m.take(at);
      }
    },
  };
  return m;
}

import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../errors';
import { loadModel } from '../model/io';
import { readCarryState, restartFrom } from './carry';
import { readDamagedState, type Checkpoint } from './checkpoint';
import type { LedgerSegment } from './ledger';

/**
 * When a run's newest checkpoint is damaged and no older whole one is left, its newest whole
 * snapshot (snapshots/step-N/, the weights and the averaged weights kept at milestones) is the
 * latest work that can still be trusted. A restart from it continues the run's record (its
 * checkpoint.json, which survives most damage, or its carry-over) from step N: the loss log and
 * the ledger are cut back to N, and Adam's moments restart from zero.
 */
export const SNAPSHOT_DIR = 'snapshots';

/** The newest snapshot under `out` whose weights load, as its step and folder. */
export function newestSnapshot(out: string): { step: number; dir: string } | undefined {
  const root = path.join(out, SNAPSHOT_DIR);
  if (!fs.existsSync(root)) return undefined;
  const steps = fs
    .readdirSync(root)
    .map((n) => /^step-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null && fs.existsSync(path.join(root, m[0], 'model.json')))
    .map((m) => ({ step: Number(m[1]), dir: path.join(root, m[0]) }))
    .sort((a, b) => b.step - a.step);
  return steps[0];
}

/** The ledger up to `step`: later sittings dropped, the one that spans it cut there (its time pro rata). */
export function ledgerUpTo(ledger: readonly LedgerSegment[], step: number): LedgerSegment[] {
  return ledger
    .filter((s) => s.fromStep < step || (s.fromStep === 0 && step === 0))
    .map((s) => (s.toStep <= step ? s : { ...s, toStep: step, seconds: (s.seconds * (step - s.fromStep)) / Math.max(1, s.toStep - s.fromStep) }));
}

/** The newest snapshot as a checkpoint to restart from (see the file's comment). */
export async function readSnapshotRestart(out: string): Promise<Checkpoint> {
  const state = readDamagedState(out) ?? readCarryState(out);
  if (!state) throw new UsageError(`${out}: neither checkpoint.json nor a carry-over can be read, and a snapshot holds weights, not the run's record: the run cannot be continued`);
  const snap = newestSnapshot(out);
  if (!snap || snap.step > state.step) throw new UsageError(`${out}: no whole snapshot at or before step ${state.step} to restart from`);
  const model = await loadModel(snap.dir);
  const emaDir = path.join(snap.dir, 'ema');
  let average: Float32Array[];
  let weights: 'ema' | 'raw' = 'raw';
  if (state.ema && fs.existsSync(path.join(emaDir, 'model.json'))) {
    const ema = await loadModel(emaDir);
    average = ema.trainableWeights.map((w) => Float32Array.from(w.read().dataSync() as Float32Array));
    ema.dispose();
    weights = 'ema';
  } else {
    average = model.trainableWeights.map((w) => Float32Array.from(w.read().dataSync() as Float32Array));
  }
  const savedAt = fs.statSync(path.join(snap.dir, 'model.json')).mtime.toISOString();
  return restartFrom(snap.dir, model, average, { ...state, ledger: ledgerUpTo(state.ledger ?? [], snap.step) }, { step: snap.step, from: 'snapshot', weights, savedAt });
}

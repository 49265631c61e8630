import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { UsageError, withPath } from '../errors';
import type { Layout } from '../data/dataset';
import type { GoProBlur } from '../data/gopro';
import type { LossForm } from '../loss';
import type { NetConfig } from '../model/config';
import { loadModel, saveModel } from '../model/io';
import type { AdamSettings, AdamState } from './adam';
import { carryFolderOf, carryFolderState } from './carry';
import type { EmaState } from './ema';
import type { LedgerSegment } from './ledger';
import type { Schedule } from './schedule';

/** Where the training data came from, so a resumed run can check it is given the same data. */
export interface DataDescription {
  root: string;
  layout: Layout;
  /** GoPro's blurred-image folder (blur or blur_gamma), for the readers that have a choice. */
  blur?: GoProBlur;
  /** e.g. "GoPro train split, blur/". */
  description: string;
  pairs: number;
  /** Hash of the pairs' ids, blurred-image paths and sizes: changes when the set of images does. */
  fingerprint: string;
  /** Generators whose pairs were left out of training, and copies per epoch of others' (provenance.ts, reweighGenerators). */
  exclude?: string[];
  repeat?: Record<string, number>;
}

/** Everything besides the weights that a resumed run needs to continue exactly. */
export interface TrainingState {
  /** Optimiser steps done; also the index of the next batch of the pipeline. */
  step: number;
  /** The run's planned length in steps (a cosine schedule anneals over exactly this). */
  plannedSteps: number;
  epoch: number;
  schedule: Schedule;
  adam: AdamSettings;
  /** λ of the loss's FFT term. */
  lambda: number;
  /** What the optimiser minimised, when not the paper's batch mean (see LossForm). */
  loss?: LossForm;
  config: NetConfig;
  /** The named variant the config came from, if any. */
  variant?: string;
  data: DataDescription;
  /** The pipeline's settings: with `step` they fix every batch still to come (see TrainingPipeline). */
  pipeline: { seed: number; batch: number; crop: number; flip: boolean };
  /** Seed of the initial weights. */
  initSeed: number;
  backend: string;
  /** What ran the kernels in the latest session (the backend report's device), when recorded. */
  device?: string;
  /** Training wall time so far, over all resumed runs. */
  seconds: number;
  lastLoss?: { total: number; content: number; fft: number };
  /** The moving average of the weights, when the run keeps one (its values are `ema.bin`). */
  ema?: EmaState;
  /** One segment per sitting that trained the run (absent in checkpoints written before ledgers). */
  ledger?: LedgerSegment[];
  /**
   * The blur generators of the training data (its synth.json, read when the run began), so that an
   * evaluation can tell the blur a network has met from the blur it has not. Absent where unknown.
   */
  generators?: string[];
  /** Where the initial weights came from, when not from the seed: copied or grown from other weights. */
  init?: RunInit;
  /**
   * Each sitting that resumed without a whole checkpoint, from a carry-over (carry.ts) or a snapshot
   * (restart.ts): the run restarted Adam's moments there, from these weights.
   */
  restarts?: RunRestart[];
}

export interface RunRestart {
  step: number;
  from: 'carry-over' | 'snapshot';
  weights: 'ema' | 'raw';
  savedAt: string;
}

/** A run that starts from other weights: the same network (copied) or a wider and deeper one grown from a smaller (grow.ts). */
export interface RunInit {
  weights: string;
  how: 'copy' | 'grow';
  /** The source's config, variant and training step, and the generators it had been trained with (null: unknown). */
  from: { config: NetConfig; variant?: string; step: number | null; generators: string[] | null };
}

interface CheckpointFile extends TrainingState {
  format: 'deblur-lab-checkpoint';
  version: 1;
  savedAt: string;
  optimizer: { iterations: number; slots: number; bytes: number };
  /** sha256 of every other file in the folder: a checkpoint is valid only if all match. */
  files: Record<string, string>;
  /** The size in bytes of every other file (checked before the hashes: a truncated file is named as such). */
  sizes?: Record<string, number>;
}

export interface Checkpoint {
  dir: string;
  model: tf.LayersModel;
  adam: AdamState;
  state: TrainingState;
  /** The averaged weights, in trainable-weight order, when state.ema is set. */
  ema?: Float32Array[];
}

export const CHECKPOINT = 'checkpoint';
const PREVIOUS = 'checkpoint.old';
const META = 'checkpoint.json';
const OPTIMIZER = 'optimizer.bin';
const AVERAGE = 'ema.bin';

/**
 * Writes a checkpoint into `out/checkpoint/` so that killing the process at any moment leaves a
 * complete checkpoint, old or new: the new one is written and synced in a temporary folder, the old
 * one is renamed aside, the new one renamed into place, and only then the old one removed.
 * Readers fall back to the old one when the process died between the two renames.
 */
export async function writeCheckpoint(out: string, model: tf.LayersModel, adam: AdamState, state: TrainingState, ema?: readonly Float32Array[]): Promise<string> {
  if ((ema === undefined) !== (state.ema === undefined)) throw new Error('writeCheckpoint: averaged weights and state.ema go together');
  fs.mkdirSync(out, { recursive: true });
  for (const name of fs.readdirSync(out)) {
    if (name.startsWith(`${CHECKPOINT}.tmp-`)) fs.rmSync(path.join(out, name), { recursive: true, force: true }); // a crashed writer's
  }
  const tmp = path.join(out, `${CHECKPOINT}.tmp-${process.pid}`);
  try {
    await writeCheckpointFiles(tmp, model, adam, state, ema);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true }); // a half-written checkpoint holds space and is never read
    throw withPath(e, tmp);
  }

  const current = path.join(out, CHECKPOINT);
  const previous = path.join(out, PREVIOUS);
  if (fs.existsSync(current)) {
    fs.rmSync(previous, { recursive: true, force: true });
    fs.renameSync(current, previous);
  }
  fs.renameSync(tmp, current);
  fsyncPath(out);
  fs.rmSync(previous, { recursive: true, force: true });
  return current;
}

/** The checkpoint's files, written and synced into the (new, empty) folder `tmp`. */
async function writeCheckpointFiles(tmp: string, model: tf.LayersModel, adam: AdamState, state: TrainingState, ema?: readonly Float32Array[]): Promise<void> {
  fs.mkdirSync(tmp);
  await saveModel(model, tmp);
  const slots = [...adam.m, ...adam.v];
  const buffer = floatFile(slots);
  const bytes = buffer.byteLength;
  fs.writeFileSync(path.join(tmp, OPTIMIZER), buffer);
  if (ema) fs.writeFileSync(path.join(tmp, AVERAGE), floatFile(ema));
  const files: Record<string, string> = {};
  const sizes: Record<string, number> = {};
  for (const name of fs.readdirSync(tmp).sort()) {
    const bytes = fs.readFileSync(path.join(tmp, name));
    files[name] = sha256(bytes);
    sizes[name] = bytes.byteLength;
  }
  const meta: CheckpointFile = {
    format: 'deblur-lab-checkpoint',
    version: 1,
    savedAt: new Date().toISOString(),
    ...state,
    optimizer: { iterations: adam.iterations, slots: adam.m.length, bytes },
    files,
    sizes,
  };
  fs.writeFileSync(path.join(tmp, META), JSON.stringify(meta, null, 2) + '\n');
  for (const name of fs.readdirSync(tmp)) fsyncPath(path.join(tmp, name));
  fsyncPath(tmp);
}

/** Float32 arrays laid end to end, as the checkpoint's .bin files hold them. */
function floatFile(arrays: readonly Float32Array[]): Buffer {
  const buffer = Buffer.alloc(arrays.reduce((n, a) => n + a.byteLength, 0));
  let offset = 0;
  for (const a of arrays) {
    buffer.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offset);
    offset += a.byteLength;
  }
  return buffer;
}

/** Splits a float32 file into arrays of the given sizes; undefined when the sizes do not add up. */
function splitFloats(file: string, sizes: readonly number[]): Float32Array[] | undefined {
  const raw = fs.readFileSync(file);
  const floats = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const arrays: Float32Array[] = [];
  let offset = 0;
  for (const n of sizes) {
    arrays.push(floats.subarray(offset, offset + n));
    offset += n;
  }
  return offset === floats.length ? arrays : undefined;
}

/** The folder of the newest complete checkpoint under `out`, or undefined when there is none. */
export function findCheckpoint(out: string): string | undefined {
  for (const name of [CHECKPOINT, PREVIOUS]) {
    const dir = path.join(out, name);
    if (fs.existsSync(path.join(dir, META)) && verify(dir) === undefined) return dir;
  }
  return undefined;
}

/** Reads the checkpoint under `out` (see writeCheckpoint); a clear error when none is usable. */
export async function readCheckpoint(out: string): Promise<Checkpoint> {
  const dir = findCheckpoint(out);
  if (!dir) {
    const damaged = [CHECKPOINT, PREVIOUS].map((n) => path.join(out, n)).filter((d) => fs.existsSync(d));
    const why = damaged.map((d) => `${d}: ${verify(d) ?? 'unreadable'}`).join('; ');
    throw new UsageError(`${out}: no complete checkpoint${why ? ` (${why})` : ' (no checkpoint/ folder)'}`);
  }
  const meta = readMeta(dir);
  const model = await loadModel(dir);
  const sizes = model.trainableWeights.map((w) => (w.shape as number[]).reduce((a, b) => a * b, 1));
  const moments = splitFloats(path.join(dir, OPTIMIZER), meta.optimizer.slots > 0 ? [...sizes, ...sizes] : []);
  if (!moments) {
    model.dispose();
    throw new UsageError(`${dir}: optimizer.bin does not hold the model's moments (${2 * sizes.reduce((a, b) => a + b, 0)} numbers)`);
  }
  let ema: Float32Array[] | undefined;
  if (meta.ema) {
    ema = fs.existsSync(path.join(dir, AVERAGE)) ? splitFloats(path.join(dir, AVERAGE), sizes) : undefined;
    if (!ema) {
      model.dispose();
      throw new UsageError(`${dir}: ${AVERAGE} is missing or does not hold one average per trainable weight`);
    }
  }
  const half = moments.length / 2;
  return { dir, model, adam: { iterations: meta.optimizer.iterations, m: moments.slice(0, half), v: moments.slice(half) }, state: stateOf(meta), ...(ema ? { ema } : {}) };
}

/** The training state alone (no weights loaded), e.g. to report on or check a run before resuming it. */
export function readTrainingState(out: string): TrainingState | undefined {
  const dir = findCheckpoint(out);
  if (!dir) return undefined;
  return stateOf(readMeta(dir));
}

/**
 * The state a checkpoint's own record holds even when its other files are damaged (undefined when
 * checkpoint.json itself is unreadable): what a restart from a snapshot continues from.
 */
export function readDamagedState(out: string): TrainingState | undefined {
  for (const name of [CHECKPOINT, PREVIOUS]) {
    try {
      const meta = readMeta(path.join(out, name));
      if (meta.format === 'deblur-lab-checkpoint') return stateOf(meta);
    } catch {
      // unreadable: try the other
    }
  }
  return undefined;
}

/**
 * The training record shipped beside weights (training.json), the state of a run's checkpoint
 * there, or that of a carry-over (the folder itself or the run's) when the run has no checkpoint.
 */
export function trainingStateNear(weights: string): TrainingState | undefined {
  const shipped = path.join(weights, 'training.json');
  if (fs.existsSync(shipped)) return JSON.parse(fs.readFileSync(shipped, 'utf8')) as TrainingState;
  const checkpointed = readTrainingState(weights);
  if (checkpointed) return checkpointed;
  const carry = carryFolderOf(weights);
  return carry ? carryFolderState(carry) : undefined;
}

/** checkpoint.json without the fields about the files themselves. */
function stateOf(meta: CheckpointFile): TrainingState {
  const { format: _f, version: _v, savedAt: _s, optimizer: _o, files: _files, ...state } = meta;
  return state;
}

function readMeta(dir: string): CheckpointFile {
  return JSON.parse(fs.readFileSync(path.join(dir, META), 'utf8')) as CheckpointFile;
}

/** Why the checkpoint in `dir` is not usable, or undefined when every file is present and intact. */
/** What is wrong with the checkpoint in `dir`, or undefined when it is whole. */
export function verify(dir: string): string | undefined {
  let meta: CheckpointFile;
  try {
    meta = readMeta(dir);
  } catch {
    return `${META} is missing or unreadable`;
  }
  if (meta.format !== 'deblur-lab-checkpoint') return `${META} is not a deblur-lab checkpoint`;
  for (const [name, hash] of Object.entries(meta.files ?? {})) {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) return `${name} is missing`;
    const size = meta.sizes?.[name];
    const actual = fs.statSync(file).size;
    if (size !== undefined && actual !== size) return `${name} is ${actual} bytes where ${META} says ${size} (${actual < size ? 'truncated' : 'grown'})`;
    if (sha256(fs.readFileSync(file)) !== hash) return `${name} does not match its checksum (damaged)`;
  }
  return undefined;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Flushes a file or folder to disk, so a rename never lands before the data it names. */
function fsyncPath(p: string): void {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

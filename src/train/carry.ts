import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors';
import { buildNet } from '../model/net';
import type { Checkpoint, RunRestart, TrainingState } from './checkpoint';
import { replaceFolder } from './folder-swap';

/**
 * A run's carry-over: what a long run keeps in git between sittings when its full checkpoint is too
 * big to commit every time (the paper's network with Adam's moments and the averaged weights is
 * ~35 MB a sitting; git keeps every version). It holds one set of weights, the moving average (the
 * better of the two), in half precision, per-tensor scaled: 2 bytes a weight, ~4.4 MB for `full`.
 *
 * A sitting that finds no checkpoint but a carry-over resumes from it: the weights are the
 * average's, the average restarts from them, and Adam's moments restart from zero (its bias
 * correction then makes the first steps plain sign steps of the scheduled size, as at the start of
 * a run). The step, schedule, data position and ledger continue; `restarts` records each restart.
 * So a resumed run is close to, not the same as, a run that never stopped.
 */
export const CARRY = 'carry';
const META = 'carry.json';
const WEIGHTS = 'weights.f16';

export interface CarryFile {
  format: 'deblur-lab-carry';
  version: 1;
  savedAt: string;
  state: TrainingState;
  /** Which weights these are (the average when the run keeps one). */
  weights: 'ema' | 'raw';
  /** Per trainable weight: its shape and the scale its half-precision values are multiplied by. */
  tensors: Array<{ shape: number[]; scale: number }>;
  sha256: string;
}

/** float32 → IEEE half (round to nearest even), as a 16-bit pattern. */
export function toHalf(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf, nan
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow → ±0
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rest > half || (rest === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++; // may carry into the exponent: still right
  return sign | h;
}

/** IEEE half (16-bit pattern) → number. */
export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** The weights as half-precision values of x / scale, scale = max |x| / 60000 (so the range is used and nothing overflows). */
function encode(arrays: readonly Float32Array[]): { bytes: Buffer; tensors: Array<{ scale: number }> } {
  const total = arrays.reduce((n, a) => n + a.length, 0);
  const out = new Uint16Array(total);
  const tensors: Array<{ scale: number }> = [];
  let at = 0;
  for (const a of arrays) {
    let max = 0;
    for (const v of a) max = Math.max(max, Math.abs(v));
    const scale = max > 0 ? max / 60000 : 1;
    for (let i = 0; i < a.length; i++) out[at + i] = toHalf(a[i]! / scale);
    at += a.length;
    tensors.push({ scale });
  }
  return { bytes: Buffer.from(out.buffer), tensors };
}

/**
 * Writes `out/carry/` (atomically: a temporary folder renamed into place) from the trainer's
 * state and weights: the averaged ones when given, else the raw ones.
 */
export function writeCarry(out: string, state: TrainingState, raw: readonly Float32Array[], shapes: readonly number[][], average?: readonly Float32Array[]): Promise<string> {
  const chosen = average ?? raw;
  const { bytes, tensors } = encode(chosen);
  const meta: CarryFile = {
    format: 'deblur-lab-carry',
    version: 1,
    savedAt: new Date().toISOString(),
    state,
    weights: average ? 'ema' : 'raw',
    tensors: tensors.map((t, i) => ({ shape: shapes[i]!, scale: t.scale })),
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
  const dir = path.join(out, CARRY);
  return replaceFolder(dir, `${dir}.tmp-${process.pid}`, (tmp) => {
    fs.writeFileSync(path.join(tmp, WEIGHTS), bytes);
    fs.writeFileSync(path.join(tmp, META), `${JSON.stringify(meta, null, 1)}\n`);
  });
}

export function hasCarry(out: string): boolean {
  return fs.existsSync(path.join(out, CARRY, META));
}

export function readCarryState(out: string): TrainingState | undefined {
  return hasCarry(out) ? readMeta(path.join(out, CARRY)).state : undefined;
}

function readMeta(dir: string): CarryFile {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, META), 'utf8')) as CarryFile;
  } catch (e) {
    throw new UsageError(`${dir}: ${META} is not readable (${(e as Error).message})`);
  }
}

/**
 * The carry-over folder `dir` names: `dir` itself when it is one (RUN/carry), else its run's
 * RUN/carry; undefined when neither holds one.
 */
export function carryFolderOf(dir: string): string | undefined {
  return [dir, path.join(dir, CARRY)].find((d) => fs.existsSync(path.join(d, META)));
}

/** The training state a carry-over folder records. */
export function carryFolderState(dir: string): TrainingState {
  return readMeta(dir).state;
}

export interface CarriedWeights {
  /** The network rebuilt from the state's config, holding the carried weights. */
  model: tf.LayersModel;
  weights: Float32Array[];
  meta: CarryFile;
}

/**
 * A carry-over folder's weights (checked against their sha256 and the state's network) in a
 * network rebuilt from its config: what a resuming run, `--weights RUN/carry` and a recipe's
 * `init` load.
 */
export function loadCarryFolder(dir: string): CarriedWeights {
  const meta = readMeta(dir);
  const raw = fs.readFileSync(path.join(dir, WEIGHTS));
  if (createHash('sha256').update(raw).digest('hex') !== meta.sha256) throw new UsageError(`${dir}: ${WEIGHTS} is damaged (its sha256 differs from ${META}'s)`);
  const halves = new Uint16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const sizes = meta.tensors.map((t) => t.shape.reduce((a, b) => a * b, 1));
  if (sizes.reduce((a, b) => a + b, 0) !== halves.length) throw new UsageError(`${dir}: ${WEIGHTS} holds ${halves.length} values, ${META} describes ${sizes.reduce((a, b) => a + b, 0)}`);
  let at = 0;
  const weights = meta.tensors.map((t, i) => {
    const a = new Float32Array(sizes[i]!);
    for (let k = 0; k < a.length; k++) a[k] = fromHalf(halves[at + k]!) * t.scale;
    at += a.length;
    return a;
  });
  const model = buildNet(meta.state.config, { ...(meta.state.variant ? { name: `deblur_${meta.state.variant}` } : {}) });
  const trainable = model.trainableWeights;
  if (trainable.length !== weights.length || trainable.some((w, i) => JSON.stringify(w.shape) !== JSON.stringify(meta.tensors[i]!.shape))) {
    model.dispose();
    throw new UsageError(`${dir}: the carried weights do not fit the network its state describes`);
  }
  const tensors = weights.map((w, i) => tf.tensor(w, meta.tensors[i]!.shape));
  trainable.forEach((v, i) => v.write(tensors[i]!));
  tf.dispose(tensors);
  return { model, weights, meta };
}

/**
 * The carry-over as a checkpoint to resume (see the file's comment): the network rebuilt from its
 * config with the carried weights, Adam's moments at zero, the average restarted from the weights.
 */
export function readCarry(out: string): Checkpoint {
  const dir = path.join(out, CARRY);
  const { model, weights, meta } = loadCarryFolder(dir);
  return restartFrom(dir, model, weights, meta.state, { step: meta.state.step, from: 'carry-over', weights: meta.weights, savedAt: meta.savedAt });
}

/**
 * A checkpoint to resume from weights alone (a carry-over or a snapshot): Adam's moments at zero,
 * the average (if the run keeps one) restarted from `average`, the restart recorded in the state.
 */
export function restartFrom(dir: string, model: tf.LayersModel, average: Float32Array[], state: TrainingState, restart: RunRestart): Checkpoint {
  const zeros = (): Float32Array[] => average.map((w) => new Float32Array(w.length));
  const { ema, ...rest } = { ...state, step: restart.step, restarts: [...(state.restarts ?? []), restart] };
  return {
    dir,
    model,
    adam: { iterations: 0, m: zeros(), v: zeros() },
    state: ema ? { ...rest, ema: { ...ema, since: restart.step, updates: 0 } } : rest,
    ...(ema ? { ema: average } : {}),
  };
}

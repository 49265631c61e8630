import * as fs from 'node:fs';
import * as path from 'node:path';
import { SYNTH_MANIFEST } from '../data/synth/write-dataset';
import { trainingStateNear } from './checkpoint';

/**
 * Which blur generators a network has met, so that an evaluation can say which blur it has not.
 * A training set made by `synth`/`data:train` says in its synth.json (a mixture lists its
 * generators; a set of one generator names its model).
 */
export function generatorsOfData(root: string): string[] | null {
  const file = path.join(root, SYNTH_MANIFEST);
  if (!fs.existsSync(file)) return null;
  const m = JSON.parse(fs.readFileSync(file, 'utf8')) as { model?: string; generators?: Array<{ name: string }> };
  if (m.generators) return m.generators.map((g) => g.name);
  return m.model ? [m.model] : null;
}

/**
 * The generators a network was trained with: its training record's (or, for records written before
 * they were kept, its training data's synth.json when that is on this machine), with those of the
 * weights it started from. Null when unknown.
 */
export function trainedOnOf(weights: string): string[] | null {
  const s = trainingStateNear(weights);
  if (!s) return null;
  const own = s.generators ?? generatorsOfData(s.data.root);
  if (!own) return null;
  return [...new Set([...(s.init?.from.generators ?? []), ...own])];
}

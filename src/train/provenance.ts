import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Dataset } from '../data/dataset';
import { SYNTH_MANIFEST, type SynthRecord } from '../data/synth/write-dataset';
import { UsageError } from '../errors';
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

/**
 * The dataset without the pairs made by the named generators (its synth.json says which made each
 * pair): a run trained on the rest never meets them, so they can be scored as held out. This is
 * how the lab leaves one generator out of training without building another set.
 */
export function withoutGenerators(ds: Dataset, exclude: readonly string[]): Dataset {
  const file = path.join(ds.root, SYNTH_MANIFEST);
  if (!fs.existsSync(file)) throw new UsageError(`${ds.root}: leaving generators out needs the set's ${SYNTH_MANIFEST}, which says which generator made each pair`);
  const m = JSON.parse(fs.readFileSync(file, 'utf8')) as { generators?: Array<{ name: string }>; pairs: SynthRecord[] };
  const names = m.generators?.map((g) => g.name);
  if (!names) throw new UsageError(`${ds.root} was made by one generator: there is nothing to leave out`);
  const unknown = exclude.filter((n) => !names.includes(n));
  if (unknown.length) throw new UsageError(`${ds.root} has no generator ${unknown.join(', ')} (it has ${names.join(', ')})`);
  const made = new Map(m.pairs.filter((r) => r.split === 'train').map((r) => [`${r.sequence}/${r.file}`, r.generator]));
  const pairs = ds.pairs.filter((p) => {
    const g = made.get(p.id);
    if (g === undefined) throw new UsageError(`${ds.root}: ${p.id} is not in ${SYNTH_MANIFEST}, so its generator is unknown`);
    return !exclude.includes(g);
  });
  return { ...ds, pairs, description: `${ds.description}, less ${exclude.join(' and ')} (${ds.pairs.length - pairs.length} pairs left out)` };
}

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

/** Which generator made each training pair of a set (its synth.json), and the set's generator names. */
function pairGenerators(root: string, what: string): { names: string[]; made: Map<string, string | undefined> } {
  const file = path.join(root, SYNTH_MANIFEST);
  if (!fs.existsSync(file)) throw new UsageError(`${root}: ${what} needs the set's ${SYNTH_MANIFEST}, which says which generator made each pair`);
  const m = JSON.parse(fs.readFileSync(file, 'utf8')) as { generators?: Array<{ name: string }>; pairs: SynthRecord[] };
  const names = m.generators?.map((g) => g.name);
  if (!names) throw new UsageError(`${root} was made by one generator: ${what} needs a mixture`);
  return { names, made: new Map(m.pairs.filter((r) => r.split === 'train').map((r) => [`${r.sequence}/${r.file}`, r.generator])) };
}

function generatorOf(made: Map<string, string | undefined>, root: string, id: string): string {
  const g = made.get(id);
  if (g === undefined) throw new UsageError(`${root}: ${id} is not in ${SYNTH_MANIFEST}, so its generator is unknown`);
  return g;
}

/**
 * The dataset with the pairs of some generators repeated (`repeat[name]` copies of each, an
 * integer ≥ 1) and of others left out (`exclude`): how a run trained on one mixed set shifts its
 * mixture, or holds a generator out to be scored on it, without building another set. The
 * repeated copies are ordinary pairs to the pipeline (each its own crop and flip per epoch).
 */
export function reweighGenerators(ds: Dataset, o: { exclude?: readonly string[]; repeat?: Readonly<Record<string, number>> }): Dataset {
  const exclude = o.exclude ?? [];
  const repeat = o.repeat ?? {};
  const { names, made } = pairGenerators(ds.root, 'leaving out or repeating generators');
  const unknown = [...exclude, ...Object.keys(repeat)].filter((n) => !names.includes(n));
  if (unknown.length) throw new UsageError(`${ds.root} has no generator ${unknown.join(', ')} (it has ${names.join(', ')})`);
  for (const [n, k] of Object.entries(repeat)) if (!Number.isInteger(k) || k < 1) throw new UsageError(`repeat.${n} must be a whole number of copies ≥ 1 (got ${k})`);
  const pairs = ds.pairs.flatMap((p) => {
    const g = generatorOf(made, ds.root, p.id);
    return exclude.includes(g) ? [] : Array.from({ length: repeat[g] ?? 1 }, () => p);
  });
  const said = [
    ...(exclude.length ? [`less ${exclude.join(' and ')}`] : []),
    ...Object.entries(repeat).filter(([, k]) => k > 1).map(([n, k]) => `${n} ×${k}`),
  ];
  return { ...ds, pairs, description: said.length ? `${ds.description}, ${said.join(', ')} (${pairs.length} pairs an epoch)` : ds.description };
}

/**
 * The dataset without the pairs made by the named generators (its synth.json says which made each
 * pair): a run trained on the rest never meets them, so they can be scored as held out. This is
 * how the lab leaves one generator out of training without building another set.
 */
export function withoutGenerators(ds: Dataset, exclude: readonly string[]): Dataset {
  return reweighGenerators(ds, { exclude });
}

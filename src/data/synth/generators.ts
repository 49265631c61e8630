import type { Rng } from '../../random';
import { CAMERA_RANGES, drawCameraEffects, type CameraEffects } from './camera-effects';
import type { SharpFrame } from './camera-path';
import { DEPTH_OF_FIELD_RANGES, drawDepthOfField, type DepthOfField, type DepthOfFieldRanges } from './depth-of-field';
import type { BlurModel } from './synthesize';

/**
 * A blur generator: one way of making a blurred image from a sharp one, with the ranges it draws
 * from. Datasets are made from one generator (an evaluation set, `synth --model`) or from a
 * weighted mixture of them (a training set). Generators belong to a family (who wrote the blur
 * model and its conventions), so an evaluation can say which blur a network has never met.
 */
export interface Generator {
  name: string;
  /** `lab`: the lab's own blur models; `gopro`: the independent GoPro-style model (handheld-path.ts). */
  family: GeneratorFamily;
  model: BlurModel;
  /** Extent drawn uniformly from this range, in pixels (defocus: disk diameter). */
  extent: readonly [number, number];
  /** shake only: the sharp frame convention, or 'either' drawn per pair. */
  sharpFrame?: SharpFrame | 'either';
  /** What `blur/` holds: frames averaged in sRGB (GoPro's blur/), in linear light (blur_gamma/), or either drawn per pair. */
  average: 'srgb' | 'linear' | 'either';
  /** Chance that a pair gets camera effects (highlights, noise, JPEG: camera-effects.ts). */
  camera: number;
  /** Chance that part of a pair's scene is out of focus before the blur (depth-of-field.ts); absent: never. */
  depthOfField?: number;
  /** How far out of focus, where it is (default DEPTH_OF_FIELD_RANGES). */
  depthOfFieldRanges?: DepthOfFieldRanges;
  /**
   * Chance that a pair's sensor noise, when its camera effects have some, is grain of the scene,
   * which the sharp image keeps (synthesize.ts), rather than noise on the blurred image alone;
   * absent: never.
   */
  grain?: number;
  /** One line for tables and manifests. */
  about: string;
}

export type GeneratorFamily = 'lab' | 'gopro';

/** What is drawn for one pair before it is made (its extent, crop and path come from the pair's own stream). */
export interface GeneratorDraw {
  generator: Generator;
  sharpFrame?: SharpFrame;
  average: 'srgb' | 'linear';
  camera?: CameraEffects;
  depthOfField?: DepthOfField;
  /** The camera's noise is in the scene, so in the sharp image too. */
  grain?: true;
}

/**
 * The generator of one pair and its conventions, from a stream of their own: a single-generator
 * set then draws its crops, extents and paths exactly as it did before mixtures existed.
 */
export function drawGenerator(mix: readonly WeightedGenerator[], rng: Rng): GeneratorDraw {
  const total = mix.reduce((s, m) => s + m.weight, 0);
  let u = rng.uniform(0, total);
  const g = (mix.find((m) => (u -= m.weight) < 0) ?? mix[mix.length - 1]!).generator;
  const sharpFrame = g.model !== 'shake' ? undefined : g.sharpFrame === 'either' ? (rng.bernoulli(0.5) ? 'middle' : 'mean') : g.sharpFrame;
  const average = g.average === 'either' ? (rng.bernoulli(0.5) ? 'linear' : 'srgb') : g.average;
  const cameraDraw = drawCameraEffects(rng, CAMERA_RANGES);
  const camera = rng.bernoulli(g.camera) ? cameraDraw : undefined;
  // Drawn after everything else and only where the generator asks: older mixtures' streams stay as they were.
  const depthOfField = g.depthOfField && rng.bernoulli(g.depthOfField) ? drawDepthOfField(rng, g.depthOfFieldRanges) : undefined;
  const grain = g.grain && rng.bernoulli(g.grain) && camera?.noise ? true : undefined;
  return { generator: g, ...(sharpFrame ? { sharpFrame } : {}), average, ...(camera ? { camera } : {}), ...(depthOfField ? { depthOfField } : {}), ...(grain ? { grain } : {}) };
}

/** A generator's draw when it has nothing to draw (no camera effects, no 'either'); undefined otherwise. */
export function fixedDraw(g: Generator): GeneratorDraw | undefined {
  if (g.camera > 0 || (g.depthOfField ?? 0) > 0 || g.average === 'either' || g.sharpFrame === 'either') return undefined;
  return { generator: g, ...(g.sharpFrame ? { sharpFrame: g.sharpFrame } : {}), average: g.average };
}

export interface WeightedGenerator {
  generator: Generator;
  weight: number;
}

const gen = (g: Generator): Generator => g;

/**
 * The generators of the generalisation yardstick (`npm run data:yardstick`). Extents are at GoPro
 * scale (long side 1280). The `gopro` family is the held-out one for every training mixture the
 * lab ships: no training set is made with its path model or its middle-frame convention.
 */
export const YARDSTICK_GENERATORS: readonly Generator[] = [
  gen({ name: 'shake', family: 'lab', model: 'shake', extent: [8, 32], sharpFrame: 'mean', average: 'srgb', camera: 0, about: "the lab's camera shake, 8–32 px, sharp = mean pose, sRGB average (what the first shipped network trained on)" }),
  gen({ name: 'trajectory', family: 'lab', model: 'trajectory', extent: [8, 32], average: 'linear', camera: 0, about: 'uniform Boracchi–Foi trajectories, 8–32 px, linear-light average' }),
  gen({ name: 'defocus', family: 'lab', model: 'defocus', extent: [3, 12], average: 'linear', camera: 0, about: 'out of focus: a uniform disk of 3–12 px diameter, linear light' }),
  gen({ name: 'none', family: 'lab', model: 'none', extent: [0, 0], average: 'srgb', camera: 0, about: 'no blur: the sharp photo as a camera stores it, a JPEG of quality 90–95 (a network should leave it as it is)' }),
  gen({ name: 'gopro', family: 'gopro', model: 'gopro', extent: [8, 32], average: 'linear', camera: 0, about: 'GoPro-style hand-held motion at 240 fps (acceleration, tremor, roll), 7–13 frames averaged in linear light, sharp = middle frame, 8–32 px' }),
  gen({ name: 'gopro-mild', family: 'gopro', model: 'gopro', extent: [1, 6], average: 'linear', camera: 0, about: 'the same GoPro-style motion, barely blurred: 1–6 px' }),
  gen({ name: 'gopro-camera', family: 'gopro', model: 'gopro', extent: [4, 32], average: 'linear', camera: 1, about: 'GoPro-style motion, 4–32 px, with a camera: clipped highlights, sensor noise and JPEG (each on most pairs)' }),
];

export function yardstickGenerator(name: string): Generator | undefined {
  return YARDSTICK_GENERATORS.find((g) => g.name === name);
}

/**
 * The training mixture of `npm run data:train -- --mix mixed`: the lab's blur models only (so the
 * `gopro` family stays unseen), both sharp-frame conventions, both averages, extents from none to
 * strong, and camera effects on a third of the pairs.
 */
export const MIXED_TRAINING: readonly WeightedGenerator[] = [
  { weight: 0.25, generator: gen({ name: 'shake', family: 'lab', model: 'shake', extent: [4, 32], sharpFrame: 'either', average: 'either', camera: 0.35, about: 'camera shake, 4–32 px' }) },
  { weight: 0.2, generator: gen({ name: 'trajectory', family: 'lab', model: 'trajectory', extent: [4, 32], average: 'either', camera: 0.35, about: 'Boracchi–Foi trajectories, 4–32 px' }) },
  { weight: 0.1, generator: gen({ name: 'defocus', family: 'lab', model: 'defocus', extent: [1.5, 10], average: 'linear', camera: 0.35, about: 'defocus disk, 1.5–10 px' }) },
  { weight: 0.1, generator: gen({ name: 'shake-mild', family: 'lab', model: 'shake', extent: [0.5, 4], sharpFrame: 'either', average: 'either', camera: 0.35, about: 'camera shake, 0.5–4 px' }) },
  { weight: 0.05, generator: gen({ name: 'trajectory-mild', family: 'lab', model: 'trajectory', extent: [0.5, 4], average: 'either', camera: 0.35, about: 'Boracchi–Foi trajectories, 0.5–4 px' }) },
  { weight: 0.1, generator: gen({ name: 'none', family: 'lab', model: 'none', extent: [0, 0], average: 'srgb', camera: 0.35, about: 'no blur' }) },
];

/**
 * `--mix lens`: the mixed generators, less defocus (out-of-focus *inputs* taught the pilots to
 * sharpen soft content), with a third of every generator's pairs made from a scene partly or
 * wholly out of focus, which the sharp image keeps: soft backgrounds and bokeh are content to
 * leave alone, and only the motion is to be removed.
 */
export const LENS_TRAINING: readonly WeightedGenerator[] = MIXED_TRAINING.filter((m) => m.generator.model !== 'defocus').map((m) => ({
  weight: m.weight,
  generator: { ...m.generator, depthOfField: 1 / 3, about: `${m.generator.about}; a third of the scenes partly out of focus` },
}));

/**
 * `--mix bokeh`: the lens mixture with half of the scenes out of focus, by disks of 2–40 px: the
 * soft backgrounds of macro and portrait photos are far softer than the lens mixture's 2–12 px,
 * and the networks trained on it still sharpened them (the yardstick's worst images are such
 * crops, sharp or barely blurred).
 */
export const BOKEH_TRAINING: readonly WeightedGenerator[] = LENS_TRAINING.map((m) => ({
  weight: m.weight,
  generator: { ...m.generator, depthOfField: 1 / 2, depthOfFieldRanges: { ...DEPTH_OF_FIELD_RANGES, diameter: [2, 40] }, about: m.generator.about.replace('a third of the scenes partly out of focus', 'half of the scenes partly out of focus, disks of 2–40 px') },
}));

/**
 * `--mix grain`: the bokeh mixture with camera effects on half of the pairs, and two thirds of
 * their sensor noise grain of the scene that the sharp image keeps. Networks trained with noise on
 * the blurred image alone learned to denoise: on photos with grain of their own, sharp or barely
 * blurred, that costs many decibels (the yardstick's worst images were such crops, their grain
 * smoothed away). For an input with noise the target now keeps it more often than not.
 */
export const GRAIN_TRAINING: readonly WeightedGenerator[] = BOKEH_TRAINING.map((m) => ({
  weight: m.weight,
  generator: { ...m.generator, camera: 1 / 2, grain: 2 / 3, about: `${m.generator.about}; camera effects on half of the pairs, two thirds of their noise grain the sharp image keeps` },
}));

/** The first shipped network's data: the lab's shake alone, 8–32 px, sRGB average, flat crops redrawn. */
export const SHAKE_ONLY: readonly WeightedGenerator[] = [
  { weight: 1, generator: gen({ name: 'shake', family: 'lab', model: 'shake', extent: [8, 32], sharpFrame: 'mean', average: 'srgb', camera: 0, about: 'camera shake, 8–32 px' }) },
];

/** A single generator for one model over an extent range (`synth --model`). */
export function singleGenerator(model: BlurModel, extent: readonly [number, number]): WeightedGenerator[] {
  return [{ weight: 1, generator: { name: model, family: model === 'gopro' ? 'gopro' : 'lab', model, extent, ...(model === 'shake' ? { sharpFrame: 'mean' as const } : {}), average: 'srgb', camera: 0, about: `${model}, ${extent[0]}–${extent[1]} px` } }];
}

/** The families a mixture draws from. */
export function familiesOf(mix: readonly WeightedGenerator[]): GeneratorFamily[] {
  return [...new Set(mix.map((m) => m.generator.family))];
}

import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from './errors';
import { SHIPPED_WEIGHTS } from './infer/weights';
import { findCheckpoint } from './train/checkpoint';

/**
 * What a notebook runs on, from the environment (Jupyter's "parameters" cell convention: the
 * notebook's first code cell, tagged `parameters`, reads these), so that the same notebook looks
 * at a user's own data and weights: `npm run notebooks -- 06-dffm-attention --weights A,B` sets
 * them, and so can a shell before `npm run lab`.
 *   DEBLUR_DATA     dataset folder (default data/sample)
 *   DEBLUR_SPLIT    train or test (default test)
 *   DEBLUR_WEIGHTS  weights folders or runs, comma-separated (default the shipped network)
 *   DEBLUR_LIMIT    at most this many images (default all)
 */
export interface NotebookParameters {
  data: string;
  split: 'train' | 'test';
  weights: string[];
  limit?: number;
}

export const PARAMETER_VARIABLES = { data: 'DEBLUR_DATA', split: 'DEBLUR_SPLIT', weights: 'DEBLUR_WEIGHTS', limit: 'DEBLUR_LIMIT' } as const;

/** Reads and checks the parameters; a bad value is one UsageError naming the variable. */
export function notebookParameters(env: NodeJS.ProcessEnv = process.env, root = process.cwd()): NotebookParameters {
  const data = env[PARAMETER_VARIABLES.data] || 'data/sample';
  if (!fs.existsSync(path.resolve(root, data))) throw new UsageError(`${PARAMETER_VARIABLES.data}: no folder ${data}`);
  const split = env[PARAMETER_VARIABLES.split] || 'test';
  if (split !== 'train' && split !== 'test') throw new UsageError(`${PARAMETER_VARIABLES.split} must be train or test (got ${split})`);
  const weights = (env[PARAMETER_VARIABLES.weights] || SHIPPED_WEIGHTS).split(',').map((w) => w.trim()).filter(Boolean);
  if (weights.length === 0) throw new UsageError(`${PARAMETER_VARIABLES.weights}: no weights named`);
  for (const w of weights) {
    const dir = path.resolve(root, w);
    const usable = fs.existsSync(path.join(dir, 'model.json')) || findCheckpoint(dir) !== undefined;
    if (!usable) throw new UsageError(`${PARAMETER_VARIABLES.weights}: ${w} holds no network (a weights folder with model.json, or a training run)`);
  }
  const limitText = env[PARAMETER_VARIABLES.limit];
  let limit: number | undefined;
  if (limitText) {
    limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`${PARAMETER_VARIABLES.limit} must be a whole number ≥ 1 (got ${limitText})`);
  }
  return { data, split, weights, ...(limit !== undefined ? { limit } : {}) };
}

/** One line for a notebook's output and the report page: what the notebook ran on. */
export function describeParameters(p: NotebookParameters): string {
  return `data ${p.data} (${p.split} split${p.limit !== undefined ? `, at most ${p.limit} images` : ''}); weights ${p.weights.join(', ')}`;
}

/** The environment that makes a notebook run on these parameters (for the notebook runner). */
export function parameterEnvironment(p: Partial<NotebookParameters>): Record<string, string> {
  return {
    ...(p.data !== undefined ? { [PARAMETER_VARIABLES.data]: p.data } : {}),
    ...(p.split !== undefined ? { [PARAMETER_VARIABLES.split]: p.split } : {}),
    ...(p.weights !== undefined ? { [PARAMETER_VARIABLES.weights]: p.weights.join(',') } : {}),
    ...(p.limit !== undefined ? { [PARAMETER_VARIABLES.limit]: String(p.limit) } : {}),
  };
}

import * as fs from 'node:fs';
import { UsageError } from '../errors';
import { configDifference, configFromSpec, variantConfig, type NetConfig, type VariantName } from '../model/config';

export { configDifference };

/**
 * The network a command should build: a named variant, or a JSON config file. The file holds a
 * NetConfig or part of one, laid over the variant it names (`"variant": "lite"`, default `full`),
 * e.g. `{ "variant": "lite", "channels": 24, "msrm": { "caReduction": 4 } }`.
 */
export function chooseConfig(o: { variant?: string; config?: string }): { config: NetConfig; variant?: VariantName } {
  if (o.variant !== undefined && o.config !== undefined) throw new UsageError('give --variant or --config, not both');
  if (o.config === undefined) {
    const name = o.variant ?? 'full';
    return { config: variantConfig(name), variant: name as VariantName }; // variantConfig refuses unknown names
  }
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(o.config, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(`--config ${o.config}: ${err.code === 'ENOENT' ? 'no such file' : `not valid JSON (${err.message})`}`);
  }
  try {
    return { config: configFromSpec(json).config };
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`--config ${o.config}: ${e.message}`);
    throw e;
  }
}

/** `--variant V` given with `--weights`: the weights must be that variant's network. */
export function requireVariant(config: NetConfig, variant: string | undefined, weightsDir: string): void {
  if (variant === undefined) return;
  const diff = configDifference(config, variantConfig(variant));
  if (diff) throw new UsageError(`--weights ${weightsDir} hold a different network from variant ${variant} (weights vs variant: ${diff})`);
}

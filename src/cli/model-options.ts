import * as fs from 'node:fs';
import { UsageError } from '../errors';
import { VARIANTS, configDifference, isVariantName, validateConfig, variantConfig, type NetConfig, type VariantName } from '../model/config';

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
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UsageError(`--config ${o.config}: expected a JSON object`);
  const { variant = 'full', ...fields } = json as Record<string, unknown>;
  if (typeof variant !== 'string' || !isVariantName(variant)) throw new UsageError(`--config ${o.config}: unknown variant ${JSON.stringify(variant)}`);
  const base = VARIANTS[variant] as unknown as Record<string, unknown>;
  const known = new Set(Object.keys(base));
  const unknown = Object.keys(fields).filter((k) => !known.has(k));
  if (unknown.length) throw new UsageError(`--config ${o.config}: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  const merged: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(fields)) {
    const b = base[k];
    merged[k] = typeof b === 'object' && b !== null && typeof v === 'object' && v !== null ? { ...b, ...v } : v;
  }
  const config = merged as unknown as NetConfig;
  validateConfig(config);
  return { config };
}

/** `--variant V` given with `--weights`: the weights must be that variant's network. */
export function requireVariant(config: NetConfig, variant: string | undefined, weightsDir: string): void {
  if (variant === undefined) return;
  const diff = configDifference(config, variantConfig(variant));
  if (diff) throw new UsageError(`--weights ${weightsDir} hold a different network from variant ${variant} (weights vs variant: ${diff})`);
}

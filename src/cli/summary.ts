import type { Command } from 'commander';
import { startCpu } from '../backend';
import { VARIANT_NAMES, variantConfig } from '../model/config';
import { summarize, type NetSummary } from '../model/summary';
import { giga, table, thousands } from './format';
import { imageSize, nonNegativeInt, positiveInt } from './options';

export function describeSummary(variant: string, s: NetSummary): string {
  const c = s.config;
  const title = `variant ${variant}: ${c.block} blocks, ${c.skip} skips, C=${c.channels}, N=${c.blocks}; multiply-adds for one ${s.height}×${s.width} image`;
  const rows = s.modules.map((m) => [m.module, thousands(m.params), giga(m.macs)]);
  rows.push(['total', thousands(s.params), giga(s.macs)]);
  return `${title}\n${table(['module', 'params', 'G MACs'], rows)}`;
}

export function registerSummary(program: Command): void {
  program
    .command('summary')
    .description('parameters per module and in total, and multiply-adds for an input size')
    .option('--variant <name>', `one of ${VARIANT_NAMES.join(', ')}`, 'full')
    .option('--channels <C>', 'base width C (overrides the variant)', positiveInt)
    .option('--blocks <N>', 'blocks per group N (overrides the variant)', nonNegativeInt)
    .option('--size <HxW>', 'input size for multiply-adds', imageSize, { height: 256, width: 256 })
    .option('--json', 'print one JSON object: {variant, params, macs, modules, config, height, width}')
    .action(async (o: { variant: string; channels?: number; blocks?: number; size: { height: number; width: number }; json?: boolean }) => {
      const cfg = variantConfig(o.variant, { ...(o.channels !== undefined ? { channels: o.channels } : {}), ...(o.blocks !== undefined ? { blocks: o.blocks } : {}) });
      await startCpu(); // building the graph computes nothing heavy
      const s = summarize(cfg, o.size.height, o.size.width);
      console.log(o.json ? JSON.stringify({ variant: o.variant, ...s }) : describeSummary(o.variant, s));
    });
}

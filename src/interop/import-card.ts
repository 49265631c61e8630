import type { NetConfig } from '../model/config';
import { resamplingOf } from '../model/config';
import type { ImportedNetwork } from './import-torch';

export interface ImportSource {
  /** The checkpoint file as the user named it. */
  file: string;
  sha256: string;
  bytes: number;
  /** The dict key the state_dict sat under, '' for a bare one. */
  wrapper: string;
  tensors: number;
  /** The user's words: where it came from, its licence. */
  note?: string;
}

function describeConfig(c: NetConfig): string {
  const r = resamplingOf(c);
  return `${c.block} blocks, ${c.skip} skips, C = ${c.channels}, N = ${c.blocks}; input pyramid ${r.pyramid}, skip downscaling ${r.skipDown}, stride-2 padding ${r.stridePadding}`;
}

/** card.md of an imported weights folder: what it is, where it came from, how it was mapped. */
export function importCard(net: Omit<ImportedNetwork, 'model'>, params: number, src: ImportSource, date: Date): string {
  const layout = net.layout === 'official' ? "MIMO-UNet's official code (Cho et al. 2021; `Encoder.0.layers.0.main.0.main.0.weight`, …)" : "the lab's PyTorch twin (`python/deblur_twin/torch_twin.py`; `layers.<lab layer>.weight`)";
  const rows: [string, string][] = [
    ['architecture', net.arch],
    ['network', describeConfig(net.config)],
    ['parameters', params.toLocaleString('en-US')],
    ['key layout', layout],
    ['config from', net.configFrom === 'checkpoint' ? "the checkpoint's own record (`deblurLab.config`)" : 'its keys and tensor shapes'],
    ['source file', `\`${src.file}\` (${src.bytes.toLocaleString('en-US')} bytes, sha256 \`${src.sha256}\`)`],
    ['state_dict', `${src.tensors} tensors${src.wrapper ? `, under \`['${src.wrapper}']\`` : ' (bare)'}`],
    ['imported', date.toISOString().slice(0, 10)],
  ];
  const lines = [
    `# Imported from a PyTorch checkpoint: ${net.arch}`,
    '',
    'Written by `deblur-lab import-torch`. Every tensor of the checkpoint sits in exactly one weight of the lab\'s network',
    '(kernels permuted from PyTorch\'s NCHW layouts to tfjs\'s); the network applies them with the conventions listed under',
    '"network", which for MIMO-UNet\'s layout are PyTorch\'s, so it computes what the PyTorch module computes.',
    '',
    '| | |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    '',
    '## Source and licence',
    '',
    src.note ?? 'Not recorded: the weights carry the licence of wherever the checkpoint came from. Re-import with `--note "…"` to record its source and licence here.',
    '',
  ];
  return lines.join('\n');
}

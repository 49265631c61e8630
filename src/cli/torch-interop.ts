import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { startCpu } from '../backend';
import { UsageError } from '../errors';
import { loadWeights } from '../infer/weights';
import { checkpointFromNetwork } from '../interop/export-torch';
import { importCard } from '../interop/import-card';
import { networkFromCheckpoint, TORCH_ARCHS, type TorchArch } from '../interop/import-torch';
import { readTorchCheckpoint, writeTorchCheckpoint } from '../interop/torch-checkpoint';
import { hasOfficialDesign, type TorchLayout } from '../interop/torch-names';
import { departuresFromTorch } from '../model/config';
import { saveModel } from '../model/io';

interface ImportOptions {
  out: string;
  arch?: string;
  note?: string;
  force?: boolean;
  trustPickle?: boolean;
}

interface ExportOptions {
  weights: string;
  out: string;
  layout: string;
  force?: boolean;
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

async function importTorch(file: string, o: ImportOptions): Promise<void> {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new UsageError(`${file}: no such file`);
  if (o.arch !== undefined && !(TORCH_ARCHS as readonly string[]).includes(o.arch)) throw new UsageError(`--arch must be one of ${TORCH_ARCHS.join(', ')} (got ${o.arch})`);
  if (fs.existsSync(path.join(o.out, 'model.json')) && !o.force) throw new UsageError(`${o.out} already holds a network (model.json): pass --force to replace it (nothing was written)`);
  if (fs.existsSync(o.out) && !fs.statSync(o.out).isDirectory()) throw new UsageError(`--out ${o.out}: not a folder`);
  await startCpu();
  const ckpt = readTorchCheckpoint(file, o.trustPickle ?? false);
  const net = networkFromCheckpoint(ckpt, o.arch as TorchArch | undefined, file);
  try {
    await saveModel(net.model, o.out);
    const params = net.model.countParams();
    const source = { file: path.basename(file), sha256: sha256(file), bytes: fs.statSync(file).size, wrapper: ckpt.wrapper, tensors: ckpt.tensors.length, ...(o.note ? { note: o.note } : {}) };
    const { model: _, ...described } = net;
    fs.writeFileSync(path.join(o.out, 'card.md'), importCard(described, params, source, new Date()));
    console.log(`imported ${net.arch} (${net.layout} layout, ${params.toLocaleString('en-US')} parameters, ${ckpt.tensors.length} tensors) into ${o.out}; use it with --weights ${o.out}`);
  } finally {
    net.model.dispose();
  }
}

/** 'auto': MIMO-UNet's own layout where the network is one that MIMO-UNet's code computes exactly. */
function chooseLayout(requested: string, config: Parameters<typeof hasOfficialDesign>[0] & Parameters<typeof departuresFromTorch>[0]): TorchLayout {
  if (requested === 'twin' || requested === 'official') return requested;
  if (requested !== 'auto') throw new UsageError(`--layout must be auto, twin or official (got ${requested})`);
  return hasOfficialDesign(config) && departuresFromTorch(config).length === 0 ? 'official' : 'twin';
}

async function exportTorch(o: ExportOptions): Promise<void> {
  if (fs.existsSync(o.out) && !o.force) throw new UsageError(`${o.out} already exists: pass --force to overwrite it (nothing was written)`);
  await startCpu();
  const w = await loadWeights(o.weights);
  try {
    const layout = chooseLayout(o.layout, w.config);
    const ckpt = await checkpointFromNetwork(w.model, w.config, layout, w.dir);
    writeTorchCheckpoint(o.out, ckpt);
    const values = ckpt.tensors.reduce((a, t) => a + t.values.length, 0);
    console.log(`wrote ${o.out}: {'model': state_dict in the ${layout} layout (${ckpt.tensors.length} tensors, ${values.toLocaleString('en-US')} values), 'deblurLab': its config}`);
  } finally {
    w.model.dispose();
  }
}

export function registerTorchInterop(program: Command): void {
  program
    .command('import-torch')
    .description("a PyTorch checkpoint (MIMO-UNet's official layout or the lab's twin) → a weights folder that --weights takes")
    .argument('<file>', 'a file torch.save wrote: a state_dict, or {"model": state_dict} as MIMO-UNet releases it')
    .requiredOption('--out <dir>', 'the weights folder to write (model.json, shards, card.md)')
    .option('--arch <name>', `${TORCH_ARCHS.join(', ')} (default: from the keys)`)
    .option('--note <text>', "the checkpoint's source and licence, for the card")
    .option('--force', 'replace a network already in --out')
    .option('--trust-pickle', 'read a checkpoint that holds more than tensors (e.g. an optimizer\'s state) even though that runs code it names: only for files you trust')
    .action((file: string, o: ImportOptions) => importTorch(file, o));
  program
    .command('export-torch')
    .description('lab weights → a PyTorch checkpoint {"model": state_dict, "deblurLab": config} that import-torch and the twin read')
    .requiredOption('--weights <dir>', 'weights folder, or a training run / checkpoint folder')
    .requiredOption('--out <file>', 'the checkpoint to write (e.g. net.pt)')
    .option('--layout <name>', "twin (the lab's PyTorch twin's names, any network), official (MIMO-UNet's, its design with PyTorch's resampling only), or auto", 'auto')
    .option('--force', 'overwrite --out')
    .action((o: ExportOptions) => exportTorch(o));
}

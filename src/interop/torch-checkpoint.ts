import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NetConfig } from '../model/config';
import { checkpointIo } from './python-torch';

/** One tensor of a state_dict, as float32 values in PyTorch's layout (row-major, NCHW kernels). */
export interface TorchTensor {
  key: string;
  shape: number[];
  values: Float32Array;
}

/** What the lab writes beside the state_dict (export-torch, the twin's trainer); read back on import. */
export interface LabCheckpointMeta {
  config?: NetConfig;
  layout?: string;
  /** Where the weights came from (a weights folder, a training run). */
  source?: string;
  [other: string]: unknown;
}

export interface TorchCheckpoint {
  tensors: TorchTensor[];
  deblurLab: LabCheckpointMeta | null;
  /** The dict key the state_dict sat under ('model', 'state_dict'), or '' for a bare state_dict. */
  wrapper: string;
}

interface ExchangeMeta {
  tensors: { key: string; shape: number[] }[];
  deblurLab: LabCheckpointMeta | null;
  wrapper?: string;
}

function withExchangeDir<R>(run: (dir: string) => R): R {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deblur-lab-torch-'));
  try {
    return run(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Reads a checkpoint torch.save wrote (zip or legacy format) through deblur_twin.checkpoint_io:
 * tensors and plain containers only, unless `trust` (then the pickle may run code it names).
 */
export function readTorchCheckpoint(file: string, trust = false): TorchCheckpoint {
  return withExchangeDir((dir) => {
    checkpointIo(trust ? ['read', path.resolve(file), dir, '--trust'] : ['read', path.resolve(file), dir], file);
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')) as ExchangeMeta;
    const bytes = fs.readFileSync(path.join(dir, 'data.bin'));
    const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    let offset = 0;
    const tensors = meta.tensors.map((t) => {
      const size = t.shape.reduce((a, b) => a * b, 1);
      const values = all.subarray(offset, offset + size);
      offset += size;
      return { key: t.key, shape: t.shape, values };
    });
    return { tensors, deblurLab: meta.deblurLab, wrapper: meta.wrapper ?? '' };
  });
}

/** Writes {'model': state_dict, 'deblurLab': meta} with torch.save (zip format), atomically. */
export function writeTorchCheckpoint(file: string, ckpt: Pick<TorchCheckpoint, 'tensors' | 'deblurLab'>): void {
  withExchangeDir((dir) => {
    const meta: ExchangeMeta = { tensors: ckpt.tensors.map((t) => ({ key: t.key, shape: t.shape })), deblurLab: ckpt.deblurLab };
    fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(meta));
    const fd = fs.openSync(path.join(dir, 'data.bin'), 'w');
    try {
      for (const t of ckpt.tensors) fs.writeSync(fd, new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength));
    } finally {
      fs.closeSync(fd);
    }
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    checkpointIo(['write', dir, path.resolve(file)], file);
  });
}

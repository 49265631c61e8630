import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors';
import { SIZE_MULTIPLE } from '../infer/restore';
import { rastersToBatch, type Raster } from '../data/raster';

/** Where an MSRM sits: encoder (em) or decoder (dm) level 1–3, block index 1..N. */
export interface MsrmSite {
  module: string; // e.g. "em2_b3"
  stage: 'encoder' | 'decoder';
  level: number;
  block: number;
}

export interface ProbeResult {
  /** The network's own outputs [S3, S2, S1]. */
  outputs: tf.Tensor4D[];
  /** Every MSRM's branch outputs y1..y4, each [batch, h, w, C_level/4]. */
  msrm: (MsrmSite & { branches: tf.Tensor4D[] })[];
  /** Every DFFM's softmax weights, [batch, C_level, 3]: per channel, the share of E1, E2, E3. */
  dffm: { module: string; level: number; weights: tf.Tensor3D }[];
  /**
   * Every block's channel attention (MSRM's CA, Res2Net's SE): the sigmoid output that scales each
   * channel of the block's fused features before the residual, [batch, C_level], each in (0, 1).
   */
  channelAttention: (MsrmSite & { weights: tf.Tensor2D })[];
  /**
   * Every FAM's attention map z = SCM(B_k), [batch, H/2^(k-1), W/2^(k-1), C_k]: the encoder's
   * features x enter level k as x + conv3×3(x ⊙ z), so z says, per pixel and channel, how much of x
   * passes into the merge.
   */
  fam: { module: string; level: number; map: tf.Tensor4D }[];
}

const BRANCH = /^(em|dm)([1-3])_b(\d+)_y([1-4])$/;
const WEIGHTS = /^dffm([12])_weights$/;
const ATTENTION = /^(em|dm)([1-3])_b(\d+)_(ca|se)_up$/;
const FAM = /^fam([23])_mul$/;

/**
 * A multi-output view of `model` that also returns every MSRM branch and DFFM weight tensor.
 * It shares the model's layers and weights (tf.model over existing symbolic tensors), so it is
 * not a second copy and stays in sync while the model trains. Works on loaded models too: the
 * modules are found by their layer names.
 */
export class Probe {
  private readonly view: tf.LayersModel;
  private readonly sites: MsrmSite[] = [];
  private readonly dffmLevels: number[] = [];
  private readonly caSites: MsrmSite[] = [];
  private readonly famLevels: number[] = [];

  constructor(readonly model: tf.LayersModel) {
    const branchOutputs: tf.SymbolicTensor[] = [];
    const bySite = new Map<string, tf.SymbolicTensor[]>();
    const weightOutputs: tf.SymbolicTensor[] = [];
    const attentionOutputs: tf.SymbolicTensor[] = [];
    const famOutputs: tf.SymbolicTensor[] = [];
    for (const layer of model.layers) {
      const a = ATTENTION.exec(layer.name);
      if (a) {
        this.caSites.push({ module: `${a[1]}${a[2]}_b${a[3]}`, stage: a[1] === 'em' ? 'encoder' : 'decoder', level: Number(a[2]), block: Number(a[3]) });
        attentionOutputs.push(layer.output as tf.SymbolicTensor);
      }
      const f = FAM.exec(layer.name);
      if (f) {
        // FAM's product x ⊙ z: its second input is z, the map (fam.ts).
        this.famLevels.push(Number(f[1]));
        famOutputs.push(layer.inboundNodes[0]!.inputTensors[1] as tf.SymbolicTensor);
      }
      const b = BRANCH.exec(layer.name);
      if (b) {
        const key = `${b[1]}${b[2]}_b${b[3]}`;
        if (!bySite.has(key)) {
          bySite.set(key, []);
          this.sites.push({ module: key, stage: b[1] === 'em' ? 'encoder' : 'decoder', level: Number(b[2]), block: Number(b[3]) });
        }
        bySite.get(key)![Number(b[4]) - 1] = layer.output as tf.SymbolicTensor;
      }
      const w = WEIGHTS.exec(layer.name);
      if (w) {
        this.dffmLevels.push(Number(w[1]));
        weightOutputs.push(layer.output as tf.SymbolicTensor);
      }
    }
    for (const s of this.sites) branchOutputs.push(...bySite.get(s.module)!);
    this.view = tf.model({
      inputs: model.inputs,
      outputs: [...(model.outputs as tf.SymbolicTensor[]), ...branchOutputs, ...weightOutputs, ...attentionOutputs, ...famOutputs],
      name: `${model.name}_probe`,
    });
  }

  get msrmSites(): readonly MsrmSite[] {
    return this.sites;
  }

  /** The blocks whose channel attention the probe reads, in the order of `channelAttention`. */
  get attentionSites(): readonly MsrmSite[] {
    return this.caSites;
  }

  get famCount(): number {
    return this.famLevels.length;
  }

  get dffmCount(): number {
    return this.dffmLevels.length;
  }

  /** Runs the model once on `blurred` ([batch, H, W, 3], H and W multiples of 4). Dispose the result. */
  run(blurred: tf.Tensor4D): ProbeResult {
    const [, h, w] = blurred.shape;
    if (h % SIZE_MULTIPLE !== 0 || w % SIZE_MULTIPLE !== 0) {
      throw new UsageError(`probes need H and W divisible by ${SIZE_MULTIPLE} (got ${w}×${h}); crop the image first`);
    }
    const all = this.view.predict(blurred) as tf.Tensor[];
    const nOut = this.model.outputs.length;
    const outputs = all.slice(0, nOut) as tf.Tensor4D[];
    let i = nOut;
    const msrm = this.sites.map((s) => ({ ...s, branches: all.slice(i, (i += 4)) as tf.Tensor4D[] }));
    const dffm = this.dffmLevels.map((level) => ({ module: `dffm${level}`, level, weights: all[i++] as tf.Tensor3D }));
    const channelAttention = this.caSites.map((s) => ({ ...s, weights: all[i++] as tf.Tensor2D }));
    const fam = this.famLevels.map((level) => ({ module: `fam${level}`, level, map: all[i++] as tf.Tensor4D }));
    return { outputs, msrm, dffm, channelAttention, fam };
  }
}

/** Disposes every tensor in a ProbeResult. */
export function disposeProbes(r: ProbeResult): void {
  tf.dispose([...r.outputs, ...r.msrm.flatMap((m) => m.branches), ...r.dffm.map((d) => d.weights), ...r.channelAttention.map((a) => a.weights), ...r.fam.map((f) => f.map)]);
}

/**
 * One probe's readings over many images (same size, sides divisible by the probe's multiple),
 * probed `batch` at a time so memory stays bounded: `pick` names each reading of a batch and gives
 * its per-image tensor (images first); each name's parts are concatenated over all images and
 * handed to `summarise`, in the order the names were first met, as one probe over all the images
 * would give them. Every tensor made here is disposed.
 */
export async function probeOver<K, T extends tf.Tensor, S>(
  probe: Probe,
  images: readonly Raster[],
  pick: (r: ProbeResult) => Array<{ key: string; about: K; value: T }>,
  summarise: (about: K, all: T) => Promise<S>,
  o: { batch?: number; progress?: { update(done: number): void; stop(): void } } = {},
): Promise<S[]> {
  const step = o.batch ?? 4;
  const parts = new Map<string, { about: K; values: T[] }>();
  try {
    for (let i = 0; i < images.length; i += step) {
      const batch = rastersToBatch(images.slice(i, i + step));
      try {
        const r = probe.run(batch);
        for (const { key, about, value } of pick(r)) {
          const e = parts.get(key) ?? { about, values: [] };
          e.values.push(tf.clone(value));
          parts.set(key, e);
        }
        disposeProbes(r);
      } finally {
        batch.dispose();
      }
      o.progress?.update(Math.min(i + step, images.length));
    }
    const out: S[] = [];
    for (const e of parts.values()) {
      const all = tf.concat(e.values, 0) as T;
      try {
        out.push(await summarise(e.about, all));
      } finally {
        all.dispose();
      }
    }
    return out;
  } finally {
    for (const e of parts.values()) tf.dispose(e.values);
    o.progress?.stop();
  }
}

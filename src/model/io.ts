import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors';

/** tfjs-converter's shard size: browsers fetch weight files of at most 4 MB. */
const SHARD_BYTES = 4 * 1024 * 1024;

/**
 * Saves `model` in the standard tfjs layers format: `model.json` + `group1-shardNofM.bin`, the
 * layout tf.loadLayersModel reads in a browser. (tfjs's own file:// handler lives in tfjs-node,
 * which cannot be installed here, hence this one.) Each file is written beside its final name
 * and renamed, so a reader never sees a half-written file.
 */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = new Uint8Array(concatBuffers(artifacts.weightData));
      const count = Math.max(1, Math.ceil(data.byteLength / SHARD_BYTES));
      const paths: string[] = [];
      for (let i = 0; i < count; i++) {
        const name = `group1-shard${i + 1}of${count}.bin`;
        paths.push(name);
        writeAtomically(path.join(dir, name), data.subarray(i * SHARD_BYTES, (i + 1) * SHARD_BYTES));
      }
      const json = {
        modelTopology: artifacts.modelTopology,
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: 'deblur-lab',
        userDefinedMetadata: artifacts.userDefinedMetadata,
        weightsManifest: [{ paths, weights: artifacts.weightSpecs }],
      };
      writeAtomically(path.join(dir, 'model.json'), Buffer.from(JSON.stringify(json)));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}

/** Loads a model saved by saveModel (or any tfjs layers model directory). */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  const jsonPath = path.join(dir, 'model.json');
  if (!fs.existsSync(jsonPath)) throw new UsageError(`${dir}: no model.json here (is it a weights folder?)`);
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as tf.io.ModelJSON;
  } catch (e) {
    throw new UsageError(`${jsonPath}: not valid JSON (${(e as Error).message})`);
  }
  const manifest = json.weightsManifest ?? [];
  const buffers: Buffer[] = [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  for (const group of manifest) {
    for (const p of group.paths) {
      const file = path.join(dir, p);
      if (!fs.existsSync(file)) throw new UsageError(`${dir}: weight file ${p} named in model.json is missing`);
      buffers.push(fs.readFileSync(file));
    }
    specs.push(...group.weights);
  }
  const weightData = new Uint8Array(Buffer.concat(buffers)).buffer;
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology,
    weightSpecs: specs,
    weightData,
    ...(json.userDefinedMetadata ? { userDefinedMetadata: json.userDefinedMetadata } : {}),
  };
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}

function concatBuffers(data: tf.io.WeightData | undefined): ArrayBuffer {
  if (data === undefined) return new ArrayBuffer(0);
  return Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data;
}

function writeAtomically(file: string, bytes: Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
}

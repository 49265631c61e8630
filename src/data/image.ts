import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import type { Metadata, OutputInfo } from 'sharp';
import { UsageError } from '../errors';

export interface LoadedImage {
  /** [1, H, W, 3] float32 in [0, 1]. */
  tensor: tf.Tensor4D;
  width: number;
  height: number;
  /** What was converted on the way in (grey → RGB, alpha dropped, 16 → 8 bit, ...). */
  conversions: string[];
}

/**
 * Reads a PNG or JPEG as an RGB float image in [0, 1]. Grey is replicated to RGB and alpha is
 * dropped; both are reported in `conversions`. A missing, empty, corrupt or unsupported file is a
 * UsageError naming the file and the reason.
 */
export async function readImage(file: string): Promise<LoadedImage> {
  if (!fs.existsSync(file)) throw new UsageError(`${file}: no such file`);
  if (fs.statSync(file).size === 0) throw new UsageError(`${file}: empty file`);
  let meta: Metadata;
  try {
    meta = await sharp(file).metadata();
  } catch (e) {
    throw new UsageError(`${file}: not a readable image (${(e as Error).message})`);
  }
  if (meta.format !== 'png' && meta.format !== 'jpeg') throw new UsageError(`${file}: unsupported format ${meta.format} (PNG or JPEG only)`);
  const conversions: string[] = [];
  if ((meta.channels ?? 3) < 3) conversions.push('grey → RGB');
  if (meta.hasAlpha) conversions.push('alpha dropped');
  const sixteen = meta.depth === 'ushort';
  if (sixteen) conversions.push('16-bit → float');
  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await sharp(file).toColourspace(sixteen ? 'rgb16' : 'srgb').removeAlpha().raw({ depth: sixteen ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new UsageError(`${file}: cannot decode (${(e as Error).message})`);
  }
  const { width, height, channels } = raw.info;
  if (channels !== 3) throw new UsageError(`${file}: decoded to ${channels} channels, expected 3`);
  const values = sixteen
    ? Float32Array.from(new Uint16Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength / 2), (v) => v / 65535)
    : Float32Array.from(raw.data, (v) => v / 255);
  return { tensor: tf.tensor4d(values, [1, height, width, 3]), width, height, conversions };
}

/** Writes an [H, W, 3] or [1, H, W, 3] image in [0, 1] as an 8-bit PNG (values clipped, rounded). */
export async function writePng(file: string, image: tf.Tensor): Promise<void> {
  const [h, w, c] = image.rank === 4 ? image.shape.slice(1) : image.shape;
  if (c !== 3 || (image.rank === 4 && image.shape[0] !== 1)) throw new Error(`writePng: expected one RGB image, got [${image.shape}]`);
  const bytes = tf.tidy(() => tf.cast(tf.round(tf.mul(tf.clipByValue(image, 0, 1), 255)), 'int32'));
  const data = Uint8Array.from(await bytes.data());
  bytes.dispose();
  const tmp = `${file}.tmp-${process.pid}.png`;
  await sharp(Buffer.from(data), { raw: { width: w!, height: h!, channels: 3 } }).png().toFile(tmp);
  fs.renameSync(tmp, file);
}

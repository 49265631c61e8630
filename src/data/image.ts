import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import type { Metadata, OutputInfo } from 'sharp';
import { UsageError } from '../errors';
import { createRaster, rasterToTensor, tensorToRaster, type Raster } from './raster';

export interface ImageHeader {
  width: number;
  height: number;
  format: 'png' | 'jpeg';
}

export interface LoadedRaster {
  raster: Raster;
  /** What was converted on the way in (grey → RGB, alpha dropped, 16-bit → float). */
  conversions: string[];
}

export interface LoadedImage {
  /** [1, H, W, 3] float32 in [0, 1]. */
  tensor: tf.Tensor4D;
  width: number;
  height: number;
  conversions: string[];
}

/** A region to return instead of the whole image (after any resize). */
export interface ReadWindow {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface ReadOptions {
  /** Shrink (never enlarge) so that the longer side is at most this many pixels (Lanczos-3). */
  longSide?: number;
  window?: ReadWindow;
  /** Mirror left–right (after the window is taken). */
  flip?: boolean;
}

async function metadataOf(file: string): Promise<Metadata> {
  if (!fs.existsSync(file)) throw new UsageError(`${file}: no such file`);
  const stat = fs.statSync(file);
  if (stat.isDirectory()) throw new UsageError(`${file}: is a folder, not an image`);
  if (stat.size === 0) throw new UsageError(`${file}: empty file`);
  let meta: Metadata;
  try {
    meta = await sharp(file).metadata();
  } catch (e) {
    throw new UsageError(`${file}: not a readable image (${(e as Error).message})`);
  }
  if (meta.format !== 'png' && meta.format !== 'jpeg') throw new UsageError(`${file}: unsupported format ${meta.format} (PNG or JPEG only)`);
  if (!meta.width || !meta.height) throw new UsageError(`${file}: image has no size`);
  return meta;
}

/** The size an image of width × height has after shrinking (never enlarging) to `longSide`. */
export function shrunkSize(width: number, height: number, longSide?: number): { width: number; height: number; scale: number } {
  const scale = longSide !== undefined ? Math.min(1, longSide / Math.max(width, height)) : 1;
  return { width: Math.round(width * scale), height: Math.round(height * scale), scale };
}

/** Size and format from the file's header, without decoding the pixels. Same errors as readRaster. */
export async function readImageHeader(file: string): Promise<ImageHeader> {
  const meta = await metadataOf(file);
  return { width: meta.width!, height: meta.height!, format: meta.format as 'png' | 'jpeg' };
}

/**
 * Reads a PNG or JPEG as an RGB raster in [0, 1]. Grey is replicated to RGB, alpha is dropped and
 * 16-bit samples keep their precision; each is reported in `conversions`. A missing, empty, corrupt,
 * truncated or unsupported file is a UsageError naming the file and the reason. With `window`, only
 * that region comes back (the file is still decoded whole: PNG has no random access).
 */
export async function readRaster(file: string, o: ReadOptions = {}): Promise<LoadedRaster> {
  const meta = await metadataOf(file);
  const window = o.window;
  const full = shrunkSize(meta.width!, meta.height!, o.longSide);
  const conversions: string[] = [];
  if ((meta.channels ?? 3) < 3) conversions.push('grey → RGB');
  if (meta.hasAlpha) conversions.push('alpha dropped');
  const sixteen = meta.depth === 'ushort';
  if (sixteen) conversions.push('16-bit → float');
  if (full.scale < 1) conversions.push(`resized ${meta.width}×${meta.height} → ${full.width}×${full.height}`);
  if (window) {
    const { left, top, width, height } = window;
    if (left < 0 || top < 0 || width < 1 || height < 1 || left + width > full.width || top + height > full.height) {
      throw new UsageError(`${file}: window ${width}×${height} at (${left}, ${top}) does not fit in the ${full.width}×${full.height} image`);
    }
  }
  let raw: { data: Buffer; info: OutputInfo };
  try {
    // failOn 'error' (sharp's default is 'warning'): truncated files fail rather than decode half-grey.
    let pipeline = sharp(file, { failOn: 'error' }).toColourspace(sixteen ? 'rgb16' : 'srgb').removeAlpha();
    if (full.scale < 1) pipeline = pipeline.resize(full.width, full.height, { kernel: 'lanczos3', fit: 'fill' });
    if (window) pipeline = pipeline.extract({ left: window.left, top: window.top, width: window.width, height: window.height });
    if (o.flip) pipeline = pipeline.flop();
    raw = await pipeline.raw({ depth: sixteen ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new UsageError(`${file}: cannot decode (${(e as Error).message})`);
  }
  const { width, height, channels } = raw.info;
  if (channels !== 3) throw new UsageError(`${file}: decoded to ${channels} channels, expected 3`);
  const samples = sixteen ? new Uint16Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength / 2) : raw.data;
  const values = new Float32Array(samples.length);
  const max = sixteen ? 65535 : 255;
  // A plain loop: Float32Array.from with a map callback is ~10× slower on full frames.
  for (let i = 0; i < samples.length; i++) values[i] = samples[i]! / max;
  return { raster: createRaster(width, height, values), conversions };
}

/** readRaster, as a [1, H, W, 3] tensor for the network. */
export async function readImage(file: string): Promise<LoadedImage> {
  const { raster, conversions } = await readRaster(file);
  return { tensor: rasterToTensor(raster), width: raster.width, height: raster.height, conversions };
}

/** 8-bit PNG bytes of an image in [0, 1] (values clipped, rounded half up). Deterministic. */
export async function encodePng(image: Raster | tf.Tensor): Promise<Buffer> {
  // One rounding rule for both kinds: a tensor is read back and quantised like a raster.
  const { width, height, data } = image instanceof tf.Tensor ? await tensorToRaster(image) : image;
  const bytes = new Uint8Array(data.length);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.round(Math.min(1, Math.max(0, data[i]!)) * 255);
  return sharp(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 9, adaptiveFiltering: true })
    .toBuffer();
}

/** Writes an 8-bit RGB PNG atomically (a temporary file, then a rename): never a half-written image. */
export async function writePng(file: string, image: Raster | tf.Tensor): Promise<void> {
  const png = await encodePng(image);
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, png);
  fs.renameSync(tmp, file);
}

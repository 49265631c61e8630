import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readRaster, writePng } from '../data/image';
import { quantize8, rasterToTensor, tensorToRaster, type Raster } from '../data/raster';
import type { Network } from './restore';
import { deblurImage, labAutoTiling, tilesFor, type AutoTiling, type Tiling } from './deblur';

/**
 * Restorations kept on disk, for networks too slow to rerun each time a notebook is opened (MAXIM:
 * ~17 s per 256² image on 2 cores). A restoration is found by a key over everything it depends on:
 * the network's identity (its name, version and a digest of its definition), the tiling, and the
 * blurred image's pixels, so a changed network or input can never be answered from the cache.
 * Each entry is the scored 8-bit PNG plus a JSON line of how it was made.
 */
export interface RestorationCache {
  /** What the restorations depend on besides the input, e.g. "maxim-deblurring 0.1.0 model.json sha256:…". */
  identity: string;
  /** A folder name for this network's entries (readable; the key carries the identity). */
  name: string;
  /** Folders searched, in order (committed restorations first, then the local cache). */
  readFrom: readonly string[];
  /** Where new restorations are written. */
  writeTo: string;
  /** What tiling 'auto' means for this network (default: the lab's). */
  autoTiling?: AutoTiling;
}

const ROOT = path.resolve(__dirname, '..', '..');
/** Restorations committed with the lab (with their sources and licences beside them). */
export const COMMITTED_RESTORATIONS = path.join(ROOT, 'data', 'restored');
/** Restorations made on this machine. */
export const LOCAL_RESTORATIONS = path.join(ROOT, 'build', 'cache', 'restored');

/** How a cached restoration was made. */
export interface CachedEntry {
  identity: string;
  tiling: Tiling;
  width: number;
  height: number;
  /** Seconds the network took when it was made. */
  seconds: number;
  tiles: number;
  /** The pair id or file it was made for (informative; the key is the pixels). */
  source: string;
}

/**
 * The key of a restoration: SHA-256 over the identity, the tiling and the input's size and pixels.
 * Where 'auto' tiles the image, the tiles it chose are in the key too (a whole image's key has
 * none), so a network whose 'auto' changes its tiles is never answered with the old tiles' output.
 */
export function restorationKey(identity: string, tiling: Tiling, blur: Raster, auto: AutoTiling = labAutoTiling()): string {
  const h = createHash('sha256');
  const autoTiles = tiling === 'auto' ? tilesFor(tiling, blur.height, blur.width, auto) : undefined;
  h.update(JSON.stringify({ identity, tiling, width: blur.width, height: blur.height, ...(autoTiles ? { autoTiles } : {}) }));
  h.update(Buffer.from(blur.data.buffer, blur.data.byteOffset, blur.data.byteLength));
  return h.digest('hex').slice(0, 32);
}

/** The cached restoration of `blur`, or undefined. */
export async function readCached(cache: RestorationCache, tiling: Tiling, blur: Raster): Promise<{ restored: Raster; entry: CachedEntry } | undefined> {
  const key = restorationKey(cache.identity, tiling, blur, cache.autoTiling);
  for (const dir of cache.readFrom) {
    const png = path.join(dir, cache.name, `${key}.png`);
    const meta = path.join(dir, cache.name, `${key}.json`);
    if (!fs.existsSync(png) || !fs.existsSync(meta)) continue;
    let entry: CachedEntry;
    let raster: Raster;
    try {
      entry = JSON.parse(fs.readFileSync(meta, 'utf8')) as CachedEntry;
      raster = (await readRaster(png)).raster;
    } catch (e) {
      throw new Error(`restoration cache: cannot read ${png} (${(e as Error).message}): delete it and its .json to have it made again`);
    }
    if (raster.width !== blur.width || raster.height !== blur.height) throw new Error(`restoration cache: ${png} is ${raster.width}×${raster.height}, its input ${blur.width}×${blur.height}: delete it`);
    return { restored: raster, entry };
  }
  return undefined;
}

/** Keeps a restoration (an 8-bit raster, as scored) in the cache's write folder. */
export async function writeCached(cache: RestorationCache, tiling: Tiling, blur: Raster, restored: Raster, made: Pick<CachedEntry, 'seconds' | 'tiles' | 'source'>): Promise<void> {
  const key = restorationKey(cache.identity, tiling, blur, cache.autoTiling);
  const dir = path.join(cache.writeTo, cache.name);
  fs.mkdirSync(dir, { recursive: true });
  // PNG first, then the JSON under a temporary name: an entry counts only once both are complete.
  await writePng(path.join(dir, `${key}.png`), restored);
  const entry: CachedEntry = { identity: cache.identity, tiling, width: blur.width, height: blur.height, ...made };
  const tmp = path.join(dir, `${key}.json.${process.pid}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(entry) + '\n');
  fs.renameSync(tmp, path.join(dir, `${key}.json`));
}

/** One image's scored output: S1 clipped and rounded to 8 bits, with what it cost. */
export interface RestoredS1 {
  restored: Raster;
  /** The network's seconds (when cached: when it was made). */
  seconds: number;
  tiles: number;
  cached: boolean;
}

/** A network, or a function that loads it: a slow-to-load peer is then loaded only when the cache misses. */
export type NetworkSource = Network | (() => Promise<Network>);

/**
 * The 8-bit S1 of `blur`: from the cache when it holds it, else restored by the network (and kept in
 * the cache when one is given). `source` names the image in the cache's JSON.
 */
export async function restoreS1(network: NetworkSource, blur: Raster, o: { tiling?: Tiling; cache?: RestorationCache; source?: string } = {}): Promise<RestoredS1> {
  const tiling = o.tiling ?? 'auto';
  if (o.cache) {
    const hit = await readCached(o.cache, tiling, blur);
    if (hit) return { restored: hit.restored, seconds: hit.entry.seconds, tiles: hit.entry.tiles, cached: true };
  }
  const model = typeof network === 'function' ? await network() : network;
  const input = rasterToTensor(blur);
  const t0 = performance.now();
  // With a cache, 'auto' runs the tiles its key names (the cache's own 'auto'), so a key can never describe other tiles than those run.
  const run = o.cache && tiling === 'auto' ? (tilesFor(tiling, blur.height, blur.width, o.cache.autoTiling) ?? 'none') : tiling;
  const r = await deblurImage(model, input, run);
  const restored = quantize8(await tensorToRaster(r.s1));
  const seconds = (performance.now() - t0) / 1000;
  tf.dispose([input, r.s1, r.s2, r.s3]);
  if (o.cache) await writeCached(o.cache, tiling, blur, restored, { seconds, tiles: r.tiles, source: o.source ?? '' });
  return { restored, seconds, tiles: r.tiles, cached: false };
}

/**
 * A cache over the restorations committed in `dir/NAME/` alone, its identity read from their
 * records: what a doc generator scores without the peer installed. Every record must name the
 * same identity (one network made them all).
 */
export function committedCache(dir: string): RestorationCache {
  const name = path.basename(dir);
  const roots = [path.dirname(dir), path.join(path.dirname(dir), 'cc-by-sa')].filter((r) => fs.existsSync(path.join(r, name)));
  const identities = new Set<string>();
  for (const r of roots) {
    for (const f of fs.readdirSync(path.join(r, name)).filter((x) => x.endsWith('.json'))) identities.add((JSON.parse(fs.readFileSync(path.join(r, name, f), 'utf8')) as CachedEntry).identity);
  }
  if (identities.size !== 1) throw new Error(`${dir}: ${identities.size === 0 ? 'no committed restorations' : `restorations of ${identities.size} different networks`}`);
  return { identity: [...identities][0]!, name, readFrom: roots, writeTo: roots[0]! };
}

/**
 * The real photographs deblur-lab blurs, with their licences, and how they are fetched: pinned
 * Debian packages, `apt-get download` + `dpkg-deb -x` (nothing is installed). Shared by
 * `npm run data:sample`, `npm run data:train` and `npm run data:yardstick`, so all split the photos
 * the same way and no photo of a test split ever reaches a training set.
 *
 * Two sets: PHOTOS, the sample's (data/sample is made from them, byte for byte), and MORE_PHOTOS,
 * found later in other packages. Debian's plasma-workspace-wallpapers and mate-backgrounds are
 * left out on purpose: their photos are kept for evaluating the lab independently of its authors.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readImageHeader, shrunkSize } from '../src/data/image';
import { UsageError } from '../src/errors';

export const PACKAGES = {
  lomiri: { name: 'lomiri-wallpapers-16.04', version: '20.04.0-2', dir: 'usr/share/backgrounds' },
  skimage: { name: 'python3-skimage', version: '0.19.3-8', dir: 'usr/lib/python3/dist-packages/skimage/data' },
  sklearn: { name: 'python3-sklearn', version: '1.2.1+dfsg-1', dir: 'usr/lib/python3/dist-packages/sklearn/datasets/images' },
  palapeli: { name: 'palapeli-data', version: '4:22.12.3-1', dir: 'usr/share/palapeli/collection' },
  lxqt: { name: 'lxqt-themes', version: '1.2.0-1', dir: 'usr/share/lxqt/wallpapers' },
  libsixel: { name: 'libsixel-examples', version: '1.10.3-3', dir: 'usr/share/doc/libsixel-examples/examples/images' },
  lomiri2004: { name: 'lomiri-wallpapers-20.04', version: '20.04.0-2', dir: 'usr/share/backgrounds' },
} as const;
export type Pkg = keyof typeof PACKAGES;

export interface Photo {
  pkg: Pkg;
  file: string;
  title: string;
  author: string;
  licence: 'CC-BY-4.0' | 'CC0-1.0' | 'CC-BY-SA-4.0' | 'CC-BY-SA-3.0' | 'CC-BY-2.0' | 'GFDL' | 'public domain';
  /** Where the licence is stated. */
  licenceSource: string;
  /** Which side of the project-wide split: test photos never appear in any training set. */
  split: 'train' | 'test';
  /** Pairs made from it for data/sample. */
  count: number;
}

export const LOMIRI_COPYRIGHT = '/usr/share/doc/lomiri-wallpapers-16.04/copyright in the package';
const lomiri = (file: string, title: string, author: string, licence: Photo['licence'], split: Photo['split'], count: number): Photo => ({ pkg: 'lomiri', file, title, author, licence, licenceSource: LOMIRI_COPYRIGHT, split, count });
export const SKIMAGE_FETCHERS = 'skimage/data/_fetchers.py in the package';
export const SKLEARN_README = 'sklearn/datasets/images/README.txt in the package';

/** Test photos never appear in training. CC-BY-SA photos go to their own folder, under their licence. */
export const PHOTOS: Photo[] = [
  lomiri('aitzgorri_by_Aitzol_Berasategi.jpg', 'Aitzgorri', 'Aitzol Berasategi, 2018', 'CC-BY-4.0', 'train', 5),
  lomiri('friends_by_Aitzol_Berasategi.jpg', 'Friends', 'Aitzol Berasategi, 2018', 'CC-BY-4.0', 'train', 5),
  lomiri('life_by_Aitzol_Berasategi.jpg', 'Life', 'Aitzol Berasategi, 2018', 'CC-BY-4.0', 'train', 4),
  lomiri('Picture_0B_by_freespace.jpg', 'Picture 0B', 'Trevor "Freespace", 2018', 'CC-BY-4.0', 'train', 5),
  lomiri('Picture_1A_by_freespace.jpg', 'Picture 1A', 'Trevor "Freespace", 2018', 'CC-BY-4.0', 'train', 4),
  lomiri('sunset_by_Aitzol_Berasategi.jpg', 'Sunset', 'Aitzol Berasategi, 2018', 'CC-BY-4.0', 'train', 4),
  lomiri('seeding_by_Clements_Engelhardt.jpg', 'Seeding', 'Clemens Engelhardt, 2018', 'CC0-1.0', 'train', 5),
  { pkg: 'skimage', file: 'astronaut.png', title: 'Astronaut Eileen Collins', author: 'NASA (NASA Great Images database)', licence: 'public domain', licenceSource: SKIMAGE_FETCHERS, split: 'train', count: 3 },
  { pkg: 'skimage', file: 'rocket.jpg', title: 'Launch of DSCOVR on Falcon 9', author: 'SpaceX', licence: 'public domain', licenceSource: SKIMAGE_FETCHERS, split: 'train', count: 2 },
  { pkg: 'skimage', file: 'chelsea.png', title: 'Chelsea the cat', author: 'Stefan van der Walt', licence: 'CC0-1.0', licenceSource: SKIMAGE_FETCHERS, split: 'train', count: 2 },
  { pkg: 'sklearn', file: 'flower.jpg', title: 'Flower', author: 'vultilion (Flickr), retrieved by Robert Layton', licence: 'CC-BY-2.0', licenceSource: SKLEARN_README, split: 'train', count: 2 },
  lomiri('picosdeeuropa_by_Aitzol_Berasategi.jpg', 'Picos de Europa', 'Aitzol Berasategi, 2018', 'CC-BY-4.0', 'test', 3),
  lomiri('Wine_by_Jakkub_Mede.jpg', 'Wine', 'Jakub Mede, 2018', 'CC-BY-4.0', 'test', 3),
  { pkg: 'skimage', file: 'coffee.png', title: 'Coffee cup (courtesy of Pikolo Espresso Bar)', author: 'Rachel Michetti', licence: 'CC0-1.0', licenceSource: SKIMAGE_FETCHERS, split: 'test', count: 3 },
  { pkg: 'sklearn', file: 'china.jpg', title: 'China (a temple)', author: 'danielbuechele (Flickr), retrieved by Robert Layton', licence: 'CC-BY-2.0', licenceSource: SKLEARN_README, split: 'test', count: 3 },
  lomiri('analogpattern_by_Peter_Nerlich.jpg', 'Analog pattern', 'Peter Nerlich, 2018', 'CC-BY-SA-4.0', 'test', 1),
  lomiri('Bridge_by_Sander_Klootwijk.jpg', 'Bridge', 'Sander Klootwijk, 2018', 'CC-BY-SA-4.0', 'test', 1),
  lomiri('Dragonfly_by_Bolly.jpg', 'Dragonfly', '"Bolly", 2018', 'CC-BY-SA-4.0', 'test', 1),
  lomiri('free_by_Peter_Nerlich.jpg', 'Free', 'Peter Nerlich, 2018', 'CC-BY-SA-4.0', 'test', 1),
  lomiri('greentock_by_Peter_Nerlich.jpg', 'Greentock', 'Peter Nerlich, 2018', 'CC-BY-SA-4.0', 'test', 1),
];
const PALAPELI = (file: string): string => `usr/share/palapeli/collection/${file.replace(/\.jpg$/, '.desktop')} in the package (X-KDE-PluginInfo-License)`;
const LXQT_LICENSE = 'usr/share/lxqt/wallpapers/License in the package (CC-BY-SA-3.0; photos credited to stefonarch)';
const LIBSIXEL_COPYRIGHT = '/usr/share/doc/libsixel-examples/copyright in the package';
const LOMIRI2004_COPYRIGHT = '/usr/share/doc/lomiri-wallpapers-20.04/copyright in the package';
const lxqt = (file: string, title: string, split: Photo['split']): Photo => ({ pkg: 'lxqt', file, title, author: 'stefonarch (LXQt)', licence: 'CC-BY-SA-3.0', licenceSource: LXQT_LICENSE, split, count: 0 });
const skimage = (file: string, title: string, author: string, licence: Photo['licence']): Photo => ({ pkg: 'skimage', file, title, author, licence, licenceSource: SKIMAGE_FETCHERS, split: 'train', count: 0 });

/**
 * Photos found after the sample was made (none is in data/sample: `count` 0). Training gets the
 * textures, skies, night scenes and grey photos the first set lacked; the test split (used only
 * by `data:yardstick`) adds birds, insects and bokeh.
 */
export const MORE_PHOTOS: Photo[] = [
  { pkg: 'palapeli', file: 'cincinnati-bridge.jpg', title: 'Roebling Suspension Bridge, Cincinnati', author: 'Derek Jensen', licence: 'public domain', licenceSource: PALAPELI('cincinnati-bridge.jpg'), split: 'train', count: 0 },
  { pkg: 'palapeli', file: 'citrus-fruits.jpg', title: 'Citrus fruits', author: 'US Department of Agriculture', licence: 'public domain', licenceSource: PALAPELI('citrus-fruits.jpg'), split: 'train', count: 0 },
  { pkg: 'palapeli', file: 'castle-maintenon.jpg', title: 'Castle of Maintenon', author: 'Eric Pouhier', licence: 'GFDL', licenceSource: PALAPELI('castle-maintenon.jpg'), split: 'train', count: 0 },
  { pkg: 'libsixel', file: 'snake.png', title: 'Snake', author: 'Jon Sullivan', licence: 'public domain', licenceSource: LIBSIXEL_COPYRIGHT, split: 'train', count: 0 },
  lxqt('after-the-rain.jpg', 'After the rain', 'train'),
  lxqt('appleflower.png', 'Apple flower', 'train'),
  lxqt('beam.png', 'Beam', 'train'),
  lxqt('butterfly.png', 'Butterfly', 'train'),
  lxqt('this-is-not-windows.jpg', 'This is not Windows (hills)', 'train'),
  skimage('camera.png', 'Camera man (grey)', 'Lav Varshney', 'CC0-1.0'),
  skimage('brick.png', 'Brick wall (grey texture)', 'CC0Textures', 'CC0-1.0'),
  skimage('grass.png', 'Grass (grey texture)', 'CC0Textures', 'CC0-1.0'),
  skimage('gravel.png', 'Gravel (grey texture)', 'CC0Textures', 'CC0-1.0'),
  skimage('hubble_deep_field.jpg', 'Hubble deep field', 'NASA', 'public domain'),
  { pkg: 'palapeli', file: 'european-honey-bee.jpg', title: 'European honey bee', author: 'John Severns', licence: 'public domain', licenceSource: PALAPELI('european-honey-bee.jpg'), split: 'test', count: 0 },
  { pkg: 'palapeli', file: 'panther-chameleon-female.jpg', title: 'Furcifer pardalis (female panther chameleon)', author: 'B. Navez and others', licence: 'GFDL', licenceSource: PALAPELI('panther-chameleon-female.jpg'), split: 'test', count: 0 },
  { pkg: 'libsixel', file: 'egret.jpg', title: 'Egret', author: 'Jon Sullivan', licence: 'public domain', licenceSource: LIBSIXEL_COPYRIGHT, split: 'test', count: 0 },
  { pkg: 'lomiri2004', file: 'Kleiber_by_Lukas_Baubkus.jpg', title: 'Kleiber (nuthatch)', author: 'Lukas Baubkus, 2021', licence: 'CC-BY-SA-3.0', licenceSource: LOMIRI2004_COPYRIGHT, split: 'test', count: 0 },
  lxqt('fog.jpg', 'Fog', 'test'),
  lxqt('drop.png', 'Drop', 'test'),
  lxqt('flowers.png', 'Flowers', 'test'),
];

// Left out: umang_by_Abhishek_Mudgal.jpg (CC-BY-4.0), almost entirely flat: no crop has texture.
export const REAL_BLUR = { pkg: 'skimage' as Pkg, file: 'clock_motion.png' };
export const SHARE_ALIKE = 'cc-by-sa';

export const root = path.resolve(__dirname, '..');
export const cache = path.join(root, 'build', 'sample-sources');

export function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** The packages that hold these photos. */
export function packagesOf(photos: ReadonlyArray<{ pkg: Pkg }>): Pkg[] {
  return [...new Set(photos.map((p) => p.pkg))];
}

/**
 * Unpacks each pinned package once into build/sample-sources/<name>_<version>/ (all of them, or
 * only `which`); returns the photo folder of each.
 */
export function fetchPackages(which: readonly Pkg[] = Object.keys(PACKAGES) as Pkg[]): Record<Pkg, string> {
  fs.mkdirSync(cache, { recursive: true });
  const out = {} as Record<Pkg, string>;
  for (const key of which) {
    const p = PACKAGES[key];
    const dest = path.join(cache, `${p.name}_${p.version}`);
    if (!fs.existsSync(path.join(dest, '.unpacked'))) {
      console.log(`fetching ${p.name} ${p.version} (apt-get download, unpacked without installing)`);
      const get = (): void => void execFileSync('apt-get', ['download', `${p.name}=${p.version}`], { cwd: cache, stdio: ['ignore', 'ignore', 'pipe'] });
      try {
        get();
      } catch {
        execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
        try {
          get();
        } catch (e) {
          throw new Error(`cannot download ${p.name}=${p.version} with apt-get (${(e as Error).message.split('\n')[0]}); the photo sets are pinned to that version so they can be rebuilt byte for byte`);
        }
      }
      const deb = fs.readdirSync(cache).find((f) => f.startsWith(`${p.name}_`) && f.endsWith('.deb'))!;
      if (!deb) throw new Error(`apt-get download ${p.name}=${p.version} left no .deb in ${cache}`);
      fs.rmSync(dest, { recursive: true, force: true });
      execFileSync('dpkg-deb', ['-x', path.join(cache, deb), dest]);
      fs.rmSync(path.join(cache, deb));
      fs.writeFileSync(path.join(dest, '.unpacked'), '');
    }
    out[key] = path.join(dest, p.dir);
  }
  return out;
}

export function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

/** A photo as a set is cut from it: its file, its size, and its area at `longSide`. */
export interface PhotoFrame {
  photo: Photo;
  file: string;
  size: { width: number; height: number };
  area: number;
}

/** The photos' files (packages fetched as needed), checked to hold a `crop` at long side `longSide`. */
export async function photoFrames(photos: readonly Photo[], crop: number, longSide: number): Promise<PhotoFrame[]> {
  const dirs = fetchPackages(packagesOf(photos));
  return Promise.all(
    photos.map(async (p) => {
      const file = path.join(dirs[p.pkg], p.file);
      const h = await readImageHeader(file);
      const f = shrunkSize(h.width, h.height, longSide);
      if (f.width < crop || f.height < crop) throw new UsageError(`--crop ${crop} is larger than ${p.file} at GoPro scale (${f.width}×${f.height})`);
      return { photo: p, file, size: { width: h.width, height: h.height }, area: f.width * f.height };
    }),
  );
}

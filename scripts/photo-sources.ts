/**
 * The real photographs deblur-lab blurs, with their licences, and how they are fetched: pinned
 * Debian packages, `apt-get download` + `dpkg-deb -x` (nothing is installed). Shared by
 * `npm run data:sample`, `npm run data:train` and `npm run data:yardstick`, so all split the photos
 * the same way and no photo of a test split ever reaches a training set.
 *
 * Three sets: PHOTOS, the sample's (data/sample is made from them, byte for byte), MORE_PHOTOS,
 * found later in other packages, and GCOMPRIS_PHOTOS, training photos that `data:train` uses only
 * when asked (`--more-photos`). Debian's plasma-workspace-wallpapers and mate-backgrounds are
 * left out on purpose: their photos are kept for evaluating the lab independently of its authors.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { readImageHeader, shrunkSize } from '../src/data/image';
import { readQtResources } from '../src/data/qt-resources';
import { UsageError } from '../src/errors';

export const PACKAGES = {
  lomiri: { name: 'lomiri-wallpapers-16.04', version: '20.04.0-2', dir: 'usr/share/backgrounds' },
  skimage: { name: 'python3-skimage', version: '0.19.3-8', dir: 'usr/lib/python3/dist-packages/skimage/data' },
  sklearn: { name: 'python3-sklearn', version: '1.2.1+dfsg-1', dir: 'usr/lib/python3/dist-packages/sklearn/datasets/images' },
  palapeli: { name: 'palapeli-data', version: '4:22.12.3-1', dir: 'usr/share/palapeli/collection' },
  lxqt: { name: 'lxqt-themes', version: '1.2.0-1', dir: 'usr/share/lxqt/wallpapers' },
  libsixel: { name: 'libsixel-examples', version: '1.10.3-3', dir: 'usr/share/doc/libsixel-examples/examples/images' },
  lomiri2004: { name: 'lomiri-wallpapers-20.04', version: '20.04.0-2', dir: 'usr/share/backgrounds' },
  // GCompris keeps its pictures in Qt resource files; `dir` is where the lab unpacks the ones it uses, as PNG.
  gcompris: { name: 'gcompris-qt-data', version: '3.1-2', dir: 'deblur-lab-photos' },
} as const;
export type Pkg = keyof typeof PACKAGES;

export interface Photo {
  pkg: Pkg;
  file: string;
  title: string;
  author: string;
  licence: 'CC-BY-4.0' | 'CC0-1.0' | 'CC-BY-SA-4.0' | 'CC-BY-SA-3.0' | 'CC-BY-SA-2.0' | 'CC-BY-3.0' | 'CC-BY-2.0' | 'GFDL' | 'GFDL-NIV-1.2' | 'GPL-3' | 'GPL-3+' | 'public domain';
  /** Where the licence is stated. */
  licenceSource: string;
  /** Which side of the project-wide split: test photos never appear in any training set. */
  split: 'train' | 'test';
  /** Pairs made from it for data/sample. */
  count: number;
  /** Where a picture kept in a Qt resource file is: the file (in the package) and its path inside; `file` is then the PNG the lab unpacks it to. */
  resource?: { rcc: string; path: string };
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

const GCOMPRIS_COPYRIGHT = '/usr/share/doc/gcompris-qt-data/copyright in the package';
/**
 * A photo of GCompris's picture activities: `name` in `activity`'s resources (WebP), unpacked to
 * `<activity>-<name>.png`. Where a stanza of the package's copyright file names the picture (by its
 * older JPEG name, or a folder), it gives author and licence; elsewhere the catch-all stanza does.
 */
type Named = { author: string; licence: Photo['licence']; stanza: string };
const gc = (activity: string, name: string, named?: Named): Photo => ({
  pkg: 'gcompris',
  file: `${activity}-${path.basename(name)}.png`,
  title: `${path.basename(name).replace(/_/g, ' ')} (GCompris, ${activity.replace(/_/g, ' ')})`,
  author: named?.author ?? 'GCompris contributors',
  licence: named?.licence ?? 'GPL-3+',
  licenceSource: named ? `${GCOMPRIS_COPYRIGHT}, stanza \`${named.stanza}\`` : `${GCOMPRIS_COPYRIGHT}: no stanza names it, so \`Files: *\` applies`,
  split: 'train',
  count: 0,
  resource: { rcc: `usr/share/gcompris-qt/rcc/${activity}.rcc`, path: `gcompris/src/activities/${activity}/resource/${name}.webp` },
});

/** `names` of `activity` in the catalogue's order (which decides how pairs are shared between photos of the same area); `named`: those a stanza names. */
const gcompris = (activity: string, names: string[], named: Record<string, Named> | ((name: string) => Named) = {}): Photo[] =>
  names.map((name) => gc(activity, name, typeof named === 'function' ? named(name) : named[name]));

/** The stanzas of GCompris's own early pictures. */
const coudoin = (stanza: string): Named => ({ author: 'Bruno Coudoin and others; Franck Doucet', licence: 'GPL-3', stanza });

/**
 * Training photos from GCompris (`data:train --more-photos`): its erase, explore and clickgame
 * activities hold 100 photographs (animals, monuments, landscapes, the sea, musicians), 1024 to
 * 1920 px wide and stored as lossy WebP. None is ever a test photo.
 */
export const GCOMPRIS_PHOTOS: Photo[] = [
  ...gcompris('clickgame', ['sea2', 'sea3', 'sea4', 'sea5', 'sea6'], (name) => coudoin(`src/activities/clickgame/resource/${name}.jpg`)),
  ...gcompris('erase', ['gorilla', 'northern_harrier', 'pika', 'caterpillar', 'giraffe', 'calf', 'penguin', 'nubian_ibex', 'camels', 'macaque', 'swans', 'dolphin', 'long_nosed_monkey', 'kingfisher', 'heron', 'chamaeleon', 'flying_fox', 'gibbon', 'rhinoceros', 'crab', 'goat', 'toucan', 'gosling', 'horse', 'alpaca', 'cheetah', 'butterfly', 'meerkats', 'kitten', 'red_panda', 'squirrel', 'spoonbills'], {
    butterfly: { author: 'Erwan Velu and Anne Nicolas', licence: 'GPL-3+', stanza: 'src/activities/erase/resource/butterfly.jpg' },
    squirrel: { author: 'Erwan Velu and Anne Nicolas', licence: 'GPL-3+', stanza: 'src/activities/erase/resource/squirrel.jpg' },
  }),
  ...gcompris('explore_farm_animals', ['animals/dog', 'animals/cow', 'animals/chicken', 'animals/horse', 'animals/sheep', 'animals/pig'], () => coudoin('src/activities/explore_farm_animals/resource/animals/*')),
  ...gcompris('explore_monuments', ['usa/canyondeChelly', 'usa/georgeWashingtonBirthplace', 'usa/navajo', 'usa/mountRushmore', 'usa/castillodeSanMarcos', 'usa/fortSumter', 'usa/castleClinton', 'egypt/greatPyramidOfGiza', 'india/greatStupa', 'india/gatewayofIndia', 'india/konarkSunTemple', 'india/charminar', 'india/hawaMahal', 'india/rangGhar', 'india/mysorePalace', 'india/ajantaCave', 'india/qutubMinar', 'france/chateaudeChambord', 'france/pontduGard', 'france/palaisdesPapes', 'france/eiffelTower', 'france/citedeCarcassonne', 'france/arlesAmphitheater', 'france/chateaudeChenonceau', 'france/rocamadour', 'germany/berlinCathedral', 'germany/schwerinPalace', 'germany/trierImperialBaths', 'germany/aulaPalatina', 'germany/neuschwansteinCastle', 'germany/wormsCathedral', 'wonders/machuPicchu', 'wonders/tajMahal', 'wonders/chichenItza', 'wonders/colosseum', 'wonders/petra', 'wonders/greatWallofChina', 'wonders/christTheRedeemer']),
  ...gcompris('explore_world_animals', ['animals/crocodile', 'animals/giraffe', 'animals/koala', 'animals/bison', 'animals/dragon', 'animals/jaguar', 'animals/hedgehog', 'animals/kangaroo', 'animals/narwhal', 'animals/moose', 'animals/chameleon', 'animals/lemur', 'animals/polar_bear'], {
    'animals/crocodile': { author: 'Kmanoj', licence: 'CC-BY-3.0', stanza: 'src/activities/explore_world_animals/resource/animals/crocodile.jpg' },
    'animals/koala': { author: 'David Iliff', licence: 'CC-BY-SA-3.0', stanza: 'src/activities/explore_world_animals/resource/animals/koala.jpg' },
    'animals/dragon': { author: 'Raul654', licence: 'CC-BY-SA-3.0', stanza: 'src/activities/explore_world_animals/resource/animals/dragon.jpg' },
    'animals/kangaroo': { author: 'fir0002/Flagstaffotos', licence: 'GFDL-NIV-1.2', stanza: 'src/activities/explore_world_animals/resource/animals/kangaroo.jpg' },
    'animals/moose': { author: 'Ryan Hagerty', licence: 'public domain', stanza: 'src/activities/explore_world_animals/resource/animals/moose.jpg' },
    'animals/chameleon': { author: 'Laika ac', licence: 'CC-BY-SA-2.0', stanza: 'src/activities/explore_world_animals/resource/animals/chameleon.jpg' },
    'animals/lemur': { author: 'Sannse', licence: 'CC-BY-SA-3.0', stanza: 'src/activities/explore_world_animals/resource/animals/lemur.jpg' },
    'animals/polar_bear': { author: 'Arturo de Frias Marques', licence: 'CC-BY-SA-4.0', stanza: 'src/activities/explore_world_animals/resource/animals/polar_bear.jpg' },
  }),
  ...gcompris('explore_world_music', ['music/america', 'music/australia', 'music/japan', 'music/orchestra', 'music/africa', 'music/mexico']),
];

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

/** Where a pinned package is unpacked. */
function packageRoot(key: Pkg): string {
  return path.join(cache, `${PACKAGES[key].name}_${PACKAGES[key].version}`);
}

/**
 * Unpacks the photos kept in Qt resource files into their package's photo folder as PNG (the
 * lab reads PNG and JPEG), each once: a photo already there is not unpacked again.
 */
async function unpackResourcePhotos(photos: readonly Photo[], dirs: Record<Pkg, string>): Promise<void> {
  const missing = photos.filter((p) => p.resource && !fs.existsSync(path.join(dirs[p.pkg], p.file)));
  const byFile = new Map<string, Photo[]>();
  for (const p of missing) {
    const rcc = path.join(packageRoot(p.pkg), p.resource!.rcc);
    byFile.set(rcc, [...(byFile.get(rcc) ?? []), p]);
  }
  for (const [rcc, mine] of byFile) {
    const entries = readQtResources(fs.readFileSync(rcc), path.relative(root, rcc));
    for (const p of mine) {
      const entry = entries.find((e) => e.path === p.resource!.path);
      if (!entry) throw new Error(`${p.resource!.path} is not in ${path.relative(root, rcc)}: the package is not the pinned ${PACKAGES[p.pkg].name} ${PACKAGES[p.pkg].version}`);
      const out = path.join(dirs[p.pkg], p.file);
      fs.mkdirSync(path.dirname(out), { recursive: true });
      await sharp(entry.data).png().toFile(`${out}.partial`);
      fs.renameSync(`${out}.partial`, out);
    }
  }
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
    const dest = packageRoot(key);
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
  await unpackResourcePhotos(photos, dirs);
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

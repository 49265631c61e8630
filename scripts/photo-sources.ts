/**
 * The real photographs deblur-lab blurs, with their licences, and how they are fetched: pinned
 * Debian packages, `apt-get download` + `dpkg-deb -x` (nothing is installed). Shared by
 * `npm run data:sample` and `npm run data:train`, so both split the photos the same way and no
 * photo of the sample's test split ever reaches a training set.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const PACKAGES = {
  lomiri: { name: 'lomiri-wallpapers-16.04', version: '20.04.0-2', dir: 'usr/share/backgrounds' },
  skimage: { name: 'python3-skimage', version: '0.19.3-8', dir: 'usr/lib/python3/dist-packages/skimage/data' },
  sklearn: { name: 'python3-sklearn', version: '1.2.1+dfsg-1', dir: 'usr/lib/python3/dist-packages/sklearn/datasets/images' },
} as const;
export type Pkg = keyof typeof PACKAGES;

export interface Photo {
  pkg: Pkg;
  file: string;
  title: string;
  author: string;
  licence: 'CC-BY-4.0' | 'CC0-1.0' | 'CC-BY-SA-4.0' | 'CC-BY-2.0' | 'public domain';
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
// Left out: umang_by_Abhishek_Mudgal.jpg (CC-BY-4.0), almost entirely flat: no crop has texture.
export const REAL_BLUR = { pkg: 'skimage' as Pkg, file: 'clock_motion.png' };
export const SHARE_ALIKE = 'cc-by-sa';

export const root = path.resolve(__dirname, '..');
export const cache = path.join(root, 'build', 'sample-sources');

export function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Unpacks each pinned package once into build/sample-sources/<name>_<version>/. */
export function fetchPackages(): Record<Pkg, string> {
  fs.mkdirSync(cache, { recursive: true });
  const out = {} as Record<Pkg, string>;
  for (const [key, p] of Object.entries(PACKAGES) as Array<[Pkg, (typeof PACKAGES)[Pkg]]>) {
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

/**
 * Copies MAXIM's cached restorations of the sample's images (its test split, its CC-BY-SA test pairs
 * and the real photo) from build/cache/restored/ into data/restored/, where notebook 08 and the demo
 * find them without running MAXIM, and writes data/restored/README.md: each file's source image and
 * licence. CC-BY-SA-derived restorations go under data/restored/cc-by-sa/, apart, as in data/sample/.
 * Run notebook 08 (or the demo) with the peer installed first, so the cache holds them.
 *
 *   node -r ts-node/register scripts/commit-restorations.ts
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRaster } from '../src/data/image';
import { openDataset } from '../src/data/open-dataset';
import { COMMITTED_RESTORATIONS, LOCAL_RESTORATIONS, restorationKey, type CachedEntry } from '../src/infer/restoration-cache';
import { maximCache, MAXIM_PACKAGE, MAXIM_VERSION } from '../src/peers/maxim';

interface Source {
  file: string;
  id: string;
  licence: 'sample' | 'cc-by-sa';
}

async function sources(): Promise<Source[]> {
  const out: Source[] = [];
  for (const [root, licence] of [['data/sample', 'sample'], ['data/sample/cc-by-sa', 'cc-by-sa']] as const) {
    for (const p of (await openDataset(root, { split: 'test' })).pairs) out.push({ file: path.relative('.', p.blur), id: p.id, licence });
  }
  for (const f of fs.readdirSync('data/sample/real').filter((f) => f.endsWith('.png'))) out.push({ file: path.join('data/sample/real', f), id: f, licence: 'sample' });
  return out;
}

async function main(): Promise<void> {
  const cache = maximCache();
  const rows: string[] = [];
  const missing: string[] = [];
  for (const s of await sources()) {
    const key = restorationKey(cache.identity, 'auto', (await readRaster(s.file)).raster);
    const from = path.join(LOCAL_RESTORATIONS, cache.name);
    const to = path.join(s.licence === 'cc-by-sa' ? path.join(COMMITTED_RESTORATIONS, 'cc-by-sa') : COMMITTED_RESTORATIONS, cache.name);
    if (!fs.existsSync(path.join(from, `${key}.json`)) && !fs.existsSync(path.join(to, `${key}.json`))) {
      missing.push(s.file);
      continue;
    }
    fs.mkdirSync(to, { recursive: true });
    for (const ext of ['png', 'json']) if (!fs.existsSync(path.join(to, `${key}.${ext}`))) fs.copyFileSync(path.join(from, `${key}.${ext}`), path.join(to, `${key}.${ext}`));
    const entry = JSON.parse(fs.readFileSync(path.join(to, `${key}.json`), 'utf8')) as CachedEntry;
    rows.push(`| \`${path.relative(COMMITTED_RESTORATIONS, path.join(to, key))}.png\` | \`${s.file}\` | ${entry.width}×${entry.height}, ${entry.seconds.toFixed(1)} s | ${s.licence === 'cc-by-sa' ? 'CC-BY-SA-4.0, like its source (data/sample/ATTRIBUTION.md)' : "its source's (data/sample/ATTRIBUTION.md)"} |`);
  }
  if (missing.length) throw new Error(`not in ${LOCAL_RESTORATIONS} yet (run notebook 08 with the peer installed): ${missing.join(', ')}`);
  const readme = `# data/restored: restorations by published networks, kept so they need not be rerun

Notebook 08 and \`npm run demo\` show MAXIM-3S beside the lab's networks. MAXIM takes ~17 s per 256²
image on 2 cores, so its restorations of the sample's images are kept here and read through the lab's
restoration cache (src/infer/restoration-cache.ts). A file is found by a key over MAXIM's identity
(${MAXIM_PACKAGE} ${MAXIM_VERSION} and a SHA-256 of its graph, model.json), the tiling and the input's
pixels: a changed input or network is never answered from here. Each PNG is the 8-bit output
that \`eval --weights maxim\` scores; the JSON beside it says how it was made. A test
(tests/peers/maxim.test.ts) runs MAXIM on one of these images and compares it with the file here.

Made by running notebook 08 with the peer installed, then
\`node -r ts-node/register scripts/commit-restorations.ts\` (which wrote this file).

## Licences

The restorations are adaptations of the sample's images and carry their licences; MAXIM's weights are
the MAXIM authors' (Apache-2.0; see docs/PEERS.md). Restorations of the CC-BY-SA pairs are kept apart
under \`cc-by-sa/\`.

| file | restoration of | size, MAXIM's time when made (2 cores, other jobs running) | licence |
|---|---|---|---|
${rows.join('\n')}
`;
  fs.writeFileSync(path.join(COMMITTED_RESTORATIONS, 'README.md'), readme);
  console.log(`${rows.length} restorations in ${COMMITTED_RESTORATIONS}`);
}

main().catch((e: unknown) => {
  console.error(`commit-restorations: ${(e as Error).message}`);
  process.exit(1);
});

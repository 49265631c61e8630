import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readBlocks, writeBlock, type DocBlock } from '../src/doc-blocks';
import { curveTables } from '../scripts/training-report';
import { readReport, yardstickTables } from '../scripts/yardstick-report';
import { resultsTable } from '../scripts/results-report';
import { ROOT } from './helpers';

/** What a block's generator prints now for the block's own sources (the committed runs and weights). */
async function generate(b: DocBlock): Promise<string> {
  const sources = b.sources.map((s) => path.join(ROOT, s));
  switch (b.kind) {
    case 'curve':
      return curveTables(sources);
    case 'yardstick':
      return yardstickTables(b.sources.map((s) => path.basename(s)), sources.map(readReport));
    case 'results':
      return resultsTable(b.sources);
    default:
      throw new Error(`no generator known for ${b.kind} blocks`);
  }
}

/** The generated blocks of a doc whose text is not what their generator prints (records excepted). */
async function staleBlocks(file: string): Promise<string[]> {
  const cwd = process.cwd();
  process.chdir(ROOT); // the generators name runs as given, relative to the project
  try {
    const stale: string[] = [];
    for (const b of readBlocks(fs.readFileSync(file, 'utf8')).filter((x) => !x.record)) {
      if ((await generate(b)) !== b.body) stale.push(`${path.relative(ROOT, file)}: ${b.kind}:${b.name}`);
    }
    return stale;
  } finally {
    process.chdir(cwd);
  }
}

const DOCS = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => path.join('docs', f))];

test('every generated block of the docs is what its generator prints for the committed runs and weights', async () => {
  const blocks = DOCS.flatMap((d) => readBlocks(fs.readFileSync(path.join(ROOT, d), 'utf8')).map((b) => ({ doc: d, ...b })));
  assert.ok(blocks.filter((b) => !b.record).length >= 3, `generated blocks found: ${blocks.map((b) => `${b.doc} ${b.kind}:${b.name}`).join(', ')}`);
  for (const b of blocks) if (!b.record) assert.ok(b.sources.length > 0, `${b.doc} ${b.kind}:${b.name} names no sources`);
  const stale: string[] = [];
  for (const d of DOCS) stale.push(...(await staleBlocks(path.join(ROOT, d))));
  assert.equal(stale, [], 'regenerate these with their command (the sources are in the start marker)');
});

test('a block edited by hand is found; writing it again records the sources and restores it', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'doc-blocks-'));
  const doc = path.join(tmp, 'TRAINING.md');
  fs.copyFileSync(path.join(ROOT, 'docs', 'TRAINING.md'), doc);
  const original = readBlocks(fs.readFileSync(doc, 'utf8')).find((b) => b.kind === 'yardstick')!;
  // A number typed over, as a hand edit would.
  const edited = original.body.replace(/\| [+-]\d+\.\d\d \|/, '| +9.99 |');
  assert.is.not(edited, original.body);
  writeBlock(doc, original.kind, original.name, edited, original.sources);
  assert.equal(await staleBlocks(doc), [`${path.relative(ROOT, doc)}: ${original.kind}:${original.name}`]);
  writeBlock(doc, original.kind, original.name, await generate(original), original.sources);
  assert.equal(await staleBlocks(doc), []);
  assert.equal(readBlocks(fs.readFileSync(doc, 'utf8')).find((b) => b.name === original.name)!.sources, original.sources);
  fs.rmSync(tmp, { recursive: true });
});

test.run();

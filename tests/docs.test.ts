import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from './helpers';

/** The documents a user reads: README, CHANGELOG, docs/, the weights' cards and the notebooks' markdown. */
function userDocs(): { file: string; text: string }[] {
  const md = ['README.md', 'CHANGELOG.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => path.join('docs', f))];
  for (const w of fs.readdirSync(path.join(ROOT, 'weights'))) if (fs.existsSync(path.join(ROOT, 'weights', w, 'card.md'))) md.push(path.join('weights', w, 'card.md'));
  const docs = md.map((file) => ({ file, text: fs.readFileSync(path.join(ROOT, file), 'utf8') }));
  for (const nb of fs.readdirSync(path.join(ROOT, 'notebooks')).filter((f) => f.endsWith('.ipynb'))) {
    const cells = (JSON.parse(fs.readFileSync(path.join(ROOT, 'notebooks', nb), 'utf8')) as { cells: { cell_type: string; source: string | string[] }[] }).cells;
    docs.push({ file: path.join('notebooks', nb), text: cells.filter((c) => c.cell_type === 'markdown').map((c) => (Array.isArray(c.source) ? c.source.join('') : c.source)).join('\n') });
  }
  return docs;
}

test('every relative link in the docs leads to a file of the repository, and none leads outside it', () => {
  const broken: string[] = [];
  for (const d of userDocs()) {
    for (const m of d.text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/.test(target)) continue; // a URL is a citation, not a file
      const resolved = path.resolve(ROOT, path.dirname(d.file), target);
      if (!resolved.startsWith(ROOT + path.sep) || !fs.existsSync(resolved)) broken.push(`${d.file}: ${target}`);
    }
  }
  assert.equal(broken, []);
});

test('the docs name no numbered issues and no files a clone does not have', () => {
  const found: string[] = [];
  for (const d of userDocs()) {
    for (const re of [/\.\.\/shared/, /TOOLCHAIN/, /\bissues? #?\d+/i, /\bthe issue'?s?\b/i, /\bagainst issue\b/i, /\bthis (task|session)\b/i, /device tool/i]) {
      const m = re.exec(d.text);
      if (m) found.push(`${d.file}: "${m[0]}"`);
    }
  }
  assert.equal(found, []);
});

test('the README stays a front page: at most 180 lines, with the quick start and a map of the docs', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  assert.ok(readme.split('\n').length <= 180, `README.md has ${readme.split('\n').length} lines`);
  for (const cmd of ['npm run demo', 'npm test', 'npm run lab']) assert.ok(readme.includes(cmd), cmd);
  for (const f of fs.readdirSync(path.join(ROOT, 'docs')).filter((x) => x.endsWith('.md'))) assert.ok(readme.includes(`(docs/${f})`), `README links docs/${f}`);
});

test.run();

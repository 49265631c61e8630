import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ALL_KERNELS } from '../../src/kernels/all-kernels';

// One home per kernel: each name the lab registers has one module, ops/<kebab-name>.ts, listed in
// ALL_KERNELS, and no other file defines a kernel under a name written out by hand.
const kernels = path.join(__dirname, '..', '..', 'src', 'kernels');
const fileOf = (name: string): string =>
  `${name.replace(/^Deblur/, '').replace(/([a-z])([A-Z])/g, '$1-$2').replace(/([A-Z])([A-Z][a-z])/g, '$1-$2').toLowerCase()}.ts`;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

test('every kernel name has one module in ops/, named after it, and every module there is in ALL_KERNELS', () => {
  const names = ALL_KERNELS.map((m) => m.name);
  assert.is(new Set(names).size, names.length, 'a kernel name listed twice');
  assert.equal(ALL_KERNELS.map((m) => fileOf(m.name)).sort(), fs.readdirSync(path.join(kernels, 'ops')).sort());
  for (const m of ALL_KERNELS) assert.ok(m.wasm ?? m.native ?? m.cpu, `${m.name}: a module with no kernel`);
});

test('no kernel is defined under a name written out outside its module: kernelName and replacing() take the module’s name', () => {
  // gradients/ registers gradients (tf.registerGradient) under the kernels' names, not kernels.
  const spelled = sources(kernels).filter((f) => !f.includes(`${path.sep}gradients${path.sep}`)).flatMap((f) => [...fs.readFileSync(f, 'utf8').matchAll(/(kernelName:\s*'[^']*'|replacing\(\s*'[^']*')/g)].map((m) => `${path.relative(kernels, f)}: ${m[0]}`));
  assert.equal(spelled, []);
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseConfig, configDifference, requireVariant } from '../../src/cli/model-options';
import { UsageError } from '../../src/errors';
import { VARIANTS } from '../../src/model/config';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'model-options-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
};

test('--config lays a partial NetConfig over its variant, nested fields included', () => {
  const { config, variant } = chooseConfig({ config: file('a.json', '{"variant": "lite", "channels": 24, "msrm": {"caReduction": 4}}') });
  assert.is(variant, undefined, 'a config file is a custom network, not the variant');
  assert.is(config.channels, 24);
  assert.is(config.blocks, VARIANTS.lite.blocks);
  assert.equal(config.msrm, { ...VARIANTS.lite.msrm, caReduction: 4 });
  assert.equal(chooseConfig({ variant: 'mimo' }), { config: VARIANTS.mimo, variant: 'mimo' });
  assert.equal(chooseConfig({}).variant, 'full');
});

test('--config mistakes are UsageErrors that say what is wrong', () => {
  const cases: Array<[object, RegExp]> = [
    [{ config: path.join(tmp, 'missing.json') }, /missing\.json: no such file/],
    [{ config: file('bad.json', '{"channels": ') }, /not valid JSON/],
    [{ config: file('arr.json', '[1]') }, /expected a JSON object/],
    [{ config: file('field.json', '{"chanels": 8}') }, /unknown field chanels/],
    [{ config: file('variant.json', '{"variant": "huge"}') }, /unknown variant "huge"/],
    [{ config: file('odd.json', '{"channels": 6}') }, /msrm needs channels divisible by 4/],
    [{ variant: 'lite', config: file('both.json', '{}') }, /--variant or --config, not both/],
    [{ variant: 'nope' }, /unknown variant 'nope'/],
  ];
  for (const [o, re] of cases) assert.throws(() => chooseConfig(o), (e: unknown) => e instanceof UsageError && re.test(e.message), JSON.stringify(o));
});

test('configDifference names each differing field; requireVariant refuses other networks', () => {
  assert.is(configDifference(VARIANTS.lite, VARIANTS.lite), '');
  assert.is(configDifference(VARIANTS.lite, VARIANTS.full), 'channels 16 vs 32, blocks 2 vs 8');
  assert.is(configDifference(VARIANTS.full, VARIANTS.baseline), 'block msrm vs res, skip dffm vs plain');
  requireVariant(VARIANTS.lite, 'lite', 'w');
  requireVariant(VARIANTS.lite, undefined, 'w');
  assert.throws(() => requireVariant(VARIANTS.lite, 'full', 'w'), /--weights w hold a different network from variant full/);
});

test.run();

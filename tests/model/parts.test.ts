import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { validateConfig, variantConfig, type BlockType, type NetConfig } from '../../src/model/config';
import { add, conv } from '../../src/model/layers';
import { buildNet } from '../../src/model/net';
import { BLOCK_TYPES, blockKinds, registerBlockKind } from '../../src/model/parts';
import { checkpointFromNetwork } from '../../src/interop/export-torch';
import { describeCheckpoint, networkFromCheckpoint } from '../../src/interop/import-torch';
import { seeded, startBackendForTest } from '../helpers';

/**
 * A block type is one entry of src/model/parts.ts: registering a toy one (a residual 3×3 conv that
 * needs an even width) is all it takes for config validation, the network builder and import from
 * a twin state_dict without a recorded config to know it.
 */
test('a toy block kind, added in one place: validated, built, found again from a twin state_dict\'s keys', async () => {
  await startBackendForTest('wasm');
  const remove = registerBlockKind('toy', {
    build: (x, channels, _cfg, name) => add([conv(x, { filters: channels, kernel: 3, name: `${name}_toy` }), x], `${name}_add`),
    unbuildable: (cfg) => (cfg.channels % 2 !== 0 ? `toy needs an even width (got ${cfg.channels})` : undefined),
    twinMarker: 'toy',
  });
  try {
    assert.ok(blockKinds().includes('toy'));
    const cfg: NetConfig = { ...variantConfig('lite'), block: 'toy' as BlockType, channels: 8 };
    validateConfig(cfg);
    assert.throws(() => validateConfig({ ...cfg, channels: 9 }), /toy needs an even width \(got 9\)/);
    assert.throws(() => validateConfig({ ...cfg, block: 'nope' as BlockType }), /block must be msrm, res, res2net or toy \(got nope\)/);

    const model = buildNet(cfg, { seed: 3 });
    const toyLayers = model.layers.filter((l) => /^(em|dm)\d_b\d_toy$/.test(l.name)).length;
    assert.is(toyLayers, 6 * cfg.blocks, 'one toy conv per block, N per group, six groups');
    const ckpt = await checkpointFromNetwork(model, cfg, 'twin', 'test');
    const keysOnly = { ...ckpt, deblurLab: null };
    const found = describeCheckpoint(keysOnly, undefined, 'toy.pt');
    assert.is(found.config.block, 'toy');
    assert.is(found.config.channels, 8);
    assert.is(found.config.blocks, cfg.blocks);
    const imported = networkFromCheckpoint(keysOnly, undefined, 'toy.pt').model;
    const x = tf.tensor4d(seeded(1 * 16 * 16 * 3, 4).map((v) => (v + 1) / 2), [1, 16, 16, 3]);
    const [a, b] = [model, imported].map((m) => tf.tidy(() => (m.predict(x) as tf.Tensor[])[2]!.dataSync()));
    assert.equal(Array.from(b!), Array.from(a!), 'the imported network computes what the built one does');
    tf.dispose([x]);
    model.dispose();
    imported.dispose();
  } finally {
    remove();
  }
  assert.equal(blockKinds(), [...BLOCK_TYPES], 'removed again');
  assert.throws(() => registerBlockKind('msrm', { build: (x) => x, twinMarker: 'x' }), /block kind msrm exists/);
});

test.run();

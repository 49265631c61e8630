import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SHIPPED_WEIGHTS } from '../src/infer/weights';
import { describeParameters, notebookParameters, parameterDataset, parameterEnvironment, parameterOptionsEnvironment } from '../src/notebook-params';
import { rejectsWithUsage, ROOT } from './helpers';

test('notebook parameters: the sample and the shipped network by default; each variable read and checked, a bad one named in one line', () => {
  const none = notebookParameters({}, ROOT);
  assert.equal(none, { data: 'data/sample', split: 'test', weights: [SHIPPED_WEIGHTS], given: { data: false, weights: false } });
  const set = notebookParameters({ DEBLUR_DATA: 'data/sample', DEBLUR_SPLIT: 'train', DEBLUR_WEIGHTS: 'weights/lite-sample, weights/lite-canonical', DEBLUR_LIMIT: '3' }, ROOT);
  assert.equal(set, { data: 'data/sample', split: 'train', weights: ['weights/lite-sample', 'weights/lite-canonical'], limit: 3, given: { data: true, weights: true } });
  assert.is(describeParameters(set), 'data data/sample (train split, at most 3 images); weights weights/lite-sample, weights/lite-canonical');
  assert.equal(notebookParameters({ ...process.env, ...parameterEnvironment(set) }, ROOT), set, 'the runner\'s environment gives the same parameters back');
  const real = notebookParameters({ DEBLUR_DATA: 'data/sample', DEBLUR_LAYOUT: 'gopro', DEBLUR_BLUR: 'blur_gamma', DEBLUR_REALBLUR: 'R', DEBLUR_WEIGHTS: 'maxim,weights/lite-canonical' }, ROOT);
  assert.equal([real.layout, real.blur, real.realBlurVariant, real.weights], ['gopro', 'blur_gamma', 'R', ['maxim', 'weights/lite-canonical']]);
  assert.is(describeParameters(real), 'data data/sample (test split, gopro layout, RealBlur-R, blur_gamma/); weights maxim, weights/lite-canonical');
  assert.throws(() => notebookParameters({ DEBLUR_LAYOUT: 'goprolarge' }, ROOT), /^DEBLUR_LAYOUT must be gopro, realblur, pairs \(got goprolarge\)$/);
  assert.throws(() => notebookParameters({ DEBLUR_REALBLUR: 'j' }, ROOT), /^DEBLUR_REALBLUR must be J or R \(got j\)$/);
  assert.throws(() => notebookParameters({ DEBLUR_BLUR: 'gamma' }, ROOT), /^DEBLUR_BLUR must be blur or blur_gamma \(got gamma\)$/);
  assert.throws(() => notebookParameters({ DEBLUR_DATA: 'nowhere' }, ROOT), /^DEBLUR_DATA: no folder nowhere$/);
  assert.throws(() => notebookParameters({ DEBLUR_SPLIT: 'val' }, ROOT), /^DEBLUR_SPLIT must be train or test \(got val\)$/);
  assert.throws(() => notebookParameters({ DEBLUR_WEIGHTS: 'data/sample' }, ROOT), /^DEBLUR_WEIGHTS: data\/sample holds no network/);
  assert.throws(() => notebookParameters({ DEBLUR_LIMIT: '0' }, ROOT), /^DEBLUR_LIMIT must be a whole number ≥ 1 \(got 0\)$/);
});

test('parameterDataset opens the named data with the layout, split, GoPro folder and limit', async () => {
  const gamma = await parameterDataset(notebookParameters({ DEBLUR_DATA: 'data/sample', DEBLUR_BLUR: 'blur_gamma', DEBLUR_LIMIT: '2' }, ROOT));
  assert.is(gamma.pairs.length, 2);
  assert.match(gamma.pairs[0]!.blur, /\/blur_gamma\//);
  const train = await parameterDataset(notebookParameters({ DEBLUR_DATA: 'data/sample', DEBLUR_SPLIT: 'train' }, ROOT));
  assert.ok(train.pairs.length > 12 && train.pairs.every((p) => p.blur.includes('/train/')));
  await rejectsWithUsage(parameterDataset(notebookParameters({ DEBLUR_DATA: 'data/sample', DEBLUR_LAYOUT: 'realblur' }, ROOT)), /RealBlur_J_test_list\.txt or RealBlur_R_test_list\.txt/);
  await rejectsWithUsage(parameterDataset(notebookParameters({ DEBLUR_DATA: 'data/sample', DEBLUR_REALBLUR: 'R' }, ROOT)), /^DEBLUR_REALBLUR R picks one of RealBlur's lists; data\/sample is in the gopro layout$/);
});

test('the runner\'s and the lab\'s options become the environment the kernels read, checked before anything starts', async () => {
  assert.equal(await parameterOptionsEnvironment({ data: 'data/sample', limit: '2', realblur: undefined, blur: 'blur_gamma', weights: 'weights/lite-sample,maxim' }, ROOT), { DEBLUR_DATA: 'data/sample', DEBLUR_LIMIT: '2', DEBLUR_BLUR: 'blur_gamma', DEBLUR_WEIGHTS: 'weights/lite-sample,maxim' });
  assert.equal(await parameterOptionsEnvironment({}, ROOT), {});
  await rejectsWithUsage(parameterOptionsEnvironment({ data: 'data/sample', realblur: 'J' }, ROOT), /^DEBLUR_REALBLUR J picks one of RealBlur's lists; data\/sample is in the gopro layout$/);
  await rejectsWithUsage(parameterOptionsEnvironment({ limit: 'many' }, ROOT), /^DEBLUR_LIMIT must be a whole number/);
});

test.run();

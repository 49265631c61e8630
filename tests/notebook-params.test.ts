import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SHIPPED_WEIGHTS } from '../src/infer/weights';
import { describeParameters, notebookParameters, parameterEnvironment } from '../src/notebook-params';
import { ROOT } from './helpers';

test('notebook parameters: the sample and the shipped network by default; each variable read and checked, a bad one named in one line', () => {
  const none = notebookParameters({}, ROOT);
  assert.equal(none, { data: 'data/sample', split: 'test', weights: [SHIPPED_WEIGHTS] });
  const set = notebookParameters({ DEBLUR_DATA: 'data/sample', DEBLUR_SPLIT: 'train', DEBLUR_WEIGHTS: 'weights/lite-sample, weights/lite-canonical', DEBLUR_LIMIT: '3' }, ROOT);
  assert.equal(set, { data: 'data/sample', split: 'train', weights: ['weights/lite-sample', 'weights/lite-canonical'], limit: 3 });
  assert.is(describeParameters(set), 'data data/sample (train split, at most 3 images); weights weights/lite-sample, weights/lite-canonical');
  assert.equal(notebookParameters({ ...process.env, ...parameterEnvironment(set) }, ROOT), set, 'the runner\'s environment gives the same parameters back');
  assert.throws(() => notebookParameters({ DEBLUR_DATA: 'nowhere' }, ROOT), /^DEBLUR_DATA: no folder nowhere$/);
  assert.throws(() => notebookParameters({ DEBLUR_SPLIT: 'val' }, ROOT), /^DEBLUR_SPLIT must be train or test \(got val\)$/);
  assert.throws(() => notebookParameters({ DEBLUR_WEIGHTS: 'data/sample' }, ROOT), /^DEBLUR_WEIGHTS: data\/sample holds no network/);
  assert.throws(() => notebookParameters({ DEBLUR_LIMIT: '0' }, ROOT), /^DEBLUR_LIMIT must be a whole number ≥ 1 \(got 0\)$/);
});

test.run();

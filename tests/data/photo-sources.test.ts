import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as path from 'node:path';
import { GCOMPRIS_PHOTOS, MORE_PHOTOS, PHOTOS } from '../../scripts/photo-sources';

const all = [...PHOTOS, ...MORE_PHOTOS, ...GCOMPRIS_PHOTOS];

test("every photo's pairs get a folder of their own: no two photos share a file stem (a set names each photo's sequence by it)", () => {
  const stems = all.map((p) => path.basename(p.file, path.extname(p.file)));
  const twice = stems.filter((s, i) => stems.indexOf(s) !== i);
  assert.equal(twice, []);
});

test('the GCompris photos are training photos only, each unpacked from the resource file of its own activity', () => {
  assert.is(GCOMPRIS_PHOTOS.length, 100);
  for (const p of GCOMPRIS_PHOTOS) {
    assert.is(p.split, 'train', p.file);
    const activity = path.basename(p.resource!.rcc, '.rcc');
    assert.ok(p.resource!.path.startsWith(`gcompris/src/activities/${activity}/resource/`), p.resource!.path);
    assert.ok(p.file.startsWith(`${activity}-`) && p.file.endsWith('.png'), p.file);
  }
});

test.run();

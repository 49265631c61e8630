import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../../src/errors';
import { HARM_DB, readWeightsYardstick, YARDSTICK_COLUMNS, yardstickRows, yardstickSummaryLines } from '../../src/eval/yardstick';

// The shipped network's report, kept beside its weights, read the way notebook 01 and `eval --yardstick` show it.
const shipped = path.join(__dirname, '..', '..', 'weights', 'lite-canonical');

test('a weights folder’s yardstick report: one row per generator, its cells the report’s numbers, then the verdict lines', () => {
  const r = readWeightsYardstick(shipped)!;
  const rows = yardstickRows(r);
  assert.is(rows.length, r.scores.length);
  rows.forEach((row, k) => {
    const s = r.scores[k]!;
    assert.is(row.length, YARDSTICK_COLUMNS.length);
    assert.is(row[0], s.generator);
    assert.is(row[1], s.trained === null ? '?' : s.trained ? 'yes' : 'no');
    assert.is(Number(row[4]), Number(s.gain.toFixed(2)), `${s.generator}: gain`);
    assert.ok(row[7]!.endsWith(`(${s.worst.id})`), row[7]);
    assert.is(row[8], `${s.worse} / ${s.harmed}`);
    assert.ok(s.harmed <= s.worse, `${s.generator}: harmed (< ${HARM_DB} dB) is a part of worse (< 0)`);
  });
  const lines = yardstickSummaryLines(r);
  assert.match(lines[0]!, new RegExp(`^generators it was not trained with \\(${r.heldOut!.generators.join(', ')}\\): mean gain [+-]\\d+\\.\\d\\d dB`));
  assert.match(lines[lines.length - 1]!, /^no blur: [+-]\d+\.\d\d dB \(a sharp photo should come back as it was: ≥ -0\.10 dB\)$/);
});

test('a weights folder without a report gives undefined; a damaged one a one-line error naming it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yardstick-table-'));
  try {
    assert.is(readWeightsYardstick(dir), undefined);
    fs.writeFileSync(path.join(dir, 'yardstick.json'), '{"scores": [');
    assert.throws(() => readWeightsYardstick(dir), (e: unknown) => e instanceof UsageError && e.message.startsWith(`${path.join(dir, 'yardstick.json')}: not valid JSON`));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

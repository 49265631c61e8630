import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_WARMUP_RUNS, summarizeTimes, timeRuns } from '../../src/bench/timing';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('warm-up: exactly `warmup` untimed runs when no warm-up time is asked', async () => {
  let calls = 0;
  const t = await timeRuns(async () => void calls++, 2, 3);
  assert.is(calls, 5);
  assert.is(t.runs, 2);
});

test('warm-up time: untimed runs go on until that much time has passed, then the timed ones', async () => {
  // Start times of every run: the warm-up ends with the first run that starts after 0.2 s (runs
  // take 20 ms or more, however loaded the machine, so there are several of them).
  const starts: number[] = [];
  const timed: number[] = [];
  await timeRuns(async () => { starts.push(performance.now()); await sleep(20); }, 2, 1, (_, ms) => timed.push(ms), 0.2);
  const warmups = starts.slice(0, -2);
  const t0 = warmups[0]!;
  assert.ok(warmups.length >= 2, `${warmups.length} warm-up runs`);
  assert.ok(warmups.at(-1)! - t0 < 200, 'a warm-up run started after the warm-up time had passed');
  // (≥ 195: the rule's clock starts a moment before the first run does.)
  assert.ok(starts.at(-2)! - t0 >= 195, `timing began ${starts.at(-2)! - t0} ms into a 200 ms warm-up`);
  assert.is(timed.length, 2);
  assert.ok(timed.every((ms) => ms >= 19), `timed runs ${timed.join(', ')} ms`);
});

test('warm-up time: at most MAX_WARMUP_RUNS untimed runs however short a run is', async () => {
  let calls = 0;
  await timeRuns(async () => void calls++, 1, 1, undefined, 1000);
  assert.is(calls, MAX_WARMUP_RUNS + 1);
});

test('summarizeTimes: median of an even count is the mean of the middle two', () => {
  assert.equal(summarizeTimes([4, 1, 3, 2]), { median: 2.5, min: 1, max: 4, runs: 4 });
  assert.throws(() => summarizeTimes([]), /no timed runs/);
});

test.run();

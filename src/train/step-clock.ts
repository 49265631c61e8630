/**
 * Times training steps for the ledger without counting time the process spent stopped (SIGSTOP or
 * Ctrl-Z, e.g. to measure something else on a quiet machine). A stop cannot be caught, but the
 * SIGCONT that ends it can: a step during which one arrived is timed by the CPU time the process
 * used rather than by the wall clock. On CPU backends the smaller of the two is then the step's
 * time (a busy thread's CPU time equals its wall time while it runs; a stopped one uses none). On
 * a GPU the process mostly waits without using CPU, so such a step counts as long as the one
 * before it.
 */
export class StepClock {
  private continued = 0;
  private seenContinued = 0;
  private wallStart = performance.now();
  private cpuStart = process.cpuUsage();
  private previous: number | undefined;
  private readonly onContinue = (): void => {
    this.continued += 1;
  };

  constructor(private readonly processor: 'cpu' | 'gpu' = 'cpu') {
    // Windows has no SIGCONT (nor SIGSTOP).
    if (process.platform !== 'win32') process.on('SIGCONT', this.onContinue);
  }

  /**
   * Seconds of training since the last lap (or since the clock was made), less `excludedMs` of
   * known non-training time in it (checkpoints, evaluations), and whether a stop was left out.
   */
  async lap(excludedMs = 0): Promise<{ seconds: number; stopped: boolean }> {
    // A SIGCONT's listener runs only when the event loop polls for I/O. A step runs in a
    // continuation of I/O (its batch read from disk), after this loop iteration's poll, so wait
    // for the next iteration's: one immediate runs in this iteration's check phase, the one it
    // schedules after the next poll.
    await new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
    const wallNow = performance.now();
    const cpu = process.cpuUsage(this.cpuStart);
    const wall = Math.max(0, wallNow - this.wallStart - excludedMs) / 1000;
    this.wallStart = wallNow;
    this.cpuStart = process.cpuUsage();
    const stopped = this.continued !== this.seenContinued;
    this.seenContinued = this.continued;
    let seconds = wall;
    if (stopped) {
      const cpuSeconds = Math.max(0, (cpu.user + cpu.system) / 1e6 - excludedMs / 1000);
      seconds = this.processor === 'gpu' ? Math.min(wall, this.previous ?? wall) : Math.min(wall, cpuSeconds);
    }
    this.previous = seconds;
    return { seconds, stopped };
  }

  dispose(): void {
    process.off('SIGCONT', this.onContinue);
  }
}

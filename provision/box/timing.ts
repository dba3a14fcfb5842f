// The box build's step timings: each step logged as it starts and ends, and kept for the summary.
export interface Timing {
  step: string;
  seconds: number;
}

/** Runs one named step, logs how long it took and records it for the closing summary. */
export async function timed<T>(timings: Timing[], step: string, log: (m: string) => void, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  log(`${step} ...`);
  try {
    return await fn();
  } finally {
    const seconds = Math.round((performance.now() - t0) / 100) / 10;
    timings.push({ step, seconds });
    log(`${step}: ${seconds} s`);
  }
}

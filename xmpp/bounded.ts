// Every wait of a session is bounded: a server that stops answering costs at most the time-out.
import { TimeoutError } from './errors.ts';

/** Rejects with a TimeoutError naming what we were waiting for, unless `work` settles first. */
export async function bounded<T>(work: Promise<T>, ms: number, waitingFor: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`timed out after ${ms / 1000} s ${waitingFor}`)), ms);
  });
  try {
    return await Promise.race([work, expiry]);
  } finally {
    clearTimeout(timer);
  }
}

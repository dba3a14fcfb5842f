// The part of the bench that runs inside the lab's `client` host (`chatlab exec client -- ...`),
// so that every timed process starts where a user's would, without chatlab's own start-up in the
// figure. One job per run: the job comes as JSON in argv[2], the result leaves as one JSON line
// on stdout; progress goes to stderr.
import { killAll } from './children.ts';
import type { Job } from './job.ts';
import { drainPhase } from './phase-drain.ts';
import { listenPhase } from './phase-listen.ts';
import { respondPhase } from './phase-respond.ts';
import { sendPhase } from './phase-send.ts';

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]!) as Job;
  try {
    const phases = { send: sendPhase, drain: drainPhase, listen: listenPhase, respond: respondPhase } as const;
    const result = await (phases[job.phase] as (job: Job) => Promise<unknown>)(job);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    killAll();
  }
}

await main();

// Runs `chatlab box` without the bundled entry: `npx tsx provision/box/cli.ts ARGS`.
import { chatlab } from '../chatlab.ts';

process.exitCode = await chatlab(['box', ...process.argv.slice(2)]);

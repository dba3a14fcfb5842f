// Runs `chatlab box` without the bundled entry: `npx tsx provision/box/cli.ts ARGS`.
import { runBox } from './main.ts';

process.exitCode = await runBox(process.argv.slice(2));

// `chatlab`, the entry point of dist/chatlab.js: everything else is in chatlab.ts.
import { chatlab } from './chatlab.ts';

process.exitCode = await chatlab(process.argv.slice(2));

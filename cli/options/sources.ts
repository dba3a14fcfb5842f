// Everything that reads the outside world comes in through OptionSources, so that every path of
// option resolution can be exercised by unit tests without files, a terminal or an environment.

export interface OptionSources {
  env: Readonly<Record<string, string | undefined>>;
  /** Reads a whole file as UTF-8; throws (any error) when it cannot. */
  readFile(path: string): string;
  /** Reads a password from the terminal without echo; undefined when there is no terminal. */
  promptPassword?: (prompt: string) => Promise<string | undefined>;
}

/** Reads a line from the terminal with echo off; Ctrl-C or Ctrl-D give up (empty password). */
async function promptWithoutEcho(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  try {
    return await new Promise<string>((resolve) => {
      let typed = '';
      stdin.on('data', function onData(chunk: Buffer) {
        for (const char of chunk.toString('utf8')) {
          if (char === '\r' || char === '\n' || char === '\u0003' || char === '\u0004') {
            stdin.off('data', onData);
            resolve(char === '\u0003' || char === '\u0004' ? '' : typed);
            return;
          }
          typed = char === '\u007f' || char === '\b' ? typed.slice(0, -1) : typed + char;
        }
      });
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

export async function systemSources(): Promise<OptionSources> {
  const { readFileSync } = await import('node:fs');
  return {
    env: process.env,
    readFile: (path) => readFileSync(path, 'utf8'),
    // Not process.stdin.isTTY: that opens stdin as a stream, and on a file (/dev/null for a
    // service) Node's file stream brings readline, fs/promises and watchers with it. node:tty
    // loads node:net: only once a password is to be asked for.
    promptPassword: async (prompt) => ((await import('node:tty')).isatty(0) ? promptWithoutEcho(prompt) : undefined),
  };
}

// The shapes of rsxcc's option table (table.ts): what the command line alone says, and one option.

/** What the command line alone says, before the config file and the environment are consulted. */
export interface CommandLine {
  help: boolean;
  version: boolean;
  jid?: string;
  password?: string;
  passwordFile?: string;
  configFile?: string;
  server?: string;
  caFile?: string;
  insecure: boolean;
  output?: string;
  timeout?: string;
  quiet?: string;
  debug: boolean;
  verbose: boolean;
  recipients: string[];
  message?: string;
  rooms: string[];
  roomPasswordFile?: string;
  showUnread: boolean;
  continuous: boolean;
  // Issue 14's history, peek and message kinds (cli/options/archive.ts checks and resolves them).
  peek?: boolean;
  history?: boolean;
  withJid?: string;
  start?: string;
  end?: string;
  max?: string;
  archiveDefault?: string;
  kind?: string;
  subject?: string;
  // Request and reply, and the responder (-q -r -R -A -C -L); the responder's command is the operands.
  request?: boolean;
  replyWait?: string;
  respond?: boolean;
  allow?: string[];
  concurrency?: string;
  timeLimit?: string;
  command?: string[];
}

export interface Option {
  letter: string;
  /** The argument's name in -h; none for a flag. */
  arg?: string;
  /** -h: the text after the option column, a line each. */
  help: string[];
  /** rsxcc(1): the tag line, where it is not the plain `.BI \-j " JID"` or `.B \-K`. */
  manTag?: string;
  /** rsxcc(1): the paragraph, roff source a line each. */
  man: string[];
  set: (line: CommandLine, value: string) => void;
}

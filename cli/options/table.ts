// rsxcc's options, once: getopt's optstring and what each option sets (getopt.ts), the -h text
// (help.ts) and the OPTIONS section of rsxcc(1) (manual.ts) all come from this table.

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
  showUnread: boolean;
  continuous: boolean;
  // Request and reply, and the responder (-q -W -R -A -C -L); the responder's command is the operands.
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

const r = String.raw;

export const options: readonly Option[] = [
  {
    letter: 'j',
    arg: 'JID',
    help: ['account to log in as (or "account" in the config file)'],
    man: [
      'The account, user@domain, optionally /resource.',
    ],
    set: (line, value) => { line.jid = value; },
  },
  {
    letter: 'p',
    arg: 'PASSWORD',
    help: ['password; other users can read it in the process list while rsxcc', 'starts: prefer XMPP_PASSWORD, -P FILE, the config file or the prompt'],
    man: [
      'The password.',
      '.B Other users can read it in the process list',
      'while rsxcc starts (rsxcc overwrites its process title right after parsing, but not before).',
      'Prefer',
      '.BR XMPP_PASSWORD ,',
      r`.BR \-P ,`,
      'the config file, or the prompt.',
    ],
    set: (line, value) => { line.password = value; },
  },
  {
    letter: 'P',
    arg: 'FILE',
    help: ['read the password from the first line of FILE'],
    man: [
      'Read the password from the first line of',
      '.IR FILE .',
    ],
    set: (line, value) => { line.passwordFile = value; },
  },
  {
    letter: 'f',
    arg: 'CONFIG',
    help: ['config file (default: $XDG_CONFIG_HOME/rsxcc/config or ~/.config/rsxcc/config)'],
    man: [
      'Read this config file instead of the default (see',
      '.BR FILES );',
      'it must exist.',
    ],
    set: (line, value) => { line.configFile = value; },
  },
  {
    letter: 'x',
    arg: 'HOST[:PORT]',
    help: ["server to connect to (default: SRV _xmpp-client._tcp of the JID's domain)"],
    manTag: r`.BI \-x " HOST\fR[\fP:PORT\fR]\fP"`,
    man: [
      'Connect here (an IPv6 address in brackets). Without it, rsxcc looks up the SRV record',
      '.BI _xmpp-client._tcp. DOMAIN',
      'and falls back to',
      '.IR DOMAIN :5222;',
      'addresses come from the system resolver. No HTTP host-meta lookups are made.',
    ],
    set: (line, value) => { line.server = value; },
  },
  {
    letter: 'a',
    arg: 'CAFILE',
    help: ["trust the certificate authorities in CAFILE (PEM) instead of the system's"],
    man: [
      "Trust the certificate authorities in this PEM file instead of the system store. The server's",
      "certificate must be valid for the JID's domain. Without",
      r`.BR \-a ,`,
      'the system store is used together with the file named by',
      '.BR NODE_EXTRA_CA_CERTS ,',
      'as Node does; rsxcc reads that file only when it connects (an unreadable one is a warning).',
      "As installed, the system store is OpenSSL's CA directory,",
      '.B SSL_CERT_DIR',
      'or',
      '.IR /etc/ssl/certs ;',
      '.B SSL_CERT_FILE',
      'is ignored, as Node ignores it.',
    ],
    set: (line, value) => { line.caFile = value; },
  },
  {
    letter: 'K',
    help: ["DO NOT verify the server's certificate (insecure; warns on every run)"],
    man: [
      'Do not verify the server certificate. The connection stays encrypted but anyone on the path',
      'can impersonate the server and learn the password; rsxcc warns on every run.',
    ],
    set: (line) => { line.insecure = true; },
  },
  {
    letter: 'o',
    arg: 'FORMAT',
    help: ['output: text (default) or json (one JSON object a line)'],
    manTag: r`.BR \-o " text" | json`,
    man: [
      'Output format. Text is for people: UTC time, sender, body, further body lines indented by four',
      'spaces. JSON is one object a line with',
      '.BR from ,',
      '.BR to ,',
      '.BR type ,',
      '.B id',
      '(or null),',
      '.BR body ,',
      '.B stamp',
      '(ISO 8601 UTC: the XEP-0203 delay stamp when present, else the arrival time) and',
      '.B delayed',
      '(true when the message carried a delay stamp).',
    ],
    set: (line, value) => { line.output = value; },
  },
  {
    letter: 'T',
    arg: 'SECONDS',
    help: ['bound on every wait: connect, TLS, login, confirmation (default 10)'],
    man: [
      'Bound on each wait: DNS, connecting, TLS, login, each server answer, each write, closing',
      '(default 10). Running out exits 75.',
    ],
    set: (line, value) => { line.timeout = value; },
  },
  {
    letter: 'w',
    arg: 'MS',
    help: ["also wait until no message came for MS after the server's end-of-unread", 'marker, for a server that does not order its marker (default 0)'],
    man: [
      'After the end-of-unread marker, also wait until no message has arrived for this long (default',
      '0, up to 10000). Only for a server that may deliver offline messages after answering the ping;',
      'a message that arrives later is not lost either way: unacknowledged, it stays stored.',
    ],
    set: (line, value) => { line.quiet = value; },
  },
  {
    letter: 'd',
    help: ['protocol debug: XML both ways on stderr, credentials redacted'],
    man: [
      'Protocol debug on standard error: every XML element both ways, SASL payloads replaced by',
      '[redacted] and the password masked wherever it would appear.',
    ],
    set: (line) => { line.debug = true; },
  },
  {
    letter: 'v',
    help: ['progress on stderr'],
    man: [
      'Progress on standard error.',
    ],
    set: (line) => { line.verbose = true; },
  },
  {
    letter: 't',
    arg: 'JID',
    help: ['send to JID; repeat for several recipients (operands are recipients too)'],
    man: [
      'Recipient; repeat for several. Operands after the options are recipients too.',
    ],
    set: (line, value) => { line.recipients.push(value); },
  },
  {
    letter: 'm',
    arg: 'MESSAGE',
    help: ['message body; without -m the body is read from standard input'],
    man: [
      'The body. Without',
      r`.BR \-m ,`,
      'the body is standard input, less one trailing newline. An empty body is an error (65), so a',
      'broken pipe in a cron job is noticed.',
    ],
    set: (line, value) => { line.message = value; },
  },
  {
    letter: 's',
    help: ['show unread messages and exit'],
    man: [
      'Show unread messages and exit.',
    ],
    set: (line) => { line.showUnread = true; },
  },
  {
    letter: 'c',
    help: ['continuous: show unread, then every message as it arrives, until SIGINT/SIGTERM'],
    man: [
      'Continuous mode.',
    ],
    set: (line) => { line.continuous = true; },
  },
  {
    letter: 'q',
    help: ['request: send the message to the one -t JID, wait for the reply, print it'],
    man: [
      'Request and reply: send the message to the one recipient with a new XEP-0201 thread, wait for',
      'the reply and print it (see',
      '.BR "REQUEST AND REPLY" ).',
    ],
    set: (line) => { line.request = true; },
  },
  {
    letter: 'W',
    arg: 'SECONDS',
    help: ['with -q: how long to wait for the reply once delivered (default: -T)'],
    man: [
      'With',
      r`.BR \-q :`,
      'how long to wait for the reply once the server has confirmed the request (default: the',
      r`.B \-T`,
      'value, up to 86400). Running out exits 75.',
    ],
    set: (line, value) => { line.replyWait = value; },
  },
  {
    letter: 'R',
    help: ['responder: run the command after -- for each request of an allowed sender', 'and reply with its output, until SIGINT/SIGTERM'],
    man: [
      'Responder: stay available and answer each request of an allowed sender',
      r`.RB ( \-A )`,
      'with the output of the command given as the operands, best after',
      r`.BR \-\- ;`,
      'see',
      '.BR RESPONDER .',
    ],
    set: (line) => { line.respond = true; },
  },
  {
    letter: 'A',
    arg: 'JID',
    help: ['with -R: a bare JID whose requests are answered; repeat for several', '(or "allow" in the config file); no list: the responder refuses to start'],
    man: [
      'With',
      r`.BR \-R :`,
      'a bare JID (user@domain) whose requests run the command; repeat for several. Given on the',
      'command line, the list replaces the config file\'s',
      '.BR allow .',
      'Without any, the responder refuses to start (64).',
    ],
    set: (line, value) => { (line.allow ??= []).push(value); },
  },
  {
    letter: 'C',
    arg: 'N',
    help: ['with -R: requests run at once (default 1)'],
    man: [
      'With',
      r`.BR \-R :`,
      'how many requests run at once (default 1, up to 64). Requests start in arrival order.',
    ],
    set: (line, value) => { line.concurrency = value; },
  },
  {
    letter: 'L',
    arg: 'SECONDS',
    help: ["with -R: a request's time limit; then its command is killed (default 60)"],
    man: [
      'With',
      r`.BR \-R :`,
      "the time limit of each request's command (default 60, up to 86400); past it the command's",
      'process group is killed and the reply says so.',
    ],
    set: (line, value) => { line.timeLimit = value; },
  },
  {
    letter: 'h',
    help: ['this help'],
    man: [
      'Usage.',
    ],
    set: (line) => { line.help = true; },
  },
  {
    letter: 'V',
    help: ['version'],
    man: [
      'Version.',
    ],
    set: (line) => { line.version = true; },
  },
];

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
      'Output format. Text is for people: UTC time, sender, the kind in brackets unless it is chat',
      '(for example',
      '.BR [headline] ),',
      'the subject as a quoted string when there is one, body, further body lines indented by four',
      'spaces. JSON is one object a line with',
      '.BR from ,',
      '.BR to ,',
      '.BR type ,',
      '.B id',
      '(or null),',
      '.B subject',
      '(or null),',
      '.BR body ,',
      '.B stamp',
      '(ISO 8601 UTC: the XEP-0203 delay stamp when present, else the arrival time) and',
      '.B delayed',
      '(true when the message carried a delay stamp),',
      '.B room',
      'and',
      '.B nick',
      "(a groupchat message's room and sender's nick; null for a direct message).",
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
    letter: 'g',
    arg: 'ROOM/NICK',
    help: ['send to chat room ROOM (room@service, XEP-0045) as NICK; repeat for several,', 'mixed with -t if wanted; with -c, follow the rooms (rsxcc(1), ROOMS)'],
    manTag: r`.BI \-g " ROOM@SERVICE/NICK"`,
    man: [
      'A multi-user chat room to send to, as',
      '.IR NICK ;',
      'repeat for several, mixed with',
      r`.B \-t`,
      'recipients if wanted (the same body goes to all). With',
      r`.BR \-c ,`,
      'the rooms to follow. Without',
      '.I /NICK',
      'the nick is',
      '.B nick',
      'from the config file (see',
      '.BR FILES ),',
      'else a usage error. See',
      '.BR ROOMS .',
    ],
    set: (line, value) => { line.rooms.push(value); },
  },
  {
    letter: 'G',
    arg: 'FILE',
    help: ['read the room password from the first line of FILE (or XMPP_ROOM_PASSWORD)'],
    man: [
      'Read the password of password-protected rooms from the first line of',
      '.IR FILE .',
      'Without it,',
      '.BR XMPP_ROOM_PASSWORD ,',
      "else the room's section of the config file. A room password is never taken from the command line.",
    ],
    set: (line, value) => { line.roomPasswordFile = value; },
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
    letter: 'n',
    help: ['peek: count the offline messages waiting, by sender, without taking them', '(XEP-0013; 69 where the server does not offer it)'],
    man: [
      'Peek: print how many offline messages wait, and how many from each sender, without taking',
      'them (see',
      '.BR "PEEK AND HISTORY" ).',
    ],
    set: (line) => { line.peek = true; },
  },
  {
    letter: 'H',
    help: ['history: print the message archive, oldest first (XEP-0313); an operand', "names a room whose archive to read instead of the account's"],
    man: [
      'History: print the account\'s message archive (XEP-0313), oldest first, page by page; an',
      'operand (or',
      r`.BR \-t )`,
      'names a room whose archive to read instead (see',
      '.BR "PEEK AND HISTORY" ).',
    ],
    set: (line) => { line.history = true; },
  },
  {
    letter: 'W',
    arg: 'JID',
    help: ['with -H: only messages exchanged with JID (a bare JID matches its resources)'],
    man: [
      'With',
      r`.BR \-H :`,
      'only messages exchanged with this JID; a bare JID matches all its resources.',
    ],
    set: (line, value) => { line.withJid = value; },
  },
  {
    letter: 'B',
    arg: 'TIME',
    help: ['with -H: only messages from TIME on (ISO 8601: 2026-12-01, 2026-12-01T08:00Z)'],
    man: [
      'With',
      r`.BR \-H :`,
      'only messages archived at or after this time. ISO 8601:',
      '.I YYYY-MM-DD',
      '(midnight UTC) or',
      r`.IR YYYY-MM-DD T hh:mm [: ss [. fff ]]Z`,
      'or with an offset',
      '.RI + hh:mm',
      'or',
      r`.RI \- hh:mm`,
      'instead of Z;',
      'a space may stand for the T, so a time copied from the text output works. A bad time',
      'exits 64.',
    ],
    set: (line, value) => { line.start = value; },
  },
  {
    letter: 'E',
    arg: 'TIME',
    help: ['with -H: only messages up to TIME (same formats as -B)'],
    man: [
      'With',
      r`.BR \-H :`,
      'only messages archived at or before this time; formats as for',
      r`.BR \-B .`,
    ],
    set: (line, value) => { line.end = value; },
  },
  {
    letter: 'N',
    arg: 'COUNT',
    help: ['with -H: at most COUNT messages, the oldest that match (default: all)'],
    man: [
      'With',
      r`.BR \-H :`,
      'stop after this many messages, the oldest that match (1 to 1000000000; default all, or',
      '.B history-max',
      'from the config file). For the latest ones, give',
      r`.BR \-B .`,
    ],
    set: (line, value) => { line.max = value; },
  },
  {
    letter: 'M',
    arg: 'DEFAULT',
    help: ["set the account's archiving default (always, never or roster), print the result"],
    manTag: r`.BR \-M " always" | never | roster`,
    man: [
      "Set the account's archiving preference (XEP-0313",
      '.BR prefs )',
      'to this default, keeping its always and never lists, and print the default the server',
      'now applies. Archiving is opt-in on the lab\'s servers: an account archives nothing until',
      'this is set.',
    ],
    set: (line, value) => { line.archiveDefault = value; },
  },
  {
    letter: 'k',
    arg: 'KIND',
    help: ['send as chat (default), normal or headline; a headline is not stored', 'for an offline recipient (RFC 6121)'],
    manTag: r`.BR \-k " chat" | normal | headline`,
    man: [
      'The message type of a send (default',
      '.BR chat ,',
      'or',
      '.B kind',
      'from the config file). A',
      '.B headline',
      'is delivered to the recipient\'s online resources and never stored: the server drops one',
      'for an offline recipient, or an account that does not exist, without an error (RFC 6121,',
      '8.5), and exit 0 then means only that the server handled it.',
    ],
    set: (line, value) => { line.kind = value; },
  },
  {
    letter: 'S',
    arg: 'SUBJECT',
    help: ['subject of the message sent (<subject/>)'],
    man: [
      'A subject for the message sent; like the body, it must be text XML can carry (else 65).',
    ],
    set: (line, value) => { line.subject = value; },
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
    letter: 'r',
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

// rsxcc's options of its long-running and conversational modes: continuous, request, responder; a part of the one option table (table.ts).
import type { Option } from './option-types.ts';

const r = String.raw;

export const agentsOptions: readonly Option[] = [
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
];

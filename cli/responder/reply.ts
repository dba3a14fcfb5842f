// What a reply says: the command's standard output as text, then one line for each thing the
// requester must know about how it ran, exactly these, in this order, each on a line of its own:
//   [rsxcc: cannot run the command: REASON]
//   [rsxcc: output truncated: a reply carries at most 65536 bytes of it]
//   [rsxcc: time limit of S s reached: the command was killed]
//   [rsxcc: killed by SIGNAL]
//   [rsxcc: exit status N]
// A command that exits 0 in time with output that fits gets its output alone, less one trailing
// newline (as a body read from standard input). The bound is on the output as it travels in XML
// (UTF-8, & < > escaped): every server takes a stanza of that size (Prosody's default limit is
// 256 KiB), where 64 KiB of "<" would grow to 256 KiB and the server would end the session.
import { bodyFromInput, notXmlChar } from '../modes/send.ts';
import type { CommandOutcome } from './command.ts';

export const replyLimit = 64 * 1024;

const notXml = new RegExp(notXmlChar.source, 'gu');

const escapedBytes = (char: string) => (char === '&' ? 5 : char === '<' || char === '>' ? 4 : Buffer.byteLength(char));

/** The longest start of `text` whose escaped form takes at most `limit` bytes. */
export function fitted(text: string, limit: number): { text: string; cut: boolean } {
  let size = 0;
  let end = 0;
  for (const char of text) {
    size += escapedBytes(char);
    if (size > limit) return { text: text.slice(0, end), cut: true };
    end += char.length;
  }
  return { text, cut: false };
}

/** The output as text XML can carry: invalid UTF-8 and characters XML cannot carry become U+FFFD. */
function outputText(outcome: CommandOutcome): string {
  // A cut in the middle of a character holds the character back (stream mode) instead of showing U+FFFD.
  const text = new TextDecoder().decode(outcome.output, { stream: outcome.truncated }).replace(notXml, '\ufffd');
  return outcome.truncated ? text : bodyFromInput(text);
}

function notes(outcome: CommandOutcome, timeLimitMs: number, cut: boolean): string[] {
  const { notStarted, exitCode, signal, timedOut } = outcome;
  return [
    notStarted !== undefined && `cannot run the command: ${notStarted}`,
    (outcome.truncated || cut) && `output truncated: a reply carries at most ${replyLimit} bytes of it`,
    timedOut && `time limit of ${timeLimitMs / 1000} s reached: the command was killed`,
    !timedOut && signal !== undefined && `killed by ${signal}`,
    exitCode !== undefined && exitCode !== 0 && `exit status ${exitCode}`,
  ].filter((note): note is string => typeof note === 'string');
}

/** The reply's body, and its notes alone (for rsxcc's stderr). */
export function composeReply(outcome: CommandOutcome, timeLimitMs: number): { body: string; notes: string[] } {
  const { text, cut } = fitted(outputText(outcome), replyLimit);
  const said = notes(outcome, timeLimitMs, cut);
  const lines = said.map((note) => `[rsxcc: ${note}]`);
  return { body: (text === '' ? lines : [text, ...lines]).join('\n'), notes: said };
}

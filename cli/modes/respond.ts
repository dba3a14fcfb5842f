// Responder mode (-R): a long-running agent, like -c, on listen()'s reconnect loop. Each session
// enables stream management (required: it is what keeps a request with the server until it has
// been answered) and then becomes available; the server flushes the stored requests on that
// presence, and they are handled as they come (cli/responder/responder.ts), as live ones are.
// SIGINT or SIGTERM: no command starts any more, the running ones are killed, and the session
// closes acknowledging the requests answered so far; the rest is run again at the next start.
import { UnavailableError } from '../../xmpp/errors.ts';
import type { OpenSession, Session } from '../../xmpp/session.ts';
import type { Diagnostics } from '../debug.ts';
import type { Options } from '../options/resolve.ts';
import { findCommand } from '../responder/command.ts';
import { Responder } from '../responder/responder.ts';
import { agentOptions, listen } from './listen.ts';

export async function becomeAvailable(session: Session): Promise<void> {
  if (!(await session.enableStreamManagement())) {
    throw new UnavailableError('the server does not offer stream management (XEP-0198): the responder needs it to keep a request stored until it is answered');
  }
  const { default: xml } = await import('@xmpp/xml');
  await session.send(xml('presence'));
}

/**
 * A session whose stanzas the responder handles. Its requests are dropped (and stay with the
 * server) once it ends or `stop` aborts; a request that arrived before the login finished waits
 * for the session to reply on.
 */
export async function responderSession(open: OpenSession, responder: Responder, stop: AbortSignal): Promise<Session> {
  const dropped = new AbortController();
  let opened: (session: Session) => void = () => {};
  let failed: (error: unknown) => void = () => {};
  const session = new Promise<Session>((resolve, reject) => ((opened = resolve), (failed = reject)));
  session.catch(() => {});
  try {
    const handler = responder.handler(session, AbortSignal.any([dropped.signal, stop]));
    const ready = await open({ acknowledgeEach: true, onStanza: handler });
    opened(ready);
    void ready.ended.then(() => dropped.abort());
    return ready;
  } catch (error) {
    dropped.abort();
    failed(error);
    throw error;
  }
}

export async function run(open: OpenSession, options: Options, diag: Diagnostics): Promise<void> {
  const settings = options.responder!;
  const [file, ...args] = settings.command;
  const command = [findCommand(file!, process.env.PATH), ...args];
  const agent = agentOptions(options, diag);
  const responder = new Responder({
    settings: { ...settings, command },
    log: (text) => process.stderr.write(`rsxcc: ${text}\n`),
    progress: diag.progress,
  });
  diag.progress(`answering requests of ${[...settings.allow].join(', ')} with ${command.join(' ')}`);
  await listen(() => responderSession(open, responder, agent.signal), becomeAvailable, agent);
}

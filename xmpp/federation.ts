// Confirmation across federation. A ping to our own server proves it has routed what we sent
// before it, not that a remote domain got it. A ping to the remote domain itself travels behind our
// messages on the same server-to-server stream, and the remote server answers it only after it
// has handled them; whatever error it produced for one of them comes back before its answer.
import xml from '@xmpp/xml';
import { RecipientError, TimeoutError } from './errors.ts';
import { NS_PING } from './login.ts';
import type { Session } from './session.ts';

/**
 * Resolves once `domain` has answered an IQ ping sent through our server. Any error the remote
 * server sends (service-unavailable, feature-not-implemented: no XEP-0199 there) is still a round
 * trip through it. Our server's own failures are not: remote-server-not-found rejects with that
 * RecipientError, remote-server-timeout and no answer in time with a TimeoutError.
 */
export async function pingDomain(session: Pick<Session, 'request'>, domain: string): Promise<void> {
  try {
    await session.request(xml('iq', { type: 'get', to: domain }, xml('ping', { xmlns: NS_PING })));
  } catch (error) {
    if (error instanceof TimeoutError || (error instanceof RecipientError && error.condition === 'remote-server-timeout')) {
      throw new TimeoutError(`${domain} did not confirm in time: what we sent it may still be queued on our server`);
    }
    if (error instanceof RecipientError && error.condition !== 'remote-server-not-found') return;
    throw error;
  }
}

import type { Session } from '../../xmpp/session.ts';

/** Closes cleanly after success; after a failure drops the connection so the exit is not delayed further. */
export async function settle(session: Session, work: Promise<void>): Promise<void> {
  try {
    await work;
  } catch (error) {
    session.abort();
    throw error;
  }
  await session.close();
}

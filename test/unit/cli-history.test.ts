// rsxcc -H against the fake server's archive: paged to the end, oldest first, nothing twice, the
// next page asked only once the previous one is printed, the server's `complete` obeyed, filters
// and rooms asked as XEP-0313 says, and an account without an archive a 69.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ExitCode, exitCodeOf } from '../../cli/errors.ts';
import { archivePrinter, readHistory } from '../../cli/modes/history.ts';
import type { HistoryFilter } from '../../cli/options/archive.ts';
import { NotSupportedError, UnavailableError } from '../../xmpp/errors.ts';
import { parseJid } from '../../xmpp/jid.ts';
import { ArchiveReader, NS_MAM, type ArchivedMessage } from '../../xmpp/mam.ts';
import { ACCOUNT, archived, discoInfo, fakeArchive, login, type Archived, type FakeArchive } from './fake-archive.ts';
import { fakeServer, iqRoute, type FakeServer, type IqHandler } from './fake-xmpp-server.ts';

interface Read {
  ids: string[];
  server: FakeServer;
}

/** Reads `archive` with `filter` as -H does, printing through `print` (default: collect the ids). */
async function history(archive: FakeArchive, filter: HistoryFilter = {}, options: { handlers?: IqHandler[]; print?: (item: ArchivedMessage) => Promise<void> } = {}): Promise<Read> {
  const ids: string[] = [];
  const print = options.print ?? (async (item: ArchivedMessage) => void ids.push(item.id));
  const server = await fakeServer([], { route: iqRoute(options.handlers ?? [discoInfo(ACCOUNT, [NS_MAM]), archive.handler]) });
  try {
    const reader = new ArchiveReader(print);
    const session = await login(server, { onStanza: reader.onStanza });
    try {
      await readHistory(session, reader, filter, () => {});
    } finally {
      await session.close();
    }
    return { ids, server };
  } finally {
    server.close();
  }
}

const idsOf = (entries: readonly Archived[]) => entries.map((entry) => entry.id);

test('given 1,000 archived messages, when -H reads them in pages of 250, then each is printed once, oldest first, and each page starts after the last', async () => {
  const entries = archived(1000);
  const archive = fakeArchive(entries);
  const { ids } = await history(archive);
  assert.equal(entries.length, 1000, 'premise: more than three pages');
  assert.deepEqual(ids, idsOf(entries));
  assert.equal(new Set(ids).size, ids.length, 'nothing twice across page boundaries');
  assert.deepEqual(archive.queries.map((q) => [q.after, q.max]), [[undefined, 250], ['a250', 250], ['a500', 250], ['a750', 250]]);
});

test('given a server that sends at most 50 a page (Prosody 0.12), when -H reads 180 messages, then it pages on to the end: all, in order', async () => {
  const entries = archived(180);
  const archive = fakeArchive(entries, { cap: 50 });
  const { ids } = await history(archive);
  assert.deepEqual(ids, idsOf(entries));
  assert.deepEqual(archive.queries.map((q) => q.after), [undefined, 'a50', 'a100', 'a150'], 'premise: pages smaller than asked');
});

test('given a slow reader of the output, when a page arrives while the previous is still being printed, then the next page is asked only once every line is printed', async () => {
  const entries = archived(600);
  const archive = fakeArchive(entries, { cap: 100 });
  const printed: string[] = [];
  const printedWhenAsked: number[] = [];
  archive.onQuery = () => printedWhenAsked.push(printed.length);
  const slowly = async (item: ArchivedMessage) => {
    await new Promise((resolve) => setImmediate(resolve));
    printed.push(item.id);
  };
  await history(archive, {}, { print: slowly });
  assert.deepEqual(printed, idsOf(entries));
  assert.deepEqual(printedWhenAsked, [0, 100, 200, 300, 400, 500], 'each query came after the whole previous page was printed, never during it');
});

test("given the server says complete='true', when the last page holds a cursor too, then no further page is asked", async () => {
  const archive = fakeArchive(archived(500));
  const { ids } = await history(archive);
  assert.equal(ids.length, 500);
  assert.equal(archive.queries.length, 2, 'premise: the second page was full and had a last id; complete alone ended it');
});

test("given a server that never says complete, when the archive is read, then it ends at the first page without a cursor, having printed everything once", async () => {
  const entries = archived(300);
  const archive = fakeArchive(entries, { saysComplete: false });
  const { ids } = await history(archive);
  assert.deepEqual(ids, idsOf(entries));
  assert.deepEqual(archive.queries.map((q) => q.after), [undefined, 'a250', 'a300'], 'the empty page after the last one has no <last/>: the end');
});

test('given -N 260, when the archive holds 1,000, then the oldest 260 are printed and the second page asks for only the 10 left', async () => {
  const archive = fakeArchive(archived(1000));
  const { ids } = await history(archive, { max: 260 });
  assert.deepEqual(ids, idsOf(archived(260)));
  assert.deepEqual(archive.queries.map((q) => q.max), [250, 10]);
});

test('given -W, -B and -E, when -H asks, then the form carries with, start and end in XEP-0082 form, and only matching messages are printed', async () => {
  const archive = fakeArchive(archived(100));
  const filter = { with: parseJid('bob@example.org'), start: new Date('2026-12-01T00:10:00Z'), end: new Date('2026-12-01T00:19:30.500Z') };
  const { ids } = await history(archive, filter);
  assert.deepEqual(archive.queries[0]!.fields, {
    FORM_TYPE: NS_MAM,
    with: 'bob@example.org',
    start: '2026-12-01T00:10:00Z',
    end: '2026-12-01T00:19:30.500Z',
  });
  assert.deepEqual(ids, ['a11', 'a12', 'a13', 'a14', 'a15', 'a16', 'a17', 'a18', 'a19', 'a20']);
});

test("given a room JID, when -H reads its archive, then the query is sent to the room, whose results are printed; results from anyone else are not", async () => {
  const room = 'lounge@rooms.example.org';
  const archive = fakeArchive(archived(3), { from: room });
  const { ids, server } = await history(archive, { room: parseJid(room) }, { handlers: [discoInfo(room, [NS_MAM]), archive.handler] });
  assert.equal(archive.queries[0]!.to, room);
  assert.deepEqual(ids, ['a1', 'a2', 'a3']);
  assert.ok(server.received.some((xml) => xml.includes(`to="${room}"`) && xml.includes('disco#info')), 'the room was asked whether it archives');

  const forged = fakeArchive(archived(3), { from: 'mallory@example.org' });
  const none = await history(forged, { room: parseJid(room) }, { handlers: [discoInfo(room, [NS_MAM]), forged.handler] });
  assert.equal(forged.queries.length, 1, 'premise: the page was sent, by someone other than the room');
  assert.deepEqual(none.ids, []);
});

test('given an account whose disco#info lacks urn:xmpp:mam:2, when -H runs, then it fails with NotSupportedError (69) and asks for no page', async () => {
  const archive = fakeArchive(archived(5));
  await assert.rejects(history(archive, {}, { handlers: [discoInfo(ACCOUNT, ['urn:xmpp:ping']), archive.handler] }), (error: Error) => {
    assert.ok(error instanceof NotSupportedError, String(error));
    assert.equal(error.message, `${ACCOUNT} offers no message archive (XEP-0313 urn:xmpp:mam:2)`);
    assert.equal(exitCodeOf(error), ExitCode.unavailable);
    return true;
  });
  assert.equal(archive.queries.length, 0);
});

test('given a server that ignores the paging cursor, when -H reads, then it stops with an error instead of printing the same page for ever', async () => {
  const archive = fakeArchive(archived(600), { ignoresCursor: true });
  await assert.rejects(history(archive), (error: Error) => error instanceof UnavailableError && /sent the same page again/.test(error.message));
  assert.equal(archive.queries.length, 2);
});

test('given archived messages, when printed, then text shows time, archive id, both ends, kind and subject, and JSON has exactly the documented fields', async () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const { default: xml } = await import('@xmpp/xml');
  const message = xml('message', { from: 'bob@example.org/phone', to: ACCOUNT, type: 'headline', id: 'm7' }, xml('subject', {}, 'Alert'), xml('body', {}, 'one\ntwo'));
  const item = { id: 'x9', stamp: new Date('2026-12-01T08:00:00Z'), message };
  await archivePrinter(out, 'text')(item);
  await archivePrinter(out, 'json')(item);
  await archivePrinter(out, 'json')({ id: 'x10', stamp: undefined, message: xml('message', { from: 'a@b.c' }, xml('active')) });
  assert.equal(
    text,
    `2026-12-01 08:00:00Z #x9 bob@example.org/phone -> ${ACCOUNT} [headline] "Alert": one\n    two\n` +
      `{"archiveId":"x9","from":"bob@example.org/phone","to":"${ACCOUNT}","type":"headline","id":"m7","subject":"Alert","body":"one\\ntwo","stamp":"2026-12-01T08:00:00.000Z"}\n`,
    'a bodiless archived message (a chat state) prints nothing',
  );
});

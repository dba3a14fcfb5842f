// The stream parser (xmpp/parser.ts) against @xmpp/xml's own (ltx): the same elements from the same
// stream, however the stream is cut into chunks; each stanza's parent the stream header; malformed
// XML an 'error' and the end of parsing, where ltx threw from inside the socket's listener.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import xml, { Parser as LtxParser, type Element } from '@xmpp/xml';
import { streamParser } from '../../xmpp/parser.ts';

const StreamParser = streamParser(xml);

const stream =
  `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from="example.org" version='1.0'>` +
  `<stream:features><sm xmlns='urn:xmpp:sm:3'/><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></stream:features>\n  ` +
  `<message xml:lang='en' to='alice@example.org' from='bob@example.org/x' type='chat' id='a&amp;b' >` +
  `<archived by='alice@example.org' xmlns='urn:xmpp:mam:tmp' id='17'/><body>caf\u00e9 &lt;b&gt; &amp; &apos;q&apos; &#x1F600; &#233;\nline two</body>` +
  `<delay xmlns='urn:xmpp:delay' from='example.org' stamp='2026-11-23T10:00:00.000000Z'>Offline storage</delay></message>` +
  `<!-- a comment --><message to = "alice@example.org" title='a > b "quoted"' type="chat"><body><![CDATA[<raw> & ]]></body><x xmlns='jabber:x:data'><field var='v'><value>1</value></field></x></message>` +
  ` <iq type='result' id='p1'/><r xmlns='urn:xmpp:sm:3'/></stream:stream>`;

interface Seen {
  events: string[];
  elements: Element[];
}

function feed(parser: InstanceType<typeof StreamParser> | LtxParser, chunks: string[]): Seen {
  const seen: Seen = { events: [], elements: [] };
  parser.on('start', (element: Element) => seen.events.push(`start ${String(element)}`));
  parser.on('element', (element: Element) => {
    seen.events.push(`element ${String(element)}`);
    seen.elements.push(element);
  });
  parser.on('end', () => seen.events.push('end'));
  parser.on('error', (error: Error) => seen.events.push(`error ${error.name}: ${error.message}`));
  for (const chunk of chunks) parser.write(chunk);
  return seen;
}

const split = (text: string, size: number) => Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size));

test("the stream parser gives the elements ltx gives, whole or cut anywhere, with each stanza's parent the stream header", () => {
  const ltx = feed(new LtxParser(), [stream]);
  assert.equal(ltx.elements.length, 5, 'premise: ltx sees features, two messages, the iq and the <r/>');
  for (const size of [stream.length, 1, 2, 3, 7, 16, 64]) {
    const ours = feed(new StreamParser(), split(stream, size));
    assert.deepEqual(ours.events, ltx.events, `chunks of ${size}`);
    assert.deepEqual(
      ours.elements.map((element) => element.getNS()),
      ['http://etherx.jabber.org/streams', 'jabber:client', 'jabber:client', 'jabber:client', 'urn:xmpp:sm:3'],
    );
  }
  const [, first, second] = feed(new StreamParser(), [stream]).elements;
  assert.equal(first!.getChildText('body'), "caf\u00e9 <b> & 'q' \u{1F600} \u00e9\nline two");
  assert.equal(first!.attrs.id, 'a&b');
  assert.equal(second!.attrs.title, 'a > b "quoted"');
  assert.equal(second!.getChildText('body'), '<raw> & ');
  // Where ltx drops text that follows a CDATA section.
  const [cdata] = feed(new StreamParser(), ["<stream:stream xmlns='jabber:client'>", '<message><body><![CDATA[<a>]]> &amp; b</body></message>']).elements;
  assert.equal(cdata!.getChildText('body'), '<a> & b');
});

test('malformed XML is an error and the end of parsing: a tag closed out of turn, an unknown entity, a DOCTYPE', () => {
  const header = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
  for (const [bad, says] of [
    ['<message><body>x</message>', /body must be closed/],
    ['<message><body>&bogus;</body></message>', /Illegal XML entity &bogus;/],
    ["<message to='&bogus;'/>", /Illegal XML entity/],
    ['<!DOCTYPE x>', /no DOCTYPE/],
    ['<message to=unquoted/>', /malformed tag/],
  ] as const) {
    const seen = feed(new StreamParser(), [header, bad, '<iq type="result"/>']);
    const errors = seen.events.filter((event) => event.startsWith('error'));
    assert.equal(errors.length, 1, `${bad}: ${seen.events.join(' | ')}`);
    assert.match(errors[0]!, /^error XMLError: /);
    assert.match(errors[0]!, says);
    assert.ok(!seen.events.some((event) => event.includes('<iq')), `${bad}: nothing parsed after the error`);
  }
});

test('whitespace between stanzas carries nothing, and an exception from a listener is not taken for bad XML', () => {
  const parser = new StreamParser();
  const seen = feed(parser, ["<stream:stream xmlns='jabber:client'>", '   \n ', '<presence/>', ' ']);
  assert.deepEqual(seen.events, ["start <stream:stream xmlns=\"jabber:client\"/>", 'element <presence/>']);
  parser.on('element', () => {
    throw new Error('a listener failed');
  });
  assert.throws(() => parser.write('<presence/>'), /a listener failed/);
});

test('data fed in by a listener while an element is handled (a TLS write can read) is parsed after the rest, in order', () => {
  const parser = new StreamParser();
  const seen: string[] = [];
  parser.on('element', (element: Element) => {
    seen.push(String(element.attrs.id));
    if (element.attrs.id === '1') parser.write("<iq id='3'/>");
  });
  parser.write("<stream:stream xmlns='jabber:client'><iq id='1'/><iq id='2'/>");
  assert.deepEqual(seen, ['1', '2', '3']);
});

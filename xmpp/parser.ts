// The stream's XML parser, in place of @xmpp/xml's (ltx's SAX parser, one character at a time in
// JavaScript): tags are found with indexOf and matched with regular expressions, which V8 runs as
// native code even where it does not optimise JavaScript. It builds the same ltx Elements and
// emits what xmpp.js's connection listens for: 'start' (the stream header), 'element' (each
// top-level element, its parent the header so that it inherits the stream's namespace), 'end'
// (the stream's close) and 'error' (malformed XML, an unknown entity: the stream's end, where a
// throw from ltx went up the socket's 'data' listener). XMPP's restricted XML: no DOCTYPE; comments
// and processing instructions are skipped; whitespace outside a stanza carries nothing.
import { EventEmitter } from 'node:events';
import type xmlFactory from '@xmpp/xml';
import type { Element } from '@xmpp/xml';

/** A start tag where it stands (sticky): name, attributes, and whether it closes itself. */
const START = /<([^\s/>]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/y;
const ATTRIBUTE = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
const END = /<\/([^\s/>]+)\s*>/y;
/** What ends a tag, unless quoted. */
const TAG_END = /[>"']/g;
const blank = (text: string) => text.trim() === '';

/** What is wrong with the stream's XML; any other exception (a listener's) goes on up, as from ltx. */
class Malformed extends Error {}

export type StreamParserClass = new () => EventEmitter & { write(data: string): void; end(data?: string): void };

/** The parser class for an entity's `Parser`, over the loaded @xmpp/xml. */
export function streamParser(xml: typeof xmlFactory): StreamParserClass {
  const { Element, XMLError } = xml as unknown as { Element: typeof import('@xmpp/xml').Element; XMLError: new (message: string) => Error };
  const unescapeXML = (xml as unknown as { unescapeXML: (text: string) => string }).unescapeXML;
  const unescape = (text: string) => {
    try {
      return unescapeXML(text);
    } catch (error) {
      throw new Malformed((error as Error).message);
    }
  };

  /** Where the tag opened at `from` ends (its '>'), or -1 when `text` holds only part of it. */
  function tagEnd(text: string, from: number): number {
    TAG_END.lastIndex = from;
    for (let found = TAG_END.exec(text); found; found = TAG_END.exec(text)) {
      if (found[0] === '>') return found.index;
      const close = text.indexOf(found[0], found.index + 1);
      if (close === -1) return -1;
      TAG_END.lastIndex = close + 1;
    }
    return -1;
  }

  return class StreamParser extends EventEmitter {
    private root: Element | undefined;
    private cursor: Element | undefined;
    /** What the last write left unparsed (part of a tag, or text not yet closed by a tag). */
    private rest = '';
    /** How far into `rest` text is known to hold no '<'. */
    private scanned = 0;
    private done = false;

    /** Data a listener's work fed in while the parser was busy (a TLS write can read): parsed next, in order. */
    private queued: string[] = [];
    private writing = false;

    write(data: string): void {
      if (this.writing) {
        this.queued.push(data);
        return;
      }
      this.writing = true;
      try {
        this.parse(data);
        while (this.queued.length && !this.done) this.parse(this.queued.shift()!);
      } finally {
        this.writing = false;
      }
    }

    private parse(data: string): void {
      if (this.done) return;
      const text = this.rest ? this.rest + data : data;
      let pos = 0;
      let from = this.scanned;
      this.rest = '';
      this.scanned = 0;
      try {
        while (pos < text.length && !this.done) {
          const lt = text.indexOf('<', from);
          if (lt === -1) {
            this.rest = text.slice(pos);
            this.scanned = text.length - pos;
            return;
          }
          if (lt > pos) this.text(text.slice(pos, lt), false);
          const next = this.tag(text, lt);
          if (next === -1) {
            this.rest = text.slice(lt);
            return;
          }
          pos = from = next;
        }
      } catch (error) {
        if (!(error instanceof Malformed)) throw error;
        this.done = true;
        this.emit('error', new XMLError(error.message));
      }
    }

    end(data?: string): void {
      if (data) this.write(data);
    }

    /** Parses the markup at `lt`; where parsing goes on, or -1 when it is not all there yet. */
    private tag(text: string, lt: number): number {
      const kind = text.charCodeAt(lt + 1);
      if (kind === 0x21 /* ! */) {
        if (text.startsWith('<!--', lt)) return this.skip(text, lt, '-->');
        if (text.startsWith('<![CDATA[', lt)) {
          const close = text.indexOf(']]>', lt + 9);
          if (close === -1) return -1;
          this.text(text.slice(lt + 9, close), true);
          return close + 3;
        }
        if (text.length - lt < 9 && ('<![CDATA['.startsWith(text.slice(lt)) || '<!--'.startsWith(text.slice(lt)))) return -1;
        throw new Malformed('restricted XML: no DOCTYPE or declarations');
      }
      if (kind === 0x3f /* ? */) return this.skip(text, lt, '?>');
      if (Number.isNaN(kind)) return -1;
      if (kind === 0x2f /* / */) {
        END.lastIndex = lt;
        const end = END.exec(text);
        if (!end) return this.unmatched(text, lt);
        const next = END.lastIndex;
        this.close(end[1]!);
        return next;
      }
      START.lastIndex = lt;
      const start = START.exec(text);
      if (!start) return this.unmatched(text, lt);
      const next = START.lastIndex;
      const element = new Element(start[1]!);
      if (start[2]) {
        const attrs: Record<string, string> = {};
        ATTRIBUTE.lastIndex = 0;
        for (let attr = ATTRIBUTE.exec(start[2]); attr; attr = ATTRIBUTE.exec(start[2])) {
          const value = attr[2] ?? attr[3]!;
          attrs[attr[1]!] = value.includes('&') ? unescape(value) : value;
        }
        element.attrs = attrs;
      }
      this.open(element);
      if (start[3]) this.close(element.name);
      return next;
    }

    /** A tag that does not match: not all there yet (-1), or malformed. */
    private unmatched(text: string, lt: number): number {
      const gt = tagEnd(text, lt + 1);
      if (gt === -1) return -1;
      throw new Malformed(`malformed tag ${text.slice(lt, Math.min(gt + 1, lt + 80))}`);
    }

    private skip(text: string, lt: number, until: string): number {
      const close = text.indexOf(until, lt + 2);
      return close === -1 ? -1 : close + until.length;
    }

    private open(element: Element): void {
      const { root, cursor } = this;
      if (!root) {
        this.root = element;
        this.emit('start', element);
      } else if (cursor !== root) {
        cursor!.append(element);
      }
      this.cursor = element;
    }

    private close(name: string): void {
      const { root, cursor } = this;
      if (!cursor || name !== cursor.name) throw new Malformed(`${cursor?.name ?? name} must be closed.`);
      if (cursor === root) {
        this.done = true;
        this.emit('end', root);
      } else if (!cursor.parent) {
        cursor.parent = root!;
        this.cursor = root;
        this.emit('element', cursor);
      } else {
        this.cursor = cursor.parent;
      }
    }

    private text(raw: string, cdata: boolean): void {
      const { root, cursor } = this;
      if (!cursor || cursor === root) {
        if (blank(raw)) return;
        if (!cursor) throw new Malformed(`${raw.slice(0, 80)} must be a child.`);
        return;
      }
      cursor.children.push(cdata || !raw.includes('&') ? raw : unescape(raw));
    }
  };
}

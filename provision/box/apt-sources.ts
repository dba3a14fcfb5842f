// The box is built from the same Debian mirror the building machine already uses, read from its
// apt configuration rather than written into the project. Pure: text in, text out.
import { EX, LabError } from '../errors.ts';

export interface AptEntry {
  uri: string;
  suites: string[];
  components: string[];
  signedBy: string | undefined;
}

/** Parses deb822 `.sources` stanzas and one-line `.list` entries; only binary (`deb`) entries. */
export function parseAptSources(fileName: string, text: string): AptEntry[] {
  if (fileName.endsWith('.sources')) return parseDeb822(text);
  if (fileName.endsWith('.list')) return parseOneLine(text);
  return [];
}

function parseDeb822(text: string): AptEntry[] {
  const entries: AptEntry[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#') || line.trim() === '') continue;
      if (/^\s/.test(line) && last) {
        fields.set(last, `${fields.get(last)} ${line.trim()}`);
        continue;
      }
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (!m) continue;
      last = m[1]!.toLowerCase();
      fields.set(last, m[2]!.trim());
    }
    const words = (k: string) => (fields.get(k) ?? '').split(/\s+/).filter(Boolean);
    if (!words('types').includes('deb')) continue;
    if ((fields.get('enabled') ?? 'yes').toLowerCase() === 'no') continue;
    for (const uri of words('uris')) {
      entries.push({ uri, suites: words('suites'), components: words('components'), signedBy: fields.get('signed-by') });
    }
  }
  return entries;
}

function parseOneLine(text: string): AptEntry[] {
  const entries: AptEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line.startsWith('deb ')) continue;
    let rest = line.slice(4).trim();
    let signedBy: string | undefined;
    const opts = /^\[([^\]]*)\]\s*/.exec(rest);
    if (opts) {
      signedBy = /signed-by=(\S+)/.exec(opts[1]!)?.[1];
      rest = rest.slice(opts[0].length);
    }
    const [uri, suite, ...components] = rest.split(/\s+/);
    if (uri && suite) entries.push({ uri, suites: [suite], components, signedBy });
  }
  return entries;
}

export interface GuestSources {
  /** Where debootstrap fetches the base system. */
  mirror: string;
  /** /etc/apt/sources.list.d/debian.sources for the image. */
  deb822: string;
}

/** Keeps only the entries for `suite` (and its -updates/-security) with `main`: the building
 *  machine may have third-party repositories the box must not inherit. */
export function guestSources(entries: AptEntry[], suite: string): GuestSources {
  const ours = entries.filter(
    (e) => e.components.includes('main') && e.suites.some((s) => s === suite || s.startsWith(`${suite}-`)),
  );
  const base = ours.find((e) => e.suites.includes(suite));
  if (!base) throw new LabError(`no apt source for '${suite}' main on this machine: cannot pick a mirror`, EX.unavailable);
  const stanzas = ours.map((e) =>
    [
      'Types: deb',
      `URIs: ${e.uri}`,
      `Suites: ${e.suites.filter((s) => s === suite || s.startsWith(`${suite}-`)).join(' ')}`,
      'Components: main',
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
    ].join('\n'),
  );
  return { mirror: base.uri, deb822: `${stanzas.join('\n\n')}\n` };
}

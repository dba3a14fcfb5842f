// JID validation strict enough to catch typos before a connection is made (RFC 7622, without
// full PRECIS: the server has the last word, but it should never see an obviously broken address).
import { DataError } from './errors.ts';

export interface Jid {
  local: string;
  domain: string;
  resource: string;
}

const maxPartBytes = 1023;
// RFC 7622 section 3.3.1: characters a localpart may not contain.
const forbiddenInLocal = /["&'/:<>@\s]/u;
// A label of letters and digits (any script) and inner hyphens. The Unicode classes are built only
// for a label beyond ASCII (the domain is lower-cased): V8 reads ICU's property tables for them as
// soon as it parses such a literal, 0.2 MB and most of a millisecond of every start.
const asciiLabel = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
let unicodeLabel: RegExp | undefined;
const isDomainLabel = (label: string) =>
  asciiLabel.test(label) || (unicodeLabel ??= new RegExp(String.raw`^[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?$`, 'u')).test(label);
const ipv4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
// Controls and non-characters no part of an address may carry (XML could not even transport most).
const forbiddenAnywhere = /[\u0000-\u001f\u007f-\u009f\ufffe\uffff]/u;

export function parseJid(text: string, what = 'JID'): Jid {
  const fail = (why: string): never => {
    throw new DataError(`invalid ${what} ${JSON.stringify(text)}: ${why}`);
  };
  if (text === '') fail('empty');
  if (forbiddenAnywhere.test(text)) fail('contains control characters');
  const slash = text.indexOf('/');
  const resource = slash === -1 ? '' : text.slice(slash + 1);
  const bare = slash === -1 ? text : text.slice(0, slash);
  const at = bare.lastIndexOf('@');
  const local = at === -1 ? '' : bare.slice(0, at);
  const domain = (at === -1 ? bare : bare.slice(at + 1)).replace(/\.$/, '').toLowerCase();

  if (at !== -1 && local === '') fail('empty local part before "@"');
  if (forbiddenInLocal.test(local)) fail('local part contains one of " & \' / : < > @ or a space');
  if (slash !== -1 && resource === '') fail('empty resource after "/"');
  if (domain === '') fail('missing domain');
  if (!ipv4.test(domain) && !domain.split('.').every(isDomainLabel)) {
    fail(`bad domain ${JSON.stringify(domain)}`);
  }
  for (const part of [local, domain, resource]) {
    if (Buffer.byteLength(part) > maxPartBytes) fail(`a part is longer than ${maxPartBytes} bytes`);
  }
  return { local, domain, resource };
}

export const bareJid = (jid: Jid): string => (jid.local ? `${jid.local}@${jid.domain}` : jid.domain);
export const fullJid = (jid: Jid): string => bareJid(jid) + (jid.resource ? `/${jid.resource}` : '');

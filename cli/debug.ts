// -d and -v: diagnostics on stderr only, never a credential. @xmpp/debug is not used: it writes to
// stdout (which carries results), and it blanks SASL payloads but not the password elsewhere.
import type { Element } from '@xmpp/xml';

const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';

/** The element as XML, with SASL payloads blanked and the passwords themselves masked anywhere they appear. */
export function redact(element: Element | string, ...passwords: string[]): string {
  let text: string;
  if (typeof element !== 'string' && element.getNS() === NS_SASL && element.children.some((child) => typeof child === 'string')) {
    const attrs = Object.entries(element.attrs)
      .map(([key, value]) => ` ${key}="${value}"`)
      .join('');
    text = `<${element.name}${attrs}>[redacted]</${element.name}>`;
  } else {
    text = String(element);
  }
  return passwords.reduce((masked, password) => (password ? masked.split(password).join('[redacted]') : masked), text);
}

export interface Diagnostics {
  progress: (text: string) => void;
  trace?: (direction: 'in' | 'out', element: Element | string) => void;
}

export function diagnostics(
  options: { debug: boolean; verbose: boolean; password: string; rooms?: ReadonlyArray<{ password?: string }> },
  stderr: NodeJS.WritableStream,
): Diagnostics {
  const passwords = [options.password, ...(options.rooms ?? []).flatMap((room) => room.password ?? [])];
  const start = Date.now();
  const stamp = () => `${((Date.now() - start) / 1000).toFixed(3)}s`;
  return {
    progress: options.verbose || options.debug ? (text) => stderr.write(`rsxcc: ${stamp()} ${text}\n`) : () => {},
    trace: options.debug
      ? (direction, element) => stderr.write(`rsxcc: ${stamp()} ${direction === 'in' ? '<<' : '>>'} ${redact(element, ...passwords)}\n`)
      : undefined,
  };
}

// The @xmpp/* 0.14 packages ship no types. These declarations cover exactly the surface the
// session is composed from (and the Parser of the tests' fake server), so the compiler checks our
// use of it. @xmpp/iq has no index: its entry points are caller.js and callee.js.
declare module '@xmpp/xml' {
  import type { EventEmitter } from 'node:events';
  export class Element {
    constructor(name: string, attrs?: Record<string, unknown>);
    name: string;
    attrs: Record<string, string | undefined>;
    children: Array<Element | string>;
    parent: Element | null;
    is(name: string, xmlns?: string): boolean;
    /** The name without its prefix. */
    getName(): string;
    getNS(): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    /** The text children, joined. */
    getText(): string;
    text(): string;
    append(...children: Array<Element | string>): this;
    toString(): string;
  }
  /** A streaming parser of an XML stream: 'start' (the stream header), 'element', 'end', 'error'. */
  export class Parser extends EventEmitter {
    write(data: string): void;
  }
  type Child = Element | string | undefined | null | false;
  export default function xml(name: string, attrs?: Record<string, string | number | undefined> | null, ...children: Child[]): Element;
}

declare module '@xmpp/events' {
  import type { EventEmitter } from 'node:events';
  export function promise<T = unknown>(target: EventEmitter, event: string, rejectEvent?: string | null, timeout?: number): Promise<T>;
}

declare module '@xmpp/client-core' {
  import { EventEmitter } from 'node:events';
  import type { Element } from '@xmpp/xml';
  export class Client extends EventEmitter {
    constructor(options: { domain: string; service?: string; lang?: string; timeout?: number });
    jid: { toString(): string } | null;
    status: string;
    timeout: number;
    options: { domain: string; lang?: string };
    socket: (EventEmitter & { secure?: boolean; end(): void; destroy?(): void; socket?: unknown }) | null;
    transports: unknown[];
    isSecure(): boolean;
    connect(service: string): Promise<void>;
    open(options: { domain: string; lang?: string }): Promise<Element>;
    restart(): Promise<Element>;
    disconnect(): Promise<unknown>;
    send(element: Element): Promise<void>;
    sendReceive(element: Element, timeout?: number): Promise<Element>;
    write(text: string): Promise<void>;
    _attachSocket(socket: unknown): void;
    _detachSocket(): void;
    _onElement(element: Element): void;
  }
}

declare module '@xmpp/tcp' {
  export default function tcp(deps: { entity: unknown }): void;
}

declare module '@xmpp/middleware' {
  import type { Element } from '@xmpp/xml';
  export interface Context {
    stanza: Element;
    entity: import('@xmpp/client-core').Client;
  }
  export type Middleware = (context: Context, next: () => Promise<unknown>) => unknown;
  export interface MiddlewareStack {
    use(fn: Middleware): Middleware;
    filter(fn: Middleware): Middleware;
  }
  export default function middleware(deps: { entity: unknown }): MiddlewareStack;
}

declare module '@xmpp/stream-features' {
  import type { Element } from '@xmpp/xml';
  import type { Context, MiddlewareStack } from '@xmpp/middleware';
  export interface StreamFeatures {
    use(name: string, xmlns: string, handler: (context: Context, next: () => Promise<unknown>, feature: Element) => unknown): void;
  }
  export default function streamFeatures(deps: { middleware: MiddlewareStack }): StreamFeatures;
}

declare module '@xmpp/iq/caller.js' {
  import type { Element } from '@xmpp/xml';
  export interface IQCaller {
    request(stanza: Element, timeout?: number): Promise<Element>;
    set(element: Element, to?: string, timeout?: number): Promise<Element>;
  }
  export default function iqCaller(deps: { middleware: unknown; entity: unknown }): IQCaller;
}

declare module '@xmpp/iq/callee.js' {
  export interface IQCallee {
    get(ns: string, name: string, handler: () => unknown): void;
  }
  export default function iqCallee(deps: { middleware: unknown; entity: unknown }): IQCallee;
}

declare module 'saslmechanisms' {
  export default class SASLFactory {
    use(name: string, mechanism: new () => unknown): this;
  }
}

declare module '@xmpp/sasl' {
  import type SASLFactory from 'saslmechanisms';
  import type { StreamFeatures } from '@xmpp/stream-features';
  type Done = (credentials: { username: string; password: string }, mechanism: string) => Promise<void>;
  export default function sasl(
    deps: { streamFeatures: StreamFeatures; saslFactory: SASLFactory },
    onAuthenticate: (done: Done, mechanisms: string[]) => Promise<void>,
  ): void;
}

declare module '@xmpp/resource-binding' {
  import type { IQCaller } from '@xmpp/iq/caller.js';
  import type { StreamFeatures } from '@xmpp/stream-features';
  export default function resourceBinding(deps: { streamFeatures: StreamFeatures; iqCaller: IQCaller }, resource?: string): void;
}

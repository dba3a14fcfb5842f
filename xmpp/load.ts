import { streamParser } from './parser.ts';

// The xmpp.js packages a session is composed from, loaded when the first session opens (while DNS
// answers), so that a command that never connects never pays for them.
export async function loadXmpp() {
  const [xml, core, tcp, middleware, streamFeatures, iqCaller, iqCallee, sasl, factory, bind, events] = await Promise.all([
    import('@xmpp/xml'),
    import('@xmpp/client-core'),
    import('@xmpp/tcp'),
    import('@xmpp/middleware'),
    import('@xmpp/stream-features'),
    import('@xmpp/iq/caller.js'),
    import('@xmpp/iq/callee.js'),
    import('@xmpp/sasl'),
    import('saslmechanisms'),
    import('@xmpp/resource-binding'),
    import('@xmpp/events'),
  ]);
  return {
    xml: xml.default,
    Parser: streamParser(xml.default),
    Client: core.Client,
    tcp: tcp.default,
    middleware: middleware.default,
    streamFeatures: streamFeatures.default,
    iqCaller: iqCaller.default,
    iqCallee: iqCallee.default,
    sasl: sasl.default,
    SASLFactory: factory.default,
    resourceBinding: bind.default,
    promise: events.promise,
  };
}

export type Xmpp = Awaited<ReturnType<typeof loadXmpp>>;

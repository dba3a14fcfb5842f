// Bundles each entry point into one file: rsxcc's start-up time is part of the product, and
// one bundled file loads far faster than hundreds of separate ESM imports.
import { build } from 'esbuild';
import { chmod, mkdir, rm, symlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { isBuiltin } from 'node:module';

// The load generator's worker is a process of its own (forked by `chatlab load`): a bundle too, so
// that an installed chatlab, which has no TypeScript loader, can start it.
const entries = { rsxcc: 'cli/main.ts', chatlab: 'provision/main.ts', 'chatlab-load-worker': 'provision/load/worker.ts' };
// rsxcc's first line keeps certificate parsing out of its start-up (GNU and BSD env expand ${VAR}
// in -S; unset, it is empty):
// - Node parses NODE_EXTRA_CA_CERTS before any of our code; rsxcc gets the file as
//   RSXCC_EXTRA_CA_CERTS and reads it only when a connection needs it (xmpp/trust.ts).
// - Node 20 parses its ~140 bundled root certificates (40 ms here) for the first TLS context,
//   even one given `ca` (-a) that never uses them. --use-openssl-ca makes the default store the
//   system's, as for curl and go-sendxmpp: the hashed directory SSL_CERT_DIR or /etc/ssl/certs,
//   which OpenSSL reads one certificate at a time, when a chain needs it. SSL_CERT_FILE is set
//   empty, or OpenSSL would parse that whole bundle up front (Node ignores the variable anyway).
// V8's settings for rsxcc are not here: any V8 flag on the command line makes Node reject the code
// cache of its own modules (10-12 ms of every start); cli/main.ts sets them once logged in.
const shebang = {
  rsxcc: '#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS RSXCC_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS} SSL_CERT_FILE= node --use-openssl-ca',
  chatlab: '#!/usr/bin/env node',
};

// esbuild hoists every module's imports of Node's own modules to the top of the bundle, so each
// start loaded all that any mode uses (child_process, stream/promises, tty, os... for execa, which
// only the responder runs): each is a module Node compiles and keeps. Here each is a CommonJS
// stand-in that requires it where the first module importing it runs (a mode's modules run
// only once the mode is chosen; node:v8 too, which left a real import() would start Node's ESM
// loader). posix-getopt's node:assert is argv/assert-ok.ts instead.
const builtinsOnUse = {
  name: 'builtins-on-use',
  setup(build) {
    build.onResolve({ filter: /^(node:)?[a-z0-9_/]+$/ }, ({ path, kind, namespace, importer }) => {
      if (kind === 'entry-point' || !isBuiltin(path)) return undefined;
      if (path === 'assert' && importer.includes('/posix-getopt/')) return { path: resolve('argv/assert-ok.ts') };
      // The stand-in's own require() is Node's.
      return namespace === 'builtin-on-use' ? { path, external: true } : { path, namespace: 'builtin-on-use' };
    });
    build.onLoad({ filter: /.*/, namespace: 'builtin-on-use' }, ({ path }) => ({ contents: `module.exports = require(${JSON.stringify(path)});`, loader: 'js' }));
  },
};

// rsxcc is CommonJS: Node's ESM loader is ~20 modules more at every start (among them
// fs/promises, which brings readline, fs streams and watchers), 3-4 ms and 0.5 MB that stay. It
// is dist/rsxcc.cjs, since dist/ is "type": "module" for chatlab's bundles; dist/rsxcc.js, the path
// the tests, the bench and the scripts run, links to it: Node takes the format of its main module
// from the real path. npm packs no links, so the package's bin is the .cjs file itself.
const commonJs = new Set(['rsxcc']);

await mkdir('dist', { recursive: true });
for (const [name, entry] of Object.entries(entries)) {
  if (!existsSync(entry)) continue;
  const cjs = commonJs.has(name);
  const outfile = `dist/${name}.${cjs ? 'cjs' : 'js'}`;
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: cjs ? 'cjs' : 'esm',
    // Less to parse at every start (-7 ms of rsxcc's ~80 ms on the lab machine); names kept,
    // since error classes are told apart by name. rsxcc's (and its packages') errors name
    // themselves in a field, so it keeps none: each kept name is a call at start (~250) and a
    // function of a shape of its own.
    minify: true,
    keepNames: name !== 'rsxcc',
    sourcemap: false,
    legalComments: 'none',
    // CommonJS dependencies (posix-getopt, ltx) call require(): give an ESM bundle one.
    banner: {
      js: [shebang[name], cjs ? '' : `import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);`].filter(Boolean).join('\n'),
    },
    plugins: [builtinsOnUse],
    logLevel: 'warning',
  });
  await chmod(outfile, 0o755);
  if (cjs) {
    await rm(`dist/${name}.js`, { force: true });
    await symlink(`${name}.cjs`, `dist/${name}.js`);
  }
}

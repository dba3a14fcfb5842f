// The frame every role's provisioning script shares: locate the checkout, source the shell
// library, set the model's values as shell variables. The role supplies only its own steps.
import type { Lab } from '../model.ts';
import { dedent, generated, type GeneratedFile } from './file.ts';

export type ShellVars = Record<string, string | number>;

const shellQuote = (value: string | number) => `'${String(value).replace(/'/g, `'\\''`)}'`;

export function roleScript(lab: Lab, role: string, generator: string, vars: ShellVars, steps: string): GeneratedFile {
  const assignments = Object.entries({ OPEN_FILES: lab.spec.limits.openFiles, ...vars })
    .map(([k, v]) => `${k}=${shellQuote(v)}`)
    .join('\n');
  const body = dedent`
    # Provisions one ${role} host. Same script in a Vagrant VM (systemd) and in a \`chatlab up\`
    # namespace host (plain processes). Needs CHATLAB_HOST (this host's name) and CHATLAB_SECRETS.
    HERE=$(cd "$(dirname "\${BASH_SOURCE[0]}")" && pwd)
    ROOT=$(dirname "$HERE")
    # shellcheck source-path=SCRIPTDIR/.. source=provision/shell/common.sh
    . "$ROOT/provision/shell/common.sh"

    ` + `${assignments}\n\n${steps.replace(/^\n+/, '')}`;
  return generated(`${role}/provision.sh`, '#', generator, body, { shebang: '#!/usr/bin/env bash' });
}

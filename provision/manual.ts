// chatlab(1), the whole page, from the command table (commands.ts), the exit-status table
// (errors.ts) and the model's defaults; `chatlab -h` comes from the same tables (help.ts). A unit
// test checks that provision/chatlab.1 is this page: `node --import tsx provision/manual.ts` writes it.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HELP, type Opt } from './args.ts';
import { COMMANDS, GLOBAL_OPTIONS, type Command } from './commands.ts';
import { EXEC_STATUS, EXIT_STATUSES } from './errors.ts';
import { lab as spec } from './lab.ts';
import { defineLab } from './validate.ts';
import { DEFAULT_CACHE_DIR, DEFAULT_STATE_DIR } from './box/spec.ts';

export const manualFile = fileURLToPath(new URL('./chatlab.1', import.meta.url));

/** Plain text as roff: backslashes and hyphens escaped, no line taken for a request. */
export const esc = (text: string) => text.replace(/\\/g, '\\e').replace(/-/g, '\\-').replace(/^([.'])/gm, '\\&$1');
const bold = (text: string) => `\\fB${esc(text)}\\fR`;
const italic = (text: string) => `\\fI${esc(text)}\\fR`;

function optionRoff(o: Opt, bracketed: boolean): string {
  const names = [o.short && bold(`-${o.short}`), o.long && bold(`--${o.long}`)].filter(Boolean);
  const arg = o.choices ? o.choices.map(bold).join('|') : o.arg ? italic(o.arg) : '';
  const text = `${(bracketed ? names.slice(-1) : names).join(', ')}${arg ? ` ${arg}` : ''}`;
  return bracketed ? `[${text}]` : text;
}

/** HOST [SERVICE], HOST \-\- CMD [ARG...]: the names italic, the literal `--` bold. */
const operandsRoff = (operands: string) => operands.split(' ').map((w) => (w === '--' ? bold(w) : esc(w).replace(/[A-Z]+/g, (m) => `\\fI${m}\\fR`))).join(' ');

function synopsisRoff(c: Command): string {
  const parts = [bold('chatlab'), ...(c.lab ? [`[${bold('--lab')} ${italic('NAME')}]`] : []), bold(c.name), ...c.options.map((o) => optionRoff(o, true))];
  return [...parts, ...(c.operands ? [operandsRoff(c.operands)] : [])].join(' ');
}

const sentence = (text: string) => esc(text.charAt(0).toUpperCase() + text.slice(1)) + (text.endsWith('.') ? '' : '.');

function commandItem(c: Command): string[] {
  const options = c.options.flatMap((o) => ['.TP', optionRoff(o, false), sentence(o.help)]);
  return ['.TP', synopsisRoff(c), sentence(c.summary), ...(c.details ? [esc(c.details)] : []), ...(options.length ? ['.RS', ...options, '.RE'] : [])];
}

function examples(): string[] {
  const lab = defineLab(spec);
  const { ejabberd } = lab.spec.domains;
  const line = (text: string) => esc(text);
  return [
    '.nf',
    line('chatlab up'),
    line(`chatlab exec client -- dig +short SRV _xmpp-client._tcp.${ejabberd}`),
    line(`rsxcc -j alice@${ejabberd} -a .chatlab/secrets/ca.crt -x ${lab.haproxy.address} -t bob@${ejabberd} -m hello`),
    line(`chatlab kill ${lab.ejabberd[0]!.host.name}; chatlab start ${lab.ejabberd[0]!.host.name}`),
    line('chatlab --lab trio up --nodes 3 --subnet 192.168.72.0/21'),
    line('chatlab down --wipe'),
    '.fi',
  ];
}

export function manualPage(version: string): string {
  const lab = defineLab(spec);
  return [
    `.TH CHATLAB 1 2026-12-01 "chatlab ${version}" "User Commands"`,
    '.SH NAME',
    'chatlab \\- an XMPP lab as code, run as hosts in network namespaces on this machine',
    '.SH SYNOPSIS',
    `${bold('chatlab')} [${bold('--lab')} ${italic('NAME')}] ${italic('COMMAND')} [${italic('OPTION')}...] [${italic('OPERAND')}...]`,
    '.br',
    `${bold('chatlab')} ${bold('-h')} | ${italic('COMMAND')} ${bold('-h')}`,
    '.SH DESCRIPTION',
    esc(`chatlab runs the lab that provision/lab.ts describes (Prosody with MariaDB, an ejabberd cluster of ${lab.spec.ejabberdNodes} nodes behind HAProxy, bind9) as hosts in Linux network namespaces, from the very files it generates for a Vagrant lab of VMs.`),
    esc(`Each host is a namespace with a cable (a veth) into a switch namespace; this machine joins the lab network ${lab.networkAddress}/${lab.prefixLength} as the workstation (${lab.workstationAddress}), so clients such as rsxcc(1) reach the hosts from the ordinary shell.`),
    esc("A host's processes are those in its namespace: kill, down and status find them so and stop them by PID, never by name."),
    '.PP',
    esc('The default lab runs from the generated files beside chatlab (a checkout, or the installed package). A named lab (--lab NAME, made by up --subnet CIDR) is the same model with other nodes, subnet or storage, generated into its own state directory.'),
    '.PP',
    esc("Options come before operands, as POSIX's utility syntax has it: an option after the first operand is an operand; -- ends the options."),
    '.SH COMMANDS',
    ...COMMANDS.flatMap(commandItem),
    '.SH OPTIONS',
    esc('Before the command:'),
    ...[...GLOBAL_OPTIONS, HELP].flatMap((o) => ['.TP', optionRoff(o, false), sentence(o.help)]),
    '.PP',
    esc('Every command takes -h and --help after its name too, for its own usage.'),
    '.SH EXIT STATUS',
    // As the table says them: a status's meaning may start with a command's name.
    ...EXIT_STATUSES.flatMap(([status, meaning]) => ['.TP', bold(String(status)), `${esc(meaning)}.`]),
    '.PP',
    `${esc(EXEC_STATUS)}.`,
    '.SH ENVIRONMENT',
    '.TP', bold('CHATLAB_STATE'), esc('The state directory of the lab the command works on (default: .chatlab/ beside the generated files for the default lab, .chatlab/labs/NAME/ for a named one).'),
    '.TP', bold('CHATLAB_BOX_CACHE'), esc(`The default of box --cache-dir (${DEFAULT_CACHE_DIR}).`),
    '.TP', bold('CHATLAB_BOX_STATE'), esc(`The default of box host --state-dir (${DEFAULT_STATE_DIR}).`),
    '.TP', bold('VAGRANT_HOME'), esc('Where box add looks for the box Vagrant already has (default ~/.vagrant.d).'),
    '.SH FILES',
    '.TP', bold('.chatlab/secrets/'), esc('The lab secrets, mode 600: Erlang cookie, account passwords (accounts/JID), the lab CA (ca.crt) and certificates.'),
    '.TP', bold('.chatlab/hosts/HOST/'), esc("A host's own directories, bind-mounted over the system's whenever a command enters the host."),
    '.TP', bold('.chatlab/labs/NAME/'), esc("A named lab: its overrides (lab.json), its generated files (assets/), its own secrets and hosts."),
    '.TP', bold('/etc/netns/LAB-HOST/'), esc("A host's hosts and resolv.conf."),
    '.SH EXAMPLES',
    ...examples(),
    '.SH SEE ALSO',
    'rsxcc(1), ip\\-netns(8), and README.md in the package',
    '',
  ].join('\n');
}

const version = () => (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export const currentPage = () => manualPage(version());

if (process.argv[1] === fileURLToPath(import.meta.url)) writeFileSync(manualFile, currentPage());

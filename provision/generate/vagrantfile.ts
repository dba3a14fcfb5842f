// The Vagrantfile: one VM per lab host (the workstation itself plays the client), each
// provisioned by its role's script. Providers: VirtualBox (workstations) and libvirt (CI, Linux).
import type { Lab } from '../model.ts';
import { dedent, generated, indent, type GeneratedFile } from './file.ts';

const ruby = (value: string) => JSON.stringify(value);

export function vagrantfile(lab: Lab): string {
  return dedent`
    # -*- mode: ruby -*-
    # \`vagrant up\` brings up every host in any order: secrets are made once on this machine
    # (trigger below), the joining ejabberd nodes wait for the seed and join by themselves.
    Vagrant.require_version ">= 2.3.0"

    LAB_HOSTS = [
    ${machineList(lab)}
    ].freeze

    Vagrant.configure("2") do |config|
    ${indent([boxAndSecrets(lab), providers(lab), hostDefinitions(lab)].join('\n\n'), '  ')}
    end
  `;
}

function machineList(lab: Lab): string {
  const { memoryMb } = lab.spec.vagrant;
  return lab.hosts
    .filter((h) => h.vagrant)
    .map((h) => {
      const memory = memoryMb[h.role as keyof typeof memoryMb];
      return `  { name: ${ruby(h.name)}, role: ${ruby(h.role)}, fqdn: ${ruby(h.fqdn)}, ip: ${ruby(h.address)}, memory: ${memory} },`;
    })
    .join('\n');
}

function boxAndSecrets(lab: Lab): string {
  return dedent`
    config.vm.box = ${ruby(lab.spec.vagrant.box)}
    # rsync, not NFS or shared folders: works with every provider and needs nothing on the host.
    # The CA key never leaves this machine.
    config.vm.synced_folder ".", "/vagrant", type: "rsync",
      rsync__exclude: [".git/", "node_modules/", "dist/", "bench/out/", ".vagrant/", ".chatlab/hosts/", ".chatlab/labs/", ".chatlab/secrets/ca.key"]

    config.trigger.before :up do |t|
      t.info = "chatlab: making the lab secrets (once; kept in .chatlab/secrets)"
      t.run = { inline: "node dist/chatlab.js secrets" }
    end`;
}

function providers(lab: Lab): string {
  const { spec } = lab;
  return dedent`
    config.vm.provider :virtualbox do |vb|
      vb.cpus = ${spec.vagrant.cpus}
    end

    config.vm.provider :libvirt do |lv, override|
      # Built here from Debian packages by \`chatlab box add\` (no slash: a slashed name that is
      # missing locally makes Vagrant ask the public box catalogue).
      override.vm.box = ENV.fetch("CHATLAB_LIBVIRT_BOX", "chatlab-bookworm")
      override.vm.box_check_update = false
      # Plain QEMU works everywhere (also where /dev/kvm is not real KVM); set kvm where it is.
      lv.driver = ENV.fetch("CHATLAB_LIBVIRT_DRIVER", "qemu")
      lv.cpu_mode = "custom"
      lv.cpu_model = ENV.fetch("CHATLAB_LIBVIRT_CPU", "qemu64")
      lv.cpus = ${spec.vagrant.cpus}
      lv.graphics_type = "none"
      # Vagrant's SSH network, pre-created isolated (no NAT): guests reach nothing but this machine.
      lv.management_network_name = ${ruby(`${spec.name}-mgmt`)}
      lv.management_network_address = "192.168.121.0/24"
      lv.management_network_mode = "none"
      lv.management_network_keep = true
    end`;
}

/** One VM per host of LAB_HOSTS, on the lab network, provisioned by its role's script. */
function hostDefinitions(lab: Lab): string {
  const { name } = lab.spec;
  const netmask = Array.from({ length: 4 }, (_, i) => 256 - 2 ** (8 - Math.min(8, Math.max(0, lab.prefixLength - 8 * i)))).join('.');
  return dedent`
    LAB_HOSTS.each do |host|
      config.vm.define host[:name] do |m|
        m.vm.hostname = host[:fqdn]
        m.vm.network :private_network, ip: host[:ip], netmask: ${ruby(netmask)},
          libvirt__network_name: ${ruby(`${name}-lab`)},
          libvirt__forward_mode: "none",
          libvirt__dhcp_enabled: false,
          libvirt__always_destroy: false
        m.vm.provider(:virtualbox) { |vb| vb.memory = host[:memory]; vb.name = "${name}-#{host[:name]}" }
        m.vm.provider(:libvirt) { |lv| lv.memory = host[:memory] }
        m.vm.provision "shell", name: "#{host[:role]} role",
          inline: "bash /vagrant/#{host[:role]}/provision.sh",
          env: { "CHATLAB_HOST" => host[:name], "CHATLAB_SECRETS" => "/vagrant/.chatlab/secrets" }
      end
    end`;
}

export function generateVagrantfile(lab: Lab): GeneratedFile[] {
  return [generated('Vagrantfile', '#', 'vagrantfile', vagrantfile(lab))];
}

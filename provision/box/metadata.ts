// The two small files a vagrant-libvirt box carries beside its disk image. Pure.

/** vagrant-libvirt's box format v1: one qcow2 disk named box.img. */
export function metadataJson(virtualSizeGiB: number): string {
  if (!Number.isInteger(virtualSizeGiB) || virtualSizeGiB <= 0) {
    throw new Error(`virtual size must be a whole number of GiB, got ${virtualSizeGiB}`);
  }
  return `${JSON.stringify({ provider: 'libvirt', format: 'qcow2', virtual_size: virtualSizeGiB }, null, 2)}\n`;
}

/** Defaults every user of the box needs, whatever their own Vagrantfile says: the disk and NIC
 *  the image's initramfs and /etc/network/interfaces expect. The project Vagrantfile overrides
 *  the rest (driver, CPU, networks, synced folders). */
export function boxVagrantfile(): string {
  return [
    '# Embedded in the chatlab-bookworm box by `chatlab box`.',
    'Vagrant.configure("2") do |config|',
    '  config.vm.provider :libvirt do |libvirt|',
    '    libvirt.disk_bus = "virtio"',
    '    libvirt.nic_model_type = "virtio"',
    '  end',
    'end',
    '',
  ].join('\n');
}

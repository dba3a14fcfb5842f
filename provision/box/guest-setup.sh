#!/bin/sh
# Runs inside the box image (chroot) after debootstrap's minbase: installs what a Vagrant guest and
# the lab need and configures it. The builder has put a policy-rc.d in place, so no package starts
# a daemon on the building machine. Its text is part of the box's cache key.
set -eu

: "${BOX_SYSTEM_PACKAGES:?}" "${BOX_LAB_PACKAGES:?}" "${BOX_ROOT_UUID:?}" "${BOX_KERNEL_CMDLINE:?}"
: "${BOX_VAGRANT_KEY:?}" "${BOX_DISABLED_UNITS:?}" "${BOX_CORE_IMG:?}"
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8

# Documentation nobody reads in a lab guest would be uploaded to libvirt on every CI run.
cat > /etc/dpkg/dpkg.cfg.d/chatlab-box-nodoc <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF

apt-get update -q
# shellcheck disable=SC2086 # word splitting is how the package lists arrive
apt-get install -y -q --no-install-recommends $BOX_SYSTEM_PACKAGES
# Without Recommends, as the roles' provisioning installs them (provision/shell/common.sh): prosody
# recommends lua-unbound, whose libunbound answers NXDOMAIN for all of .test, and Prosody then
# finds no server for the lab's other domain (provision/roles.ts).
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $BOX_LAB_PACKAGES

echo "UUID=$BOX_ROOT_UUID / ext4 errors=remount-ro 0 1" > /etc/fstab
echo chatlab-box > /etc/hostname
printf '127.0.0.1\tlocalhost\n127.0.1.1\tchatlab-box\n::1\tlocalhost ip6-localhost ip6-loopback\n' > /etc/hosts

# eth0 is the management NIC (DHCP from libvirt); Vagrant appends the lab NIC's stanza itself.
cat > /etc/network/interfaces <<'EOF'
source /etc/network/interfaces.d/*

auto lo
iface lo inet loopback

auto eth0
iface eth0 inet dhcp
EOF

useradd --create-home --shell /bin/bash --user-group vagrant
echo vagrant:vagrant | chpasswd
install -d -m 700 -o vagrant -g vagrant /home/vagrant/.ssh
echo "$BOX_VAGRANT_KEY" > /home/vagrant/.ssh/authorized_keys
chown vagrant:vagrant /home/vagrant/.ssh/authorized_keys
chmod 600 /home/vagrant/.ssh/authorized_keys
echo 'vagrant ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/vagrant
chmod 440 /etc/sudoers.d/vagrant
visudo -cf /etc/sudoers.d/vagrant

# Host keys made at install time would be shared by every guest of the box: each guest makes
# its own on first boot. Only ed25519 and ECDSA: RSA key generation takes long under emulation.
rm -f /etc/ssh/ssh_host_*
cat > /etc/ssh/sshd_config.d/chatlab-box.conf <<'EOF'
HostKey /etc/ssh/ssh_host_ed25519_key
HostKey /etc/ssh/ssh_host_ecdsa_key
UseDNS no
GSSAPIAuthentication no
EOF
cat > /etc/systemd/system/chatlab-ssh-hostkeys.service <<'EOF'
[Unit]
Description=Generate this guest's SSH host keys
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key
ExecStart=/usr/bin/ssh-keygen -q -t ecdsa -N "" -f /etc/ssh/ssh_host_ecdsa_key

[Install]
RequiredBy=ssh.service
EOF
systemctl enable chatlab-ssh-hostkeys.service

# shellcheck disable=SC2086
systemctl disable $BOX_DISABLED_UNITS
# An empty machine-id makes systemd treat the first boot as such and apply presets, which
# would switch the units above back on.
mkdir -p /etc/systemd/system-preset
for unit in $BOX_DISABLED_UNITS; do echo "disable $unit"; done > /etc/systemd/system-preset/10-chatlab-box.preset
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id
ln -s /etc/machine-id /var/lib/dbus/machine-id

# GRUB by hand: grub-install cannot see a partition of a loop-mounted file here. The modules go
# where the prefix points; the builder writes boot.img and this core.img to the disk's first sectors.
mkdir -p /boot/grub/i386-pc
cp /usr/lib/grub/i386-pc/*.mod /usr/lib/grub/i386-pc/*.lst /boot/grub/i386-pc/
grub-mkimage -O i386-pc -o "$BOX_CORE_IMG" -p '(hd0,msdos1)/boot/grub' biosdisk part_msdos ext2
# /vmlinuz and /initrd.img follow kernel upgrades inside the guest.
cat > /boot/grub/grub.cfg <<EOF
insmod serial
serial --unit=0 --speed=115200
terminal_input console serial
terminal_output console serial
set timeout=0
set default=0
menuentry 'Debian GNU/Linux 12 (chatlab box)' {
  insmod ext2
  linux /vmlinuz root=UUID=$BOX_ROOT_UUID $BOX_KERNEL_CMDLINE
  initrd /initrd.img
}
EOF

# debootstrap copied the building machine's resolver; guests get theirs from the lab.
: > /etc/resolv.conf
find /var/log -type f -exec truncate -s 0 {} +

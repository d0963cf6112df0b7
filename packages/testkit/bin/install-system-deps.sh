#!/usr/bin/env bash
# Installs the Debian packages the testkit fixture runs: a real sshd and dockerd, a busybox rootfs
# for the test image, iproute2/iptables for the network namespace and faults, and the second server
# and auditor the reliability tests use. Idempotent: installs only what is missing.
set -euo pipefail

need=()
have_cmd() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }
have_cmd sshd || need+=(openssh-server)
have_cmd ssh || need+=(openssh-client)
have_cmd dockerd || need+=(docker.io)
[ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || need+=(busybox-static)
have_cmd ip || need+=(iproute2)
have_cmd tc || need+=(iproute2)
have_cmd iptables || need+=(iptables)
have_cmd dropbear || need+=(dropbear-bin)
have_cmd ssh-audit || need+=(ssh-audit)
# Turns segmentation offloads off while loss() is set, so that loss is per packet.
have_cmd ethtool || need+=(ethtool)
have_cmd ps || need+=(procps)
have_cmd setpriv || need+=(util-linux)
have_cmd nsenter || need+=(util-linux)
have_cmd unshare || need+=(util-linux)
have_cmd useradd || need+=(passwd)
have_cmd chpasswd || need+=(passwd)
have_cmd ssh-keygen || need+=(openssh-client)
have_cmd containerd || need+=(docker.io)
# A real terminal for the CLI's passphrase prompt test (cli/test/integration/tty-passphrase.test.ts).
have_cmd tmux || need+=(tmux)
have_cmd runc || need+=(docker.io)

# One entry per package, in first-seen order.
if [ ${#need[@]} -gt 0 ]; then
  mapfile -t need < <(printf '%s\n' "${need[@]}" | awk '!seen[$0]++')
fi

if [ ${#need[@]} -eq 0 ]; then
  echo "testkit: system packages already present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "testkit: missing packages: ${need[*]}" >&2
  echo "testkit: run as root: apt-get update && apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "testkit: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

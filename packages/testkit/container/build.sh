#!/bin/sh
# ssh-docker testkit, container mode: builds the image of the containerized remote host.
# Usage: build.sh <tag>   (DOCKER_HOST names the daemon that receives the image; DOCKER the CLI)
#
# No image registry is used. The root file system is made by mmdebstrap from Debian's archive
# (the same suite and mirrors as a Debian bookworm machine's apt sources), then `docker import`ed.
# Everything that differs per container (users, keys, sshd_config, ports) is written at start by
# startContainerHost, so the image only holds packages and is shared by every container.
# The tag is the hash of this directory's files: any change here builds a new image.
set -eu
tag="$1"
work="$(mktemp -d /tmp/sdk-ctr-build.XXXXXX)"
trap 'rm -rf "$work"' EXIT INT TERM

mmdebstrap \
  --variant=essential \
  --aptopt='APT::Install-Recommends "false"' \
  --aptopt='APT::Install-Suggests "false"' \
  --include=openssh-server,docker.io,busybox-static,tini,passwd,procps \
  --customize-hook='rm -f "$1"/etc/ssh/ssh_host_*' \
  --customize-hook='rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*' \
  --customize-hook='mkdir -p "$1"/run/sshd "$1"/var/lib/docker' \
  bookworm "$work/rootfs.tar" \
  'deb http://deb.debian.org/debian bookworm main' \
  'deb http://deb.debian.org/debian bookworm-updates main' \
  'deb http://deb.debian.org/debian-security bookworm-security main'

"${DOCKER:-docker}" import \
  --change 'ENTRYPOINT ["/usr/bin/tini", "-g", "--"]' \
  --change 'CMD ["/bin/sh", "/sdk/start.sh"]' \
  --change 'VOLUME /var/lib/docker' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'LABEL org.ssh-docker.testkit=container-host' \
  "$work/rootfs.tar" "$tag"

import { SLOW_BASHRC, SOCKET_GROUP, USERS } from '../internal/system.js';

/**
 * Shell scripts and config the container host runs. They are copied into `/sdk` of each container
 * before it starts (not baked into the image), so that changing them does not rebuild the image.
 * Every value in them comes from the fixture's own code (validated numbers, constant names).
 */

/** The inner daemon's socket inside the container; sessions get it as DOCKER_HOST. */
export const INNER_SOCKET = '/run/sdk/docker.sock';
export const INNER_DOCKER_HOST = `unix://${INNER_SOCKET}`;
export const INNER_IMAGE = 'ssh-docker-test/busybox:latest';

const NO_DOCKER_APPLETS = ['sh', 'env', 'cat', 'echo', 'ls', 'id', 'sleep', 'true', 'false', 'ps', 'printf', 'test'];

/** PID 1's child (tini is PID 1 and reaps): make /sys and cgroups writable, users, daemons, then sleep. */
export const START_SH = `#!/bin/sh
# ssh-docker testkit container host: the container's main process (under tini, which reaps orphans).
set -u
mkdir -p /run/sdk /run/sshd /sdk/log
# Without --privileged (a daemon that cannot grant every capability), /sys and the cgroup mounts
# are read-only: remount them writable for the inner dockerd (this container has CAP_SYS_ADMIN).
busybox mount -o remount,rw /sys 2>/dev/null || :
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  busybox mount -o remount,rw /sys/fs/cgroup 2>/dev/null || :
  # cgroup v2: move every process into a child group so that the root can delegate controllers
  # to the inner dockerd (what Docker's own dind script does).
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/init/cgroup.procs 2>/dev/null || :
  sed -e 's/ / +/g' -e 's/^/+/' < /sys/fs/cgroup/cgroup.controllers > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || :
else
  for d in /sys/fs/cgroup/*/; do busybox mount -o remount,bind,rw "$d" 2>/dev/null || :; done
fi
sh /sdk/setup.sh > /sdk/log/setup.log 2>&1 || { echo "setup failed" >> /sdk/log/setup.log; }
# Started from a subshell that exits at once, so that the daemons' parent is tini, which reaps them.
( sh /sdk/dockerd.sh </dev/null >/dev/null 2>&1 & )
sh /sdk/sshd.sh
exec sleep infinity
`;

export function setupSh(): string {
  const users: [string, string][] = [
    [USERS.docker, '/bin/sh'],
    [USERS.password, '/bin/sh'],
    [USERS.noDocker, '/bin/sh'],
    [USERS.slowShell, '/bin/bash'],
    [USERS.nologin, '/usr/sbin/nologin'],
  ];
  return `#!/bin/sh
set -eu
groupadd -f ${SOCKET_GROUP}
${users.map(([user, shell]) => `id ${user} >/dev/null 2>&1 || useradd -m -s ${shell} -G ${SOCKET_GROUP} ${user}`).join('\n')}
chpasswd < /sdk/passwords
cat > /home/${USERS.slowShell}/.bashrc <<'SDK_EOF'
${SLOW_BASHRC.trimEnd()}
SDK_EOF
mkdir -p /sdk/nodocker-bin
for a in ${NO_DOCKER_APPLETS.join(' ')}; do ln -sf /bin/busybox /sdk/nodocker-bin/$a; done
# A container has no audit login uid to set, and may lack CAP_SYS_RESOURCE for pam_limits.
sed -i -e 's/^session[[:space:]]*required[[:space:]]*pam_loginuid.so/session optional pam_loginuid.so/' \\
  -e 's/^session[[:space:]]*required[[:space:]]*pam_limits.so/session optional pam_limits.so/' /etc/pam.d/sshd
chmod 700 /sdk/keys
chmod 600 /sdk/keys/host_ed25519 /sdk/keys/host_ecdsa /sdk/keys/host_rsa /sdk/passwords /sdk/sshd_config
`;
}

export const DOCKERD_SH = `#!/bin/sh
# The inner dockerd: vfs storage, no bridge, no iptables, no ip forwarding (it shares the test
# machine's network namespace when the container runs with --network host).
rm -f /run/sdk/dockerd.pid ${INNER_SOCKET}
exec dockerd --iptables=false --ip-forward=false --ip-masq=false --bridge=none --storage-driver=vfs \\
  --host ${INNER_DOCKER_HOST} --group ${SOCKET_GROUP} --data-root /var/lib/docker \\
  --exec-root /run/sdk/docker-exec --pidfile /run/sdk/dockerd.pid >> /sdk/log/dockerd.log 2>&1
`;

export const SSHD_SH = `#!/bin/sh
# sshd daemonizes (no -D): its parent becomes tini.
rm -f /run/sdk/sshd.pid
exec /usr/sbin/sshd -f /sdk/sshd_config -E /sdk/log/sshd.log
`;

/** Usage: wait-sshd.sh <port> <lines already in the log> ; waits up to 20 s for a new "Server listening". */
export const WAIT_SSHD_SH = `#!/bin/sh
i=0
while [ $i -lt 400 ]; do
  c=$(grep -c "Server listening on 127.0.0.1 port $1\\." /sdk/log/sshd.log 2>/dev/null)
  [ "\${c:-0}" -gt "$2" ] && exit 0
  sleep 0.05; i=$((i+1))
done
echo "sshd did not log that it listens on 127.0.0.1:$1" >&2
tail -n 30 /sdk/log/sshd.log >&2
exit 1
`;

/** Usage: wait-dockerd.sh ; waits up to 60 s for the inner daemon to answer. */
export const WAIT_DOCKERD_SH = `#!/bin/sh
i=0
while [ $i -lt 600 ]; do
  docker -H ${INNER_DOCKER_HOST} version --format '{{.Server.Version}}' >/dev/null 2>&1 && exit 0
  sleep 0.1; i=$((i+1))
done
echo "the inner dockerd did not answer on ${INNER_SOCKET}" >&2
tail -n 30 /sdk/log/dockerd.log >&2
exit 1
`;

/** Stops the inner dockerd (SIGTERM) and waits up to 30 s for it to be gone. */
export const STOP_DOCKERD_SH = `#!/bin/sh
p=$(cat /run/sdk/dockerd.pid 2>/dev/null) || exit 0
kill -TERM "$p" 2>/dev/null || exit 0
i=0
while [ -d /proc/$p ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
[ -d /proc/$p ] && { echo "dockerd $p did not exit" >&2; exit 1; }
exit 0
`;

/** SIGKILLs every sshd and every process below one (sessions and what they run). */
export const KILL_SSHD_SH = `#!/bin/sh
pids=$(ps -eo pid=,ppid=,comm= | busybox awk '
  { pid[NR] = $1; ppid[NR] = $2; if ($3 == "sshd") fam[$1] = 1 }
  END {
    do { grew = 0; for (i = 1; i <= NR; i++) if (!(pid[i] in fam) && (ppid[i] in fam)) { fam[pid[i]] = 1; grew = 1 } } while (grew)
    for (p in fam) print p
  }')
[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
i=0
while ps -eo comm= | grep -qx sshd && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
exit 0
`;

/** Imports the busybox image into the inner daemon from the container's own /bin/busybox. */
export const IMPORT_BUSYBOX_SH = `#!/bin/sh
set -eu
d=$(mktemp -d)
mkdir -p "$d/bin" "$d/etc" "$d/tmp" "$d/proc" "$d/sys" "$d/dev" "$d/root" "$d/home"
chmod 1777 "$d/tmp"
cp /bin/busybox "$d/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$d/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\\nnobody:x:65534:65534:nobody:/home:/bin/false\\n' > "$d/etc/passwd"
printf 'root:x:0:\\nnogroup:x:65534:\\n' > "$d/etc/group"
tar -C "$d" -c . | docker -H ${INNER_DOCKER_HOST} import - ${INNER_IMAGE} >/dev/null
rm -rf "$d"
`;

export function sshdConfig(port: number, passwordAuthentication: boolean): string {
  const sessionEnv = `DOCKER_HOST=${INNER_DOCKER_HOST}`;
  return [
    '# ssh-docker testkit container host: every line is written by the fixture, none comes from a test.',
    `ListenAddress 127.0.0.1:${port}`,
    'HostKey /sdk/keys/host_ed25519',
    'HostKey /sdk/keys/host_ecdsa',
    'HostKey /sdk/keys/host_rsa',
    'PidFile /run/sdk/sshd.pid',
    'AuthorizedKeysFile /sdk/auth/%u',
    'StrictModes no',
    'UsePAM yes',
    'PermitRootLogin no',
    `AllowUsers ${Object.values(USERS).join(' ')}`,
    'PubkeyAuthentication yes',
    `PasswordAuthentication ${passwordAuthentication ? 'yes' : 'no'}`,
    `KbdInteractiveAuthentication ${passwordAuthentication ? 'yes' : 'no'}`,
    'AllowStreamLocalForwarding yes',
    'UseDNS no',
    'PrintMotd no',
    'LogLevel VERBOSE',
    `SetEnv ${sessionEnv}`,
    // A Match block's SetEnv replaces the global list, so it repeats it with a PATH without docker.
    `Match User ${USERS.noDocker}`,
    `  SetEnv ${sessionEnv} PATH=/sdk/nodocker-bin`,
    '',
  ].join('\n');
}

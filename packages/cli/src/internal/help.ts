import { SUPPORTED_O_KEYS } from './ssh-options.js';
import type { CommandName } from './usage-error.js';

const SSH_OPTIONS_HELP = `SSH options (as ssh(1) takes them; the first value given for a setting wins):
  -i FILE         identity file (repeatable)
  -F FILE         ssh_config file (default ~/.ssh/config; 'none' for none)
  -p PORT         port
  -l USER         user
  -J HOPS         jump hosts, [user@]host[:port][,...] ('none' for none)
  -4, -6          IPv4 or IPv6 only
  -o KEY=VALUE    one of: ${SUPPORTED_O_KEYS.join(', ')}
                  e.g. -o StrictHostKeyChecking=accept-new  -o UserKnownHostsFile=~/.ssh/known_hosts.docker
                  (StrictHostKeyChecking=no is taken as accept-new: a changed host key always refuses)
  --password-stdin    read the password from stdin (never from arguments or the environment)
  --passphrase-stdin  read the identity file's passphrase from stdin
                      (with both: the first line is the password, the second the passphrase);
                      without it, on a terminal, the passphrase is asked on /dev/tty
  --remote-socket PATH  the daemon's socket on the remote host, when not the default
  --streamlocal         reach --remote-socket by SSH stream-local forwarding (no remote docker CLI needed)
  --context NAME        the ssh:// host of a Docker context (instead of TARGET), as docker --context
  -h, --help      this help`;

const TARGET_HELP = `TARGET is ssh://[user@]host[:port], a Host alias from ssh_config, or the name of a Docker context
(docker context create NAME --docker host=ssh://…). Without TARGET, the docker CLI's choice is used:
DOCKER_HOST, then DOCKER_CONTEXT, then the current context (docker context use). Only ssh:// hosts:
a unix://, tcp:// or npipe:// host needs no SSH. A path in the URL is ignored (see --remote-socket).
A password in the URL is refused: use --password-stdin, a key or ssh-agent.`;

const HELP: Record<CommandName | 'main', string> = {
  main: `ssh-docker — reach a remote Docker Engine over SSH

Usage:
  ssh-docker check TARGET [options]    diagnose the connection, step by step
  ssh-docker proxy TARGET [options]    serve the remote daemon on a local socket for the docker CLI
  ssh-docker demo                      start a throwaway sshd + dockerd and show the library at work
  ssh-docker help COMMAND              help for one command (or: ssh-docker COMMAND --help)

Options:
  -h, --help       this help
  -V, --version    the version

${TARGET_HELP}

Exit codes: 0 success, 1 failure (check failed, connection error), 2 command-line mistake.
`,
  check: `Usage: ssh-docker check TARGET [options]

Runs each step of a connection on its own and prints it with ✓ or ✗ and its time: resolve,
tcp, host key, auth, docker CLI, daemon ping, API version, round trip. A failed step shows its
error code and the fix to try; the steps after it are skipped.
Exit code 0 only when every step passed, 1 when one failed, 2 for a command-line mistake.

${TARGET_HELP}

${SSH_OPTIONS_HELP}

Example:
  ssh-docker check ssh://deploy@build-1.example.com -i ~/.ssh/deploy_ed25519
`,
  proxy: `Usage: ssh-docker proxy TARGET [--socket PATH] [--print-env] [options]

Connects once (so a wrong key or host fails now, not in your first docker command), then serves
the remote daemon on a local unix socket until Ctrl-C, and prints the line to use it:
  export DOCKER_HOST=unix:///tmp/ssh-docker-XXXXXX/docker.sock
Each connection to the socket is one SSH channel running \`docker system dial-stdio\`.
Ctrl-C (or SIGTERM, SIGHUP) lets open connections finish for up to 2 s, removes the socket and
its directory, and exits 0.

  --socket PATH   where to create the socket; its directory must be yours and not writable by
                  others, and so must every directory above it be (yours or root's; a sticky one
                  such as /tmp is fine). A missing last directory is created 0700. A stale socket
                  left by a proxy that was killed (nobody listening, yours) is replaced; anything
                  else there is refused. Default: a fresh 0700 directory under the temp
                  directory, removed on exit.
  --print-env     start the proxy in the background once it serves, print the lines to eval
                  and return:  eval "$(ssh-docker proxy TARGET --print-env)"
                  They set DOCKER_HOST and SSH_DOCKER_PROXY_PID; stop it with
                  kill $SSH_DOCKER_PROXY_PID (its socket is removed). Its output is discarded
                  after start: run it in the foreground to watch it.

${TARGET_HELP}

${SSH_OPTIONS_HELP}

Example:
  ssh-docker proxy build-1 &
  export DOCKER_HOST=unix:///tmp/ssh-docker-XXXXXX/docker.sock   # the line it printed
  docker ps
`,
  demo: `Usage: ssh-docker demo

Starts a throwaway remote host on this machine — a real OpenSSH sshd in front of a real dockerd,
in its own network namespace — and shows, step by step: the host key verified, the connect time,
the daemon version, a container run with its logs streamed, the same through dockerode, and the
docker CLI through the local socket proxy. Then it cleans everything up.

Needs root on Linux (for the network namespace), sshd, dockerd and the docker CLI, and the
@ssh-docker/testkit package (dockerode for its step, when installed).
`,
};

/** The help text of one command, or of the program when `command` is undefined. */
export function helpText(command: CommandName | undefined): string {
  return HELP[command ?? 'main'];
}

/**
 * The local side as OpenSSH sees it: ssh.c main() takes the user, uid and home directory from
 * the password database (`getpwuid(getuid())`), never from `$HOME` or `$USER`.
 */
import { homedir, userInfo } from 'node:os';

/** The local account, from the password database; `fromPasswd` false when the uid has none. */
export interface LocalAccount {
  readonly username: string;
  readonly uid: number;
  /** The passwd entry's home directory, as `~` and `%d` mean in ssh; `os.homedir()` (`$HOME`) only when the uid has no entry. */
  readonly homeDir: string;
  readonly fromPasswd: boolean;
}

/**
 * Reads the local account. `os.userInfo()` reads the password database (getpwuid_r); it throws
 * when the uid has no entry (a container started with `--user 12345`), where ssh would stop with
 * "No user exists for uid": we fall back to `$HOME` (os.homedir()) and the uid, and say so.
 */
export function localAccount(): LocalAccount {
  try {
    const info = userInfo();
    if (info.homedir !== '') return { username: info.username, uid: info.uid, homeDir: info.homedir, fromPasswd: true };
  } catch {
    // No passwd entry: fall through.
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
  return { username: process.env.USER ?? process.env.LOGNAME ?? String(uid), uid: Math.max(uid, 0), homeDir: homedir(), fromPasswd: false };
}

/** The home directory ssh uses for `~`, `%d` and `~/.ssh/config`: the password database's, as {@link localAccount}. */
export function localHomeDir(): string {
  return localAccount().homeDir;
}

/**
 * The messages of HostKeyError. Each names the OpenSSH rule that refused the key and the
 * command that fixes it. Host, port and fingerprints are public values; nothing here is secret.
 */
import type { KnownHostsMatch, VerifyResult } from '../known-hosts.js';

/** Quotes a shell word unless it is plainly safe, so the advice can be pasted as it is. */
function sh(word: string): string {
  return /^[A-Za-z0-9._:@%+=/,-]+$/.test(word) && !word.startsWith('-') ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** ssh-keyscan -t takes the short type names. */
function keyscanType(keyType: string): string {
  if (keyType === 'ssh-ed25519') return 'ed25519';
  if (keyType === 'ssh-rsa') return 'rsa';
  if (keyType.startsWith('ecdsa-')) return 'ecdsa';
  if (keyType === 'ssh-dss') return 'dsa';
  return keyType;
}

function where(m: KnownHostsMatch): string {
  return `${m.source}:${m.line}`;
}

function target(host: string, port: number): string {
  return port === 22 ? host : `${host} port ${port}`;
}

function caNote(result: VerifyResult): string {
  const cas = result.candidates.filter((c) => c.marker === 'cert-authority');
  if (cas.length === 0) return '';
  return (
    `\nAn @cert-authority line names this host (${cas.map(where).join(', ')}), but host certificates are not ` +
    'supported (ssh2 has none), so the CA cannot vouch for the key: add the host key itself.'
  );
}

export function unknownMessage(host: string, port: number, result: VerifyResult, hasFile: boolean): string {
  const { keyType, fingerprint } = result.presented;
  const p = port === 22 ? '' : `-p ${port} `;
  const t = `-t ${keyscanType(keyType)} `;
  const record = hasFile
    ? ''
    : '\nThe accept-new policy could not record it: no known_hosts file to write to (as with UserKnownHostsFile none).';
  return (
    `No ${keyType} host key is known for ${result.lookupName} (${target(host, port)}) and strict host key checking is on ` +
    `(OpenSSH StrictHostKeyChecking yes). The server offered ${keyType} ${fingerprint}.\n` +
    `Verify it out of band, then add it:\n` +
    `  ssh-keyscan ${p}${t}${sh(host)} | ssh-keygen -lf -    # compare with ${fingerprint}\n` +
    `  ssh-keyscan -H ${p}${t}${sh(host)} >> ~/.ssh/known_hosts\n` +
    `or connect once with: ssh -o StrictHostKeyChecking=accept-new ${p}${sh(host)}` +
    record +
    caNote(result)
  );
}

export function changedMessage(host: string, port: number, result: VerifyResult): string {
  const { keyType, fingerprint } = result.presented;
  const files = [...new Set(result.matches.map((m) => m.source))];
  const lines = result.matches.map((m) => `  ${where(m)}: ${m.keyType} ${m.fingerprint}`).join('\n');
  const remove = files.map((f) => `  ssh-keygen -R ${sh(result.lookupName)} -f ${sh(f)}`).join('\n');
  return (
    `WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED for ${result.lookupName} (${target(host, port)}).\n` +
    `The server offered ${keyType} ${fingerprint}, but known_hosts lists other keys for this name ` +
    `(a key of another type counts as changed, as in OpenSSH):\n${lines}\n` +
    `Someone may be intercepting the connection (man-in-the-middle), or the host key was replaced. ` +
    `Confirm the new fingerprint with the host's administrator. If it is legitimate, remove the old entries:\n${remove}\n` +
    `then add the new key (ssh-keyscan -H ${port === 22 ? '' : `-p ${port} `}${sh(host)} >> ~/.ssh/known_hosts). ` +
    `The connection is refused until then.` +
    caNote(result)
  );
}

export function revokedMessage(host: string, port: number, result: VerifyResult): string {
  const { keyType, fingerprint } = result.presented;
  return (
    `The ${keyType} host key offered by ${target(host, port)} (${fingerprint}) is marked @revoked in ` +
    `${result.matches.map(where).join(', ')}; a revoked key is refused whatever other lines say (sshd(8) SSH_KNOWN_HOSTS FILE FORMAT). ` +
    `Ask the host's administrator for its current key.`
  );
}

export function pinMismatchMessage(host: string, port: number, result: VerifyResult, pins: readonly string[]): string {
  return (
    `The host key offered by ${target(host, port)} (${result.presented.keyType} ${result.presented.fingerprint}) ` +
    `is not one of the pinned fingerprints (${pins.join(', ')}). Check the key with the host's administrator and update the pins.`
  );
}

export function rekeyMessage(host: string, port: number, result: VerifyResult, first: string): string {
  return (
    `WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED during a re-key with ${target(host, port)}: ` +
    `the key was ${first}, now ${result.presented.keyType} ${result.presented.fingerprint}. ` +
    `A server's host key cannot change within one connection; the connection is refused.`
  );
}

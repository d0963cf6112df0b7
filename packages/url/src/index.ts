export { UrlError } from './errors.js';
export type { UrlErrorCode } from './errors.js';
export { formatSshUrl, parseSshUrl } from './parse.js';
export type { FormatSshUrlOptions, ParseSshUrlOptions, SshUrl, SshUrlParts } from './parse.js';
export { containsSecret, redact, scrubRemoteText, WITHHELD } from './redact.js';
export { Secret } from './secret.js';

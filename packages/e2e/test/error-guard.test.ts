import { HostKeyError } from '@ssh-docker/hostkeys';
import { HttpError } from '@ssh-docker/http';
import { isSshDockerError, TransportError } from '@ssh-docker/transport';
import { UrlError } from '@ssh-docker/url';
import { expect, test } from 'vitest';

// The real classes of each package (transport's own unit test can only mimic http's).
test.each([
  ['UrlError', new UrlError('ERR_SSH_URL_HOST', 'm')],
  ['HostKeyError', new HostKeyError('ERR_HOST_KEY_CHANGED', 'm', { host: 'h', port: 22, lookupName: 'h', presented: { keyType: 'ssh-ed25519', fingerprint: 'SHA256:x' }, matches: [] })],
  ['TransportError', new TransportError('ERR_CHANNEL_REFUSED', 'm')],
  ['HttpError', new HttpError('ERR_HTTP_STATUS', 'm', { statusCode: 404 })],
  ['HttpError with a code it shares with transport', new HttpError('ERR_REMOTE_NOT_HTTP', 'm')],
])('isSshDockerError recognises a real %s', (_name, err) => {
  expect(isSshDockerError(err)).toBe(true);
});

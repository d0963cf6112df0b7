import type { Duplex } from 'node:stream';
import { DockerClient, type HttpError } from '../../../src/index.js';

/** Secrets the requests carry; none of them may show up anywhere but on the wire. */
export const SECRETS = {
  password: 'pw-Zq8vN3kT0pSecret',
  identityToken: 'idtok-7Hc2LmXw9Rb4Secret',
  bearer: 'bearer-Jd5Ks1Pq8Wn2Secret',
  cookie: 'cookie-Ht6Gm3Vr0Ya9Secret',
  custom: 'custom-Lb4Fn7Ce2Ux5Secret',
} as const;

/** Docker's X-Registry-Auth: base64url of the JSON auth config. */
export const registryAuth = Buffer.from(
  JSON.stringify({ username: 'alice', password: SECRETS.password, identitytoken: SECRETS.identityToken, serveraddress: '127.0.0.1:1' }),
).toString('base64url');

/** Every form of every secret that must not appear: raw, the whole header, base64 of the password. */
export const forbidden = [...Object.values(SECRETS), registryAuth, Buffer.from(SECRETS.password).toString('base64')];

export const credentialHeaders = {
  'X-Registry-Auth': registryAuth,
  Authorization: `Bearer ${SECRETS.bearer}`,
  'Proxy-Authorization': `Basic ${Buffer.from(`alice:${SECRETS.password}`).toString('base64')}`,
  Cookie: `session=${SECRETS.cookie}`,
  'X-Custom-Token': SECRETS.custom,
};

/**
 * Three failing requests that carry every credential header: a pull the daemon refuses
 * (a registry on a closed loopback port), a hijack the daemon refuses, and one whose connector fails.
 */
export async function failingRequests(connect: () => Promise<Duplex>): Promise<HttpError[]> {
  const errors: HttpError[] = [];
  const client = new DockerClient(connect);
  try {
    await client
      .request({ method: 'POST', path: '/images/create', query: { fromImage: '127.0.0.1:1/nope/image', tag: 'latest' }, headers: credentialHeaders })
      .then(
        () => {
          throw new Error('the pull should have failed');
        },
        (err: unknown) => errors.push(err as HttpError),
      );
    await client.hijack({ path: '/exec/does-not-exist/start', headers: credentialHeaders, body: { Detach: false } }).then(
      () => {
        throw new Error('the hijack should have failed');
      },
      (err: unknown) => errors.push(err as HttpError),
    );
  } finally {
    client.close();
  }
  const broken = new DockerClient(() => Promise.reject(Object.assign(new Error('channel refused'), { code: 'ERR_CHANNEL_REFUSED' })), { apiVersion: '1.41' });
  await broken.request({ path: '/images/json', headers: credentialHeaders }).then(
    () => {
      throw new Error('the connector should have failed');
    },
    (err: unknown) => errors.push(err as HttpError),
  );
  broken.close();
  return errors;
}

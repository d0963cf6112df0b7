export { createDockerAgent, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_FREE_SOCKETS, DEFAULT_MAX_SOCKETS } from './agent.js';
export type { DockerAgentOptions } from './agent.js';
export {
  DEFAULT_ERROR_BODY_TIMEOUT_MS,
  DEFAULT_MAX_ERROR_BODY_BYTES,
  DEFAULT_MAX_HEADER_SIZE,
  DEFAULT_MAX_JSON_BYTES,
  DEFAULT_NEGOTIATE_TIMEOUT_MS,
  DEFAULT_RECONNECT_WAIT_MS,
  DockerClient,
  FALLBACK_API_VERSION,
  MAX_API_VERSION,
} from './client.js';
export type { DockerClientOptions, DockerRequest, DockerResponse, QueryValue, RequestBody } from './client.js';
export { demux } from './demux.js';
export type { DemuxedStreams } from './demux.js';
export { HttpError } from './errors.js';
export type { HttpErrorCode, HttpErrorDetails } from './errors.js';
export { DEFAULT_CONNECT_TIMEOUT_MS } from './internal/connect.js';
export { DEFAULT_CLOSE_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, serveDockerSocket } from './serve.js';
export type { CloseOptions, DockerSocketServer, ServeDockerSocketOptions } from './serve.js';
export { createUndiciConnector } from './undici.js';
export type { UndiciConnectCallback, UndiciConnectOptions, UndiciConnector, UndiciConnectorOptions } from './undici.js';

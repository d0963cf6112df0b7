/**
 * `@ssh-docker/transport`: one SSH connection, many `docker system dial-stdio` channels.
 *
 * @packageDocumentation
 */
export { resolveSshTarget } from './config/index.js';
export type { ResolvedSshTarget, ResolveSshTargetOptions, SshConfigOverrides } from './config/index.js';
export { dockerContextHost, fromDockerEnv } from './docker-env.js';
export type { DockerEnvSource, DockerEnvTarget, FromDockerEnvOptions } from './docker-env.js';
export { TransportError } from './errors.js';
export type { TransportErrorCode, TransportErrorTarget } from './errors.js';
export type { CheckReport, CheckStep, CheckStepName } from './internal/check.js';
export type { DiagnosticsMessage } from './internal/diagnostics.js';
export { createDockerSshTransport } from './transport.js';
export type { DockerSshTransport, DockerSshTransportOptions, SecretSource, TransportStats } from './transport.js';

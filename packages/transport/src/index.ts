/**
 * `@ssh-docker/transport`: one SSH connection, many `docker system dial-stdio` channels.
 *
 * @packageDocumentation
 */
export { resolveSshTarget } from './config/index.js';
export type { ConfigWarning, ResolvedSshTarget, ResolveSshTargetOptions, SshConfigOverrides, SshTarget } from './config/index.js';
export { dockerContextHost, fromDockerEnv } from './docker-env.js';
export type { DockerEnvSource, DockerEnvTarget, FromDockerEnvOptions } from './docker-env.js';
export { TransportError } from './errors.js';
export type { TransportErrorCode, TransportErrorTarget } from './errors.js';
export { isSshDockerError } from './error-guard.js';
export type { HttpErrorShape, HttpErrorShapeCode, SshDockerError, SshDockerErrorCode } from './error-guard.js';
export type { CheckOptions, CheckReport, CheckStep, CheckStepName } from './internal/check.js';
export { FIX_CODES, fixFor } from './fixes.js';
export type { FixAudience, FixCode } from './fixes.js';
export { printable } from './printable.js';
export type { DiagnosticsMessage } from './internal/diagnostics.js';
export { createDockerSshTransport } from './transport.js';
export type { CredentialContext, DockerSshTransport, DockerSshTransportOptions, SecretSource, TransportStats } from './transport.js';

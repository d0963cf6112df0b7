export { arbitraries } from './arbitraries.js';
export { FixtureError } from './errors.js';
export type { FixtureErrorCode } from './errors.js';
export { startDockerSshFixture } from './fixture.js';
export type { DockerSshFixture, FixtureOptions, FixtureTransportOptions, FixtureUsers, HostKey, SecondSshd } from './fixture.js';
export { heapContains } from './heap.js';
export { expectNoSecretLeak } from './leak.js';
export { processMemoryContains } from './memscan.js';
export type { MemoryHit } from './memscan.js';

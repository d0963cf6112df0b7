// Run in a child process with NODE_DEBUG=ssh-docker:http (util.debuglog reads it at startup only).
import { connect } from 'node:net';
import { failingRequests } from './credentials.js';

const socketPath = process.env.HTTP_TEST_DOCKER_SOCKET ?? '';
const errors = await failingRequests(() => Promise.resolve(connect(socketPath)));
process.stdout.write(JSON.stringify(errors.map((e) => e.code)));

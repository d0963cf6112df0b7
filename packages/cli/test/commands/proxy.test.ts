import { describe, expect, test } from 'vitest';
import { exportLine, shellQuote } from '../../src/internal/commands/proxy.js';

describe('the export line', () => {
  test('is bare for an ordinary path', () => {
    expect(exportLine('unix:///tmp/ssh-docker-AbC123/docker.sock')).toBe('export DOCKER_HOST=unix:///tmp/ssh-docker-AbC123/docker.sock');
  });

  test('is single-quoted for a path a shell would split or expand', () => {
    expect(exportLine("unix:///home/me/my sockets/it's.sock")).toBe("export DOCKER_HOST='unix:///home/me/my sockets/it'\\''s.sock'");
    expect(shellQuote('$(id)')).toBe("'$(id)'");
  });
});

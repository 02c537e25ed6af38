import { describe, expect, it } from 'vitest';
import { matchRoute, paths } from './router';

describe('matchRoute', () => {
  it.each([
    ['/', { name: 'tasks' }],
    ['/tasks', { name: 'tasks' }],
    ['/tasks/', { name: 'tasks' }],
    ['/new', { name: 'new-task' }],
    ['/chat', { name: 'chat' }],
    ['/tasks/3f0c-1', { name: 'task', id: '3f0c-1' }],
    ['/tasks/a%2Fb', { name: 'task', id: 'a/b' }],
    ['/tasks/%E0%A4%A', { name: 'not-found' }],
    ['/tasks/a/b', { name: 'not-found' }],
    ['/elsewhere', { name: 'not-found' }],
  ])('%s', (path, route) => {
    expect(matchRoute(path)).toEqual(route);
  });

  it('builds paths that match back', () => {
    expect(matchRoute(paths.task('a/b c'))).toEqual({ name: 'task', id: 'a/b c' });
    expect(paths.tasks('status=running')).toBe('/?status=running');
  });
});

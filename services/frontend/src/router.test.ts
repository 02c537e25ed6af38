import { describe, expect, it } from 'vitest';
import { matchRoute, paths } from './router';

describe('matchRoute', () => {
  it.each([
    ['/', { name: 'tasks' }],
    ['/tasks', { name: 'tasks' }],
    ['/tasks/', { name: 'tasks' }],
    ['/new', { name: 'new-task' }],
    ['/tasks/new', { name: 'new-task' }],
    ['/chat', { name: 'chat', id: null }],
    ['/chat/', { name: 'chat', id: null }],
    ['/chat/01a2-c', { name: 'chat', id: '01a2-c' }],
    ['/chat/%E0%A4%A', { name: 'not-found' }],
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
    expect(matchRoute(paths.chat('c/1'))).toEqual({ name: 'chat', id: 'c/1' });
    expect(paths.chat()).toBe('/chat');
    expect(paths.chat(null)).toBe('/chat');
  });
});

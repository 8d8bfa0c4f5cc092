import { describe, expect, it } from 'vitest';
import { defaultCacheDir } from './paths.js';

describe('defaultCacheDir', () => {
  it('prefers TRIAGE_CACHE_DIR, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(defaultCacheDir({ TRIAGE_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x' }, '/home/u')).toBe('/c');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x' }, '/home/u')).toBe('/x/triage');
    expect(defaultCacheDir({}, '/home/u')).toBe('/home/u/.cache/triage');
    expect(defaultCacheDir({ TRIAGE_CACHE_DIR: '' }, '/home/u')).toBe('/home/u/.cache/triage');
  });
});

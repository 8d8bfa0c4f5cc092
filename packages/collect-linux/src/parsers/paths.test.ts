import { describe, expect, it } from 'vitest';
import { withoutTrailingSlashes } from './paths.js';

describe('withoutTrailingSlashes', () => {
  it('drops only trailing slashes', () => {
    expect(withoutTrailingSlashes('/home/alice///')).toBe('/home/alice');
    expect(withoutTrailingSlashes('/home/alice')).toBe('/home/alice');
    expect(withoutTrailingSlashes('///')).toBe('');
    expect(withoutTrailingSlashes('')).toBe('');
  });

  it('takes linear time on a planted megabyte of slashes (the regex it replaces took minutes)', () => {
    const home = `${'/'.repeat(1 << 20)}x`;
    // Not a timing assertion: the result is checked; a quadratic version would time the test out.
    expect(withoutTrailingSlashes(home)).toBe(home);
    expect(withoutTrailingSlashes(`${home}////`)).toBe(home);
  });
});

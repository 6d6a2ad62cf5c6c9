import { describe, expect, it } from 'vitest';
import { repositoryUrlOf } from '../../src/engine/rule-docs.js';

describe('the repository documentation links point into', () => {
  it("is the package's declared repository, as a web address", () => {
    expect(repositoryUrlOf({ repository: 'https://example.org/team/gitops-fix' })).toBe('https://example.org/team/gitops-fix');
    expect(repositoryUrlOf({ repository: { type: 'git', url: 'git+https://example.org/team/gitops-fix.git' } })).toBe('https://example.org/team/gitops-fix');
  });

  it('is none when the package declares none, or one that is not a web address', () => {
    expect(repositoryUrlOf({})).toBeUndefined();
    expect(repositoryUrlOf({ repository: 'github:team/gitops-fix' })).toBeUndefined();
    expect(repositoryUrlOf({ repository: { url: 'git@example.org:team/gitops-fix.git' } })).toBeUndefined();
    expect(repositoryUrlOf({ repository: 42 })).toBeUndefined();
  });
});

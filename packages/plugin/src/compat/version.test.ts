import { describe, expect, it } from 'vitest';
import { CHECKED_MICRO_VERSIONS, installedMicroVersion, uncheckedVersionWarning } from './version';

describe('the Micro version the patches were checked with', () => {
  it('is the version installed here, and that one gets no warning', () => {
    expect(CHECKED_MICRO_VERSIONS).toContain(installedMicroVersion());
    expect(uncheckedVersionWarning(installedMicroVersion())).toBeUndefined();
  });

  it('warns, naming both versions, for any other or an unknown version', () => {
    expect(uncheckedVersionWarning('1.3.0')).toMatch(/patches @pestras\/micro 1\.2\.5 .* loads 1\.3\.0/);
    expect(uncheckedVersionWarning(undefined)).toMatch(/loads an unknown version/);
  });
});

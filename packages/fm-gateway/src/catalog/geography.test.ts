import { describe, expect, it } from 'vitest';
import { geographies, geographyOfRegion, isWithin } from './geography.js';

describe('geographyOfRegion', () => {
  it.each([
    ['ap-northeast-1', 'jp'],
    ['ap-northeast-3', 'jp'],
    ['ap-southeast-1', 'apac'],
    ['ap-northeast-2', 'apac'],
    ['ap-south-1', 'apac'],
    ['ap-southeast-2', 'au'],
    ['eu-west-1', 'eu'],
    ['eu-central-1', 'eu'],
    ['us-east-1', 'us'],
    ['us-gov-west-1', 'us-gov'],
    ['ca-central-1', 'ca'],
  ])('places %s in %s', (region, geography) => {
    expect(geographyOfRegion(region)).toBe(geography);
  });

  it('places an unknown region in global', () => {
    expect(geographyOfRegion('sa-east-1')).toBe('global');
    expect(geographyOfRegion('')).toBe('global');
  });
});

describe('isWithin', () => {
  it('treats a geography as within itself', () => {
    for (const geography of geographies) {
      expect(isWithin(geography, [geography]), geography).toBe(true);
    }
  });

  it('treats Japan and Australia as within Asia-Pacific', () => {
    expect(isWithin('jp', ['apac'])).toBe(true);
    expect(isWithin('au', ['apac'])).toBe(true);
  });

  it('does not treat Asia-Pacific as within Japan', () => {
    expect(isWithin('apac', ['jp'])).toBe(false);
  });

  it('treats global as within nothing but global', () => {
    const restricted = geographies.filter((geography) => geography !== 'global');

    expect(isWithin('global', restricted)).toBe(false);
    expect(isWithin('global', ['global'])).toBe(true);
  });

  it('allows nothing when no geography is allowed', () => {
    expect(isWithin('jp', [])).toBe(false);
  });
});

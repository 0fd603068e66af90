/**
 * Data geographies: where a Bedrock request may be processed. A cross-region inference
 * profile's prefix names its geography (`jp.`, `apac.`, `us.` …); an on-demand call stays in
 * its own region. Japan and Australia lie inside Asia-Pacific, so data allowed in `apac` may
 * be processed in `jp`; `global` lies inside no restricted geography.
 */
export const geographies = ['us', 'us-gov', 'ca', 'eu', 'apac', 'jp', 'au', 'global'] as const;
export type Geography = (typeof geographies)[number];

const enclosing: Partial<Record<Geography, Geography>> = { jp: 'apac', au: 'apac' };

const regionGeography: readonly [prefix: string, geography: Geography][] = [
  ['us-gov-', 'us-gov'],
  ['us-', 'us'],
  ['ca-', 'ca'],
  ['eu-', 'eu'],
  ['ap-northeast-1', 'jp'],
  ['ap-northeast-3', 'jp'],
  ['ap-southeast-2', 'au'],
  ['ap-southeast-4', 'au'],
  ['ap-', 'apac'],
];

/** The geography an on-demand (in-region) call is processed in; `global` when unknown. */
export function geographyOfRegion(region: string): Geography {
  return regionGeography.find(([prefix]) => region.startsWith(prefix))?.[1] ?? 'global';
}

/** True when data allowed in `allowed` may be processed in `geography` (`jp` is inside `apac`). */
export function isWithin(geography: Geography, allowed: readonly Geography[]): boolean {
  for (let current: Geography | undefined = geography; current; current = enclosing[current]) {
    if (allowed.includes(current)) return true;
  }
  return false;
}

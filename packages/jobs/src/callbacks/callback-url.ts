import { isIPv4, isIPv6 } from 'node:net';

/** A prefix of an address, as bytes, and how many leading bits of it must match. */
interface Prefix {
  readonly bytes: readonly number[];
  readonly bits: number;
}

function prefix(address: string, bits: number): Prefix {
  const bytes = isIPv4(address) ? ipv4Bytes(address) : ipv6Bytes(address);
  // The tables below are literals: a typo in one must fail at import, not match nothing.
  if (bytes === undefined) throw new Error(`Not an address: ${address}`);
  return { bytes, bits };
}

/** IANA's special-purpose IPv4 blocks that are not globally reachable (RFC 6890 and successors). */
const NON_PUBLIC_IPV4: readonly Prefix[] = [
  prefix('0.0.0.0', 8), // "this network"
  prefix('10.0.0.0', 8),
  prefix('100.64.0.0', 10), // carrier-grade NAT
  prefix('127.0.0.0', 8),
  prefix('169.254.0.0', 16), // link-local, holds the cloud metadata endpoint 169.254.169.254
  prefix('172.16.0.0', 12),
  prefix('192.0.0.0', 24),
  prefix('192.0.2.0', 24),
  prefix('192.88.99.0', 24), // 6to4 relay anycast
  prefix('192.168.0.0', 16),
  prefix('198.18.0.0', 15), // benchmarking
  prefix('198.51.100.0', 24),
  prefix('203.0.113.0', 24),
  prefix('224.0.0.0', 4), // multicast
  prefix('240.0.0.0', 4), // reserved, includes the limited broadcast 255.255.255.255
];

/**
 * IANA hands out global unicast only from 2000::/3: everything outside it is loopback, unspecified,
 * ULA (fc00::/7), link-local (fe80::/10), the deprecated site-local (fec0::/10), multicast
 * (ff00::/8), discard (100::/64) or reserved. The IPv4-embedding blocks outside it are judged by
 * their IPv4 address before this rule applies.
 */
const GLOBAL_UNICAST_IPV6 = prefix('2000::', 3);

/** Blocks inside 2000::/3 that are still not public. */
const NON_PUBLIC_IPV6: readonly Prefix[] = [
  prefix('2001:db8::', 32), // documentation
  prefix('2001::', 23), // IETF protocol assignments: Teredo, ORCHID, benchmarking (2001:2::/48)
];

/** IPv6 blocks that carry an IPv4 address, and the byte at which it starts. */
const IPV4_EMBEDDING_IPV6: readonly { readonly block: Prefix; readonly ipv4At: number }[] = [
  { block: prefix('::ffff:0:0', 96), ipv4At: 12 }, // IPv4-mapped: the socket talks IPv4 to it
  { block: prefix('64:ff9b::', 96), ipv4At: 12 }, // NAT64: the translator forwards to it
  { block: prefix('2002::', 16), ipv4At: 2 }, // 6to4: relays tunnel to it
];

const LOOPBACK_IPV4 = prefix('127.0.0.0', 8);
const LOOPBACK_IPV6 = prefix('::1', 128);

function ipv4Bytes(text: string): number[] | undefined {
  if (!isIPv4(text)) return undefined;
  return text.split('.').map(Number);
}

/** Bytes of a validated IPv6 text address in any form: full, compressed, or with an IPv4 tail. */
function ipv6Bytes(text: string): number[] | undefined {
  if (!isIPv6(text) || text.includes('%')) return undefined;
  let hex = text;
  const tailStart = text.lastIndexOf(':') + 1;
  const tail = text.slice(tailStart);
  if (tail.includes('.')) {
    const ipv4 = ipv4Bytes(tail);
    if (ipv4 === undefined) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = ipv4;
    hex = `${text.slice(0, tailStart)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = hex.split('::');
  const groupsOf = (part: string | undefined): string[] => (part ? part.split(':') : []);
  const head = groupsOf(halves[0]);
  const rest = groupsOf(halves[1]);
  const zeros: string[] = halves.length === 2 ? Array(8 - head.length - rest.length).fill('0') : [];
  const groups = [...head, ...zeros, ...rest];
  if (groups.length !== 8) return undefined;
  return groups.flatMap((group) => {
    const value = Number.parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

function matches(bytes: readonly number[], block: Prefix): boolean {
  if (bytes.length !== block.bytes.length) return false;
  for (let bit = 0; bit < block.bits; bit += 8) {
    const remaining = block.bits - bit;
    const mask = remaining >= 8 ? 0xff : (0xff << (8 - remaining)) & 0xff;
    const index = bit / 8;
    if (((bytes[index] ?? 0) & mask) !== ((block.bytes[index] ?? 0) & mask)) return false;
  }
  return true;
}

function isPublicIpv4(bytes: readonly number[]): boolean {
  return !NON_PUBLIC_IPV4.some((block) => matches(bytes, block));
}

function isPublicIpv6(bytes: readonly number[]): boolean {
  for (const { block, ipv4At } of IPV4_EMBEDDING_IPV6) {
    if (matches(bytes, block)) return isPublicIpv4(bytes.slice(ipv4At, ipv4At + 4));
  }
  return matches(bytes, GLOBAL_UNICAST_IPV6) && !NON_PUBLIC_IPV6.some((block) => matches(bytes, block));
}

/**
 * Whether a text IP address is publicly routable, so a callback may be sent to it.
 *
 * False for IANA's non-global IPv4 blocks (private, loopback, link-local with the cloud metadata
 * endpoint, CGNAT, documentation, benchmarking, multicast, reserved, broadcast) and for IPv6 outside
 * global unicast 2000::/3 (unspecified, loopback, ULA, link-local, site-local, multicast, discard),
 * documentation 2001:db8::/32 and IETF protocol assignments 2001::/23. An IPv6 address that carries an
 * IPv4 address (IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) is judged by
 * that IPv4 address. Any IPv6 text form is accepted; one with a zone id (`fe80::1%eth0`) is never
 * public, nor is anything that is not an IP address (a hostname, `[::1]` with brackets).
 *
 * @example isPublicAddress('8.8.8.8') // true
 * @example isPublicAddress('::ffff:10.0.0.1') // false
 */
export function isPublicAddress(address: string): boolean {
  const ipv4 = ipv4Bytes(address);
  if (ipv4 !== undefined) return isPublicIpv4(ipv4);
  const ipv6 = ipv6Bytes(address);
  return ipv6 !== undefined && isPublicIpv6(ipv6);
}

/** Whether a text IP address is a loopback address (127.0.0.0/8 or ::1). */
export function isLoopbackAddress(address: string): boolean {
  const ipv4 = ipv4Bytes(address);
  if (ipv4 !== undefined) return matches(ipv4, LOOPBACK_IPV4);
  const ipv6 = ipv6Bytes(address);
  return ipv6 !== undefined && matches(ipv6, LOOPBACK_IPV6);
}

/** How a callback URL is judged. */
export interface CallbackUrlPolicy {
  /**
   * Accept `http` (and any port) for `localhost`, `127.0.0.1` and `[::1]`, so a developer can
   * receive callbacks from `pnpm dev` on their machine. Never on when deployed.
   */
  readonly allowLoopbackHttp: boolean;
}

/** The longest callback URL accepted, in characters. */
export const MAX_CALLBACK_URL_LENGTH = 2048;

/**
 * Ports above 1023 that well-known internal daemons listen on (Docker, etcd, MySQL, PostgreSQL,
 * Redis, Elasticsearch, memcached, MongoDB): no webhook receiver needs them, and refusing them keeps
 * the platform from being aimed at such a service on a public address.
 */
export const REFUSED_CALLBACK_PORTS: ReadonlySet<number> = new Set([
  2375, 2376, 2379, 3306, 5432, 6379, 9200, 11211, 27017,
]);

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Names that only ever mean something inside a network (RFC 6761, RFC 6762, RFC 8375, ICANN's .internal). */
const INTERNAL_NAME_SUFFIXES: readonly string[] = [
  'localhost',
  'internal',
  'local',
  'home.arpa',
  'localdomain',
];

function isInternalName(hostname: string): boolean {
  return INTERNAL_NAME_SUFFIXES.some((suffix) => hostname === suffix || hostname.endsWith(`.${suffix}`));
}

/**
 * Why a callback URL is refused, or `undefined` when it may be used.
 *
 * Deployed (`allowLoopbackHttp: false`) a callback URL must: parse as a URL of at most
 * {@link MAX_CALLBACK_URL_LENGTH} characters; use `https`; carry no `user:password@`; name a public
 * IP address ({@link isPublicAddress}) or a dotted hostname that is not internal (`localhost`,
 * `*.localhost`, `*.internal` such as `metadata.google.internal`, `*.local`, `*.home.arpa`,
 * `*.localdomain`; single-label names such as `instance-data` are refused because a resolver's search
 * domains turn them into internal names); and use port 443 or a port from 1024 to 65535 other than
 * {@link REFUSED_CALLBACK_PORTS}. Ports 1–1023 other than 443 are refused because they are the system
 * services (SSH, SMTP, ...) a webhook receiver never is.
 *
 * A hostname is only judged by its text here: the sender checks the addresses it resolves to when
 * it connects.
 *
 * @example callbackUrlProblem('https://10.0.0.1/', { allowLoopbackHttp: false }) // 'host 10.0.0.1 is not a public address'
 */
export function callbackUrlProblem(url: string, policy: CallbackUrlPolicy): string | undefined {
  if (url.length > MAX_CALLBACK_URL_LENGTH) return `longer than ${MAX_CALLBACK_URL_LENGTH} characters`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (parsed.username !== '' || parsed.password !== '') return 'must not carry credentials';
  const isHttp = parsed.protocol === 'http:';
  if (!isHttp && parsed.protocol !== 'https:') return 'must use https';
  if (policy.allowLoopbackHttp && LOOPBACK_HOSTS.has(parsed.hostname)) return undefined;
  if (isHttp) return 'must use https';

  // The URL parser has already canonicalised the host: 127.1 and 0x7f000001 arrive as 127.0.0.1.
  const hostname = parsed.hostname.replace(/\.$/, '').toLowerCase();
  const literal = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (isIPv4(literal) || isIPv6(literal)) {
    if (!isPublicAddress(literal)) return `host ${parsed.hostname} is not a public address`;
  } else if (isInternalName(hostname) || !hostname.includes('.')) {
    return `host ${parsed.hostname} is an internal name`;
  }

  // An empty port is the scheme's default, 443.
  const port = parsed.port === '' ? 443 : Number(parsed.port);
  if (port !== 443 && (port < 1024 || REFUSED_CALLBACK_PORTS.has(port))) return `port ${port} is not allowed`;
  return undefined;
}

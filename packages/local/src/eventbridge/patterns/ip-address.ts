/**
 * IP addresses and CIDR ranges for the `cidr` operator, parsed the way Event Ruler (the matcher
 * behind EventBridge, `CIDR.java`) does: an address is text that looks like IPv4
 * (`[0-9]+.[0-9]+.[0-9]+.[0-9]+`) or IPv6 (hex digits and colons, no embedded dotted quad);
 * an IPv4-mapped IPv6 address (`::ffff:a00:1`) is the IPv4 address, as Java's `InetAddress`
 * has it; a range runs from the address as written (host bits are not cleared) to that address
 * with every host bit set.
 */

/** An address as its family and its bits as one unsigned integer. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
}

/** Inclusive range of addresses of one family. */
export interface IpRange {
  readonly family: 4 | 6;
  readonly low: bigint;
  readonly high: bigint;
}

/** Why a `cidr` value is refused; the text mirrors Event Ruler's. */
export class CidrSyntaxError extends Error {
  override readonly name = 'CidrSyntaxError';
}

const ipv4Shape = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const ipv6Shape = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;
const hexGroup = /^[0-9a-fA-F]{1,4}$/;
const mappedIpv4Prefix = 0xffffn << 32n;

/** The address `text` spells, or `undefined` when it is not an IPv4 or IPv6 literal. */
export function parseIpAddress(text: string): IpAddress | undefined {
  if (ipv4Shape.test(text)) return parseIpv4(text);
  if (ipv6Shape.test(text)) {
    const value = parseIpv6(text);
    if (value === undefined) return undefined;
    // Java's InetAddress turns an IPv4-mapped IPv6 literal into the IPv4 address.
    if (value >> 32n === 0xffffn) return { family: 4, value: value - mappedIpv4Prefix };
    return { family: 6, value };
  }
  return undefined;
}

/**
 * The range a `cidr` operand covers. Throws `CidrSyntaxError` for anything else: no single
 * `/`, a mask that is not an integer or is negative, an address that is not a literal, or a mask
 * of 32 or more bits for IPv4 (128 or more for IPv6) — Event Ruler refuses those too.
 */
export function parseCidr(text: string): IpRange {
  const parts = text.split('/');
  const [addressText, maskText] = parts;
  if (parts.length !== 2 || addressText === undefined || maskText === undefined) {
    throw new CidrSyntaxError("Malformed CIDR, one '/' required");
  }
  if (!/^[+-]?[0-9]+$/.test(maskText)) {
    throw new CidrSyntaxError('Malformed CIDR, mask bits must be an integer');
  }
  const maskBits = Number(maskText);
  if (maskBits < 0) throw new CidrSyntaxError('Malformed CIDR, mask bits must not be negative');
  const address = parseIpAddress(addressText);
  if (address === undefined) throw new CidrSyntaxError(`Invalid IP address: ${addressText}`);
  const width = address.family === 4 ? 32 : 128;
  if (maskBits >= width) {
    throw new CidrSyntaxError(`IPv${address.family} mask bits must be < ${width}`);
  }
  const hostBits = (1n << BigInt(width - maskBits)) - 1n;
  return { family: address.family, low: address.value, high: address.value | hostBits };
}

/** Whether `address` lies in `range` (never across families). */
export function isInRange(address: IpAddress, range: IpRange): boolean {
  return address.family === range.family && address.value >= range.low && address.value <= range.high;
}

/** Whether two addresses are the same, however each was written. */
export function isSameAddress(left: IpAddress, right: IpAddress): boolean {
  return left.family === right.family && left.value === right.value;
}

function parseIpv4(text: string): IpAddress | undefined {
  let value = 0n;
  for (const part of text.split('.')) {
    const octet = Number(part);
    if (part.length > 3 || octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return { family: 4, value };
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string | undefined): string[] | undefined => {
    if (half === undefined || half === '') return [];
    const groups = half.split(':');
    return groups.every((group) => hexGroup.test(group)) ? groups : undefined;
  };
  const head = groupsOf(halves[0]);
  const tail = groupsOf(halves[1]);
  if (head === undefined || tail === undefined) return undefined;
  const compressed = halves.length === 2;
  const present = head.length + tail.length;
  if (compressed ? present > 7 : present !== 8) return undefined;
  const groups = [...head, ...Array<string>(8 - present).fill('0'), ...tail];
  return groups.reduce((value, group) => (value << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
}

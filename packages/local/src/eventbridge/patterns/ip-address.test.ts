import { describe, expect, it } from 'vitest';
import { CidrSyntaxError, isInRange, parseCidr, parseIpAddress } from './ip-address.js';

describe('parseIpAddress', () => {
  it('reads IPv4 and IPv6 literals', () => {
    expect(parseIpAddress('10.0.0.1')).toEqual({ family: 4, value: 0x0a000001n });
    expect(parseIpAddress('2001:db8::1')).toEqual({ family: 6, value: (0x20010db8n << 96n) | 1n });
    expect(parseIpAddress('::')).toEqual({ family: 6, value: 0n });
  });

  it('reads an IPv4-mapped IPv6 address as the IPv4 address, as Java does', () => {
    expect(parseIpAddress('::ffff:a00:1')).toEqual({ family: 4, value: 0x0a000001n });
  });

  it('refuses text that is not an address', () => {
    for (const text of [
      '10.0.0',
      '256.0.0.1',
      'example.com',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      '12345::',
      '::ffff:1.2.3.4',
    ]) {
      expect(parseIpAddress(text)).toBeUndefined();
    }
  });
});

describe('parseCidr', () => {
  it('runs a range from the address as written to the last address of the block', () => {
    const range = parseCidr('10.0.0.5/24');
    expect(isInRange({ family: 4, value: 0x0a000005n }, range)).toBe(true);
    expect(isInRange({ family: 4, value: 0x0a000004n }, range)).toBe(false);
    expect(isInRange({ family: 4, value: 0x0a0000ffn }, range)).toBe(true);
  });

  it('covers every IPv6 address with a zero mask', () => {
    const range = parseCidr('::/0');
    expect(isInRange({ family: 6, value: (1n << 128n) - 1n }, range)).toBe(true);
  });

  it('refuses masks Event Ruler refuses', () => {
    expect(() => parseCidr('10.0.0.0/-1')).toThrow(
      new CidrSyntaxError('Malformed CIDR, mask bits must not be negative'),
    );
    expect(() => parseCidr('::/128')).toThrow(new CidrSyntaxError('IPv6 mask bits must be < 128'));
    expect(() => parseCidr('10.0.0.0/8/8')).toThrow(new CidrSyntaxError("Malformed CIDR, one '/' required"));
  });
});

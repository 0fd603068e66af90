// The certificate helper of the TLS tests: it must make a valid certificate every time, whatever
// bytes its serial number draws, and name IP addresses (v4 and v6) as IP addresses.
import { createPublicKey, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { selfSignedCertificate } from './self-signed-certificate.js';

/** The serial number as OpenSSL prints it: upper-case hex of the positive integer, no leading zeros. */
function hexOf(bytes: readonly number[]): string {
  return BigInt(`0x${Buffer.from(bytes).toString('hex')}`)
    .toString(16)
    .toUpperCase();
}

describe('selfSignedCertificate', () => {
  it('makes a valid certificate from any serial bytes: a leading zero, a high first bit, or both', () => {
    const serials = [
      [0x00, 0x10, 1, 2, 3, 4, 5, 6],
      [0x00, 0x90, 1, 2, 3, 4, 5, 6],
      [0x80, 1, 2, 3, 4, 5, 6, 7],
      [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
      [0x00, 0x00, 0x00, 0x01],
    ];
    for (const serial of serials) {
      const { cert, key } = selfSignedCertificate(['localhost'], { serialNumber: Uint8Array.from(serial) });
      const certificate = new X509Certificate(cert);
      expect(certificate.serialNumber.replace(/^0+/, ''), `serial ${hexOf(serial)}`).toBe(hexOf(serial));
      expect(certificate.verify(createPublicKey(key))).toBe(true);
    }
  });

  it('draws a positive serial number of 8 bytes by default', () => {
    for (let draw = 0; draw < 20; draw++) {
      const serial = new X509Certificate(selfSignedCertificate(['localhost']).cert).serialNumber;
      expect(serial).toMatch(/^(0[1-9A-F]|[1-7][0-9A-F])[0-9A-F]{14}$/);
    }
  });

  it('names DNS names, IPv4 and IPv6 addresses in its subjectAltName, each as what it is', () => {
    const hosts: [string, ...string[]] = [
      'localhost',
      '127.0.0.1',
      '::1',
      '2001:db8::ff00:42:8329',
      '::ffff:192.0.2.1',
    ];
    const certificate = new X509Certificate(selfSignedCertificate(hosts).cert);
    expect(certificate.checkHost('localhost')).toBe('localhost');
    expect(certificate.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(certificate.checkIP('::1')).toBe('::1');
    expect(certificate.checkIP('2001:0db8:0000:0000:0000:ff00:0042:8329')).toBe(
      '2001:0db8:0000:0000:0000:ff00:0042:8329',
    );
    expect(certificate.checkIP('::ffff:192.0.2.1')).toBe('::ffff:192.0.2.1');
    expect(certificate.checkHost('::1')).toBeUndefined();
    expect(certificate.checkIP('::2')).toBeUndefined();
  });

  it('refuses an IPv6 address with a zone, which no certificate can name', () => {
    expect(() => selfSignedCertificate(['fe80::1%eth0'])).toThrow(TypeError);
  });
});

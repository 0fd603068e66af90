import { generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

/** A key and the self-signed X.509 certificate of its public key, both PEM. */
export interface SelfSignedCertificate {
  /** PKCS #8 private key (EC P-256). */
  readonly key: string;
  /** The certificate: give it to a TLS server as `cert` and to its clients as `ca`. */
  readonly cert: string;
}

export interface SelfSignedCertificateOptions {
  /**
   * The serial number's bytes, big-endian, read as a positive integer (leading zeros and a high
   * first bit are fine).
   * @default - 8 random bytes, the first from 0x01 to 0x7f
   */
  readonly serialNumber?: Uint8Array;
}

/**
 * Makes a certificate for `hosts` (DNS names, IPv4 and IPv6 addresses, all in its
 * subjectAltName, each as what it is; the first is its common name), valid from a day ago to a
 * day ahead, with `node:crypto` alone — no `openssl` binary, no fixture that expires. For tests.
 * Throws `TypeError` for an IPv6 address with a zone (`fe80::1%eth0`), which no certificate names.
 *
 * @example const { key, cert } = selfSignedCertificate(['localhost', '127.0.0.1', '::1']);
 */
export function selfSignedCertificate(
  hosts: readonly [string, ...string[]],
  options: SelfSignedCertificateOptions = {},
): SelfSignedCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecdsaWithSha256 = sequence(objectId('1.2.840.10045.4.3.2'));
  const name = sequence(set(sequence(objectId('2.5.4.3'), element(0x0c, Buffer.from(hosts[0])))));
  const day = 86_400_000;
  const tbsCertificate = sequence(
    element(0xa0, integer(Buffer.from([2]))), // v3
    integer(options.serialNumber ?? randomSerialNumber()),
    ecdsaWithSha256,
    name,
    sequence(utcTime(new Date(Date.now() - day)), utcTime(new Date(Date.now() + day))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    element(
      0xa3,
      sequence(
        // basicConstraints (critical): CA, so that clients can trust it as its own issuer.
        sequence(
          objectId('2.5.29.19'),
          element(0x01, Buffer.from([0xff])),
          octetString(sequence(element(0x01, Buffer.from([0xff])))),
        ),
        sequence(objectId('2.5.29.17'), octetString(sequence(...hosts.map(alternativeName)))),
      ),
    ),
  );
  const signature = sign('sha256', tbsCertificate, privateKey);
  const certificate = sequence(tbsCertificate, ecdsaWithSha256, element(0x03, Buffer.from([0]), signature));
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    cert: new X509Certificate(certificate).toString(),
  };
}

/** One DER element: tag, definite length, contents. */
function element(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  const length: number[] = [];
  for (let rest = body.length; rest > 0; rest = Math.floor(rest / 256)) length.unshift(rest % 256);
  const header = body.length < 0x80 ? [tag, body.length] : [tag, 0x80 | length.length, ...length];
  return Buffer.concat([Buffer.from(header), body]);
}

function sequence(...contents: Buffer[]): Buffer {
  return element(0x30, ...contents);
}

function set(...contents: Buffer[]): Buffer {
  return element(0x31, ...contents);
}

function octetString(contents: Buffer): Buffer {
  return element(0x04, contents);
}

/** Positive (RFC 5280), and 8 bytes long whatever it draws. */
function randomSerialNumber(): Buffer {
  const bytes = randomBytes(8);
  bytes[0] = 1 + ((bytes[0] ?? 0) % 0x7f);
  return bytes;
}

/**
 * The DER INTEGER of the non-negative number `bytes` spell, big-endian: its shortest form, which
 * has no leading zero byte unless the next byte's high bit is set (it would read as negative).
 */
function integer(bytes: Uint8Array): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const magnitude = Buffer.from(bytes.subarray(start));
  return element(
    0x02,
    (magnitude[0] ?? 0) >= 0x80 ? Buffer.concat([Buffer.from([0]), magnitude]) : magnitude,
  );
}

/** A subjectAltName entry: an iPAddress (4 or 16 bytes) for an IP address, else a dNSName. */
function alternativeName(host: string): Buffer {
  if (isIP(host) === 4) return element(0x87, Buffer.from(host.split('.').map(Number)));
  if (isIP(host) === 6) return element(0x87, ipv6Bytes(host));
  return element(0x82, Buffer.from(host));
}

/** The 16 bytes of an IPv6 address (`::` shorthand and a dotted IPv4 tail included). */
function ipv6Bytes(address: string): Buffer {
  if (address.includes('%')) {
    throw new TypeError(`A certificate cannot name an IPv6 address with a zone: ${address}`);
  }
  const groupsOf = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [Number.parseInt(group, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
          return [a * 256 + b, c * 256 + d];
        });
  const [head = '', tail] = address.split('::');
  const first = groupsOf(head);
  const last = tail === undefined ? [] : groupsOf(tail);
  const groups = [...first, ...Array<number>(8 - first.length - last.length).fill(0), ...last];
  const bytes = Buffer.alloc(16);
  for (const [index, group] of groups.entries()) bytes.writeUInt16BE(group, index * 2);
  return bytes;
}

function objectId(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const base128 = [arc % 128];
    for (let high = Math.floor(arc / 128); high > 0; high = Math.floor(high / 128))
      base128.unshift(0x80 | (high % 128));
    bytes.push(...base128);
  }
  return element(0x06, Buffer.from(bytes));
}

/** `YYMMDDHHMMSSZ`. */
function utcTime(date: Date): Buffer {
  return element(0x17, Buffer.from(`${date.toISOString().slice(2, 19).replace(/[-T:]/g, '')}Z`));
}

import { describe, expect, it } from 'vitest';
import { callbackUrlProblem, isLoopbackAddress, isPublicAddress } from './callback-url.js';

const deployed = { allowLoopbackHttp: false };
const dev = { allowLoopbackHttp: true };

describe('isPublicAddress', () => {
  // Each block's first and last address, and one inside where it holds a famous one.
  it.each([
    ['0.0.0.0', 'this network'],
    ['0.255.255.255', 'this network'],
    ['10.0.0.0', 'private 10/8'],
    ['10.255.255.255', 'private 10/8'],
    ['100.64.0.0', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.255', 'loopback'],
    ['169.254.0.0', 'link-local'],
    ['169.254.169.254', 'the cloud metadata endpoint'],
    ['169.254.255.255', 'link-local'],
    ['172.16.0.0', 'private 172.16/12'],
    ['172.31.255.255', 'private 172.16/12'],
    ['192.0.0.0', 'IETF protocol assignments'],
    ['192.0.0.255', 'IETF protocol assignments'],
    ['192.0.2.1', 'TEST-NET-1'],
    ['192.88.99.1', '6to4 relay anycast'],
    ['192.168.0.0', 'private 192.168/16'],
    ['192.168.255.255', 'private 192.168/16'],
    ['198.18.0.0', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['198.51.100.7', 'TEST-NET-2'],
    ['203.0.113.7', 'TEST-NET-3'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'limited broadcast'],
    ['::', 'the unspecified address'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback, uncompressed'],
    ['fc00::1', 'unique local'],
    ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'unique local'],
    ['fe80::1', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fe80::1%eth0', 'link-local with a zone id'],
    ['2606:4700:4700::1111%eth0', 'a global address with a zone id, which only scoped use carries'],
    ['fec0::1', 'the deprecated site-local'],
    ['ff02::1', 'multicast'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'multicast'],
    ['100::1', 'discard'],
    ['2001:db8::1', 'documentation'],
    ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', 'documentation'],
    ['2001::1', 'Teredo'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback in hex'],
    ['0:0:0:0:0:ffff:a9fe:a9fe', 'IPv4-mapped metadata endpoint, uncompressed'],
    ['::FFFF:192.168.1.1', 'IPv4-mapped private in capitals'],
    ['64:ff9b::10.0.0.1', 'NAT64 of a private address'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 of the metadata endpoint'],
    ['2002:7f00:1::1', '6to4 of loopback'],
    ['::127.0.0.1', 'the deprecated IPv4-compatible form'],
    ['example.com', 'a hostname'],
    ['[::1]', 'a bracketed literal'],
    ['127.1', 'a shortened IPv4 form'],
    ['', 'the empty string'],
  ])('treats %s as not public (%s)', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  // Just outside each block's edges, and well-known public resolvers.
  it.each([
    ['8.8.8.8', 'Google DNS'],
    ['1.1.1.1', 'Cloudflare DNS'],
    ['9.255.255.255', 'just below 10/8'],
    ['11.0.0.0', 'just above 10/8'],
    ['100.63.255.255', 'just below carrier-grade NAT'],
    ['100.128.0.0', 'just above carrier-grade NAT'],
    ['126.255.255.255', 'just below loopback'],
    ['128.0.0.0', 'just above loopback'],
    ['169.253.255.255', 'just below link-local'],
    ['169.255.0.0', 'just above link-local'],
    ['172.15.255.255', 'just below 172.16/12'],
    ['172.32.0.0', 'just above 172.16/12'],
    ['192.0.1.1', 'between the 192.0.0/24 and 192.0.2/24 blocks'],
    ['192.167.255.255', 'just below 192.168/16'],
    ['192.169.0.0', 'just above 192.168/16'],
    ['198.17.255.255', 'just below benchmarking'],
    ['198.20.0.0', 'just above benchmarking'],
    ['223.255.255.255', 'just below multicast'],
    ['2606:4700:4700::1111', 'Cloudflare DNS over IPv6'],
    ['2001:4860:4860::8888', 'Google DNS over IPv6'],
    ['2001:db9::1', 'just above documentation'],
    ['2001:200::1', 'just above the IETF protocol assignments'],
    ['2a00:1450:4001:80b::200e', 'a public IPv6 address'],
    ['3fff:ffff::1', 'the top of global unicast'],
    ['::ffff:8.8.8.8', 'IPv4-mapped public'],
    ['64:ff9b::808:808', 'NAT64 of a public address'],
    ['2002:808:808::1', '6to4 of a public address'],
  ])('treats %s as public (%s)', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe('isLoopbackAddress', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1'])('treats %s as loopback', (address) => {
    expect(isLoopbackAddress(address)).toBe(true);
  });

  it.each(['10.0.0.1', '::', '::2', 'localhost', '8.8.8.8'])('treats %s as not loopback', (address) => {
    expect(isLoopbackAddress(address)).toBe(false);
  });
});

describe('callbackUrlProblem', () => {
  it.each([
    'https://example.com/hooks/manga',
    'https://hooks.example.com:8443/manga?tenant=t1',
    'https://example.com:443/',
    'https://example.com:1024/',
    'https://example.com:65535/',
    'https://8.8.8.8/hook',
    'https://[2606:4700:4700::1111]/hook',
    'https://example.com./hook',
  ])('accepts %s when deployed', (url) => {
    expect(callbackUrlProblem(url, deployed)).toBeUndefined();
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data', 'must use https'],
    ['https://169.254.169.254/latest/meta-data', 'not a public address'],
    ['https://10.0.0.1/', 'not a public address'],
    ['https://127.1/', 'not a public address'],
    ['https://0x7f000001/', 'not a public address'],
    ['https://[::1]/', 'not a public address'],
    ['https://[::ffff:127.0.0.1]/', 'not a public address'],
    ['https://[fd00::1]/', 'not a public address'],
    ['https://user:pw@example.com/', 'credentials'],
    ['https://user@example.com/', 'credentials'],
    ['https://localhost/', 'internal name'],
    ['https://localhost./', 'internal name'],
    ['https://app.localhost/', 'internal name'],
    ['https://api.internal/', 'internal name'],
    ['https://metadata.google.internal/computeMetadata/v1/', 'internal name'],
    ['https://instance-data/latest/', 'internal name'],
    ['https://printer.local/', 'internal name'],
    ['https://router.home.arpa/', 'internal name'],
    ['http://example.com/', 'must use https'],
    ['ftp://x', 'must use https'],
    ['file:///etc/passwd', 'must use https'],
    ['not a url', 'not a URL'],
    ['https://[fe80::1%25eth0]/', 'not a URL'],
    ['https://example.com:22/', 'port 22'],
    ['https://example.com:25/', 'port 25'],
    ['https://example.com:80/', 'port 80'],
    ['https://example.com:0/', 'port 0'],
    ['https://example.com:6379/', 'port 6379'],
    ['https://example.com:5432/', 'port 5432'],
  ])('refuses %s when deployed (%s)', (url, problem) => {
    expect(callbackUrlProblem(url, deployed)).toContain(problem);
  });

  it.each([
    'http://localhost:3000/callbacks',
    'http://127.0.0.1:8080/callbacks',
    'http://[::1]:8080/callbacks',
    'https://localhost/callbacks',
  ])('accepts %s only with the loopback allowance', (url) => {
    expect(callbackUrlProblem(url, dev)).toBeUndefined();
    expect(callbackUrlProblem(url, deployed)).toBeDefined();
  });

  it.each([
    ['http://10.0.0.1/', 'must use https'],
    ['http://127.0.0.2/', 'must use https'],
    ['https://10.0.0.1/', 'not a public address'],
    ['http://user:pw@localhost:3000/', 'credentials'],
    ['http://example.com/', 'must use https'],
  ])('still refuses %s with the loopback allowance (%s)', (url, problem) => {
    expect(callbackUrlProblem(url, dev)).toContain(problem);
  });

  it('refuses a URL longer than 2048 characters', () => {
    const url = `https://example.com/${'a'.repeat(2048)}`;

    expect(callbackUrlProblem(url, deployed)).toBe('longer than 2048 characters');
  });

  it('accepts a URL of exactly 2048 characters', () => {
    const base = 'https://example.com/';
    const url = `${base}${'a'.repeat(2048 - base.length)}`;

    expect(url).toHaveLength(2048);
    expect(callbackUrlProblem(url, deployed)).toBeUndefined();
  });
});

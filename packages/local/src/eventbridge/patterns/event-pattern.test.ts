import { describe, expect, it } from 'vitest';
import { compileEventPattern, type EventPattern, matchesEventPattern } from './event-pattern.js';

/**
 * Cases from the Amazon EventBridge user guide (each group names its page) and, where the guide
 * is silent, from the Event Ruler README (the library behind EventBridge).
 */
interface MatchCase {
  readonly behaviour: string;
  readonly pattern: EventPattern;
  readonly event: Record<string, unknown>;
  readonly matches: boolean;
}

/** An event with EventBridge's envelope, from the guide's EC2 example. */
function ec2Event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': 'EC2 Instance State-change Notification',
    source: 'aws.ec2',
    account: '111122223333',
    time: '2017-12-22T18:43:48Z',
    region: 'us-west-1',
    resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
    detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
    ...overrides,
  };
}

/** An event whose `detail` is `detail`. */
function withDetail(detail: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  return ec2Event({ detail, ...overrides });
}

/** The Event Ruler README's sample event. */
function rulerEvent(detail: Record<string, unknown> = {}): Record<string, unknown> {
  return ec2Event({
    id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
    time: '2017-10-02T16:24:49Z',
    region: 'us-east-1',
    resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
    detail: {
      'c-count': 5,
      'd-count': 3,
      'x-limit': 301.8,
      'source-ip': '10.0.0.33',
      'instance-id': 'i-000000aaaaaa00000',
      state: 'running',
      ...detail,
    },
  });
}

function runCases(cases: readonly MatchCase[]): void {
  it.each(cases)('$behaviour', ({ pattern, event, matches }) => {
    expect(matchesEventPattern(pattern, event)).toBe(matches);
  });
}

const ec2Termination: EventPattern = {
  source: ['aws.ec2'],
  'detail-type': ['EC2 Instance State-change Notification'],
  detail: { state: ['terminated'] },
};

// "Creating Amazon EventBridge event patterns"
describe('event patterns: fields, nesting and values', () => {
  runCases([
    {
      behaviour: 'matches the EC2 instance-termination event with the termination pattern',
      pattern: ec2Termination,
      event: ec2Event(),
      matches: true,
    },
    {
      behaviour: 'does not match an EC2 event whose state differs',
      pattern: ec2Termination,
      event: withDetail({ state: 'running' }),
      matches: false,
    },
    {
      behaviour: 'ignores every event field the pattern does not name',
      pattern: { detail: { state: ['terminated'] } },
      event: ec2Event({ extra: { anything: [1, 2, 3] } }),
      matches: true,
    },
    {
      behaviour: 'requires every field the pattern names to be in the event',
      pattern: ec2Termination,
      event: withDetail({ 'instance-id': 'i-1' }),
      matches: false,
    },
    {
      behaviour: 'requires the same nesting as the pattern',
      pattern: { detail: { state: ['terminated'] } },
      event: ec2Event({ state: 'terminated', detail: {} }),
      matches: false,
    },
    {
      behaviour: 'compares strings character by character without case folding',
      pattern: ec2Termination,
      event: withDetail({ state: 'Terminated' }),
      matches: false,
    },
    {
      behaviour: 'matches any of the values in a list (aws.fargate of aws.ec2 or aws.fargate)',
      pattern: { source: ['aws.ec2', 'aws.fargate'] },
      event: ec2Event({ source: 'aws.fargate' }),
      matches: true,
    },
    {
      behaviour: 'matches none of the values in a list when the source is another',
      pattern: { source: ['aws.ec2', 'aws.fargate'] },
      event: ec2Event({ source: 'aws.s3' }),
      matches: false,
    },
    {
      behaviour: 'matches the Auto Scaling event on its null responseElements',
      pattern: {
        source: ['aws.autoscaling'],
        'detail-type': ['EC2 Instance Launch Successful'],
        detail: { responseElements: [null] },
      },
      event: ec2Event({
        source: 'aws.autoscaling',
        'detail-type': 'EC2 Instance Launch Successful',
        resources: [],
        detail: { eventVersion: '', responseElements: null },
      }),
      matches: true,
    },
    {
      behaviour: 'matches the Macie alert with risk score 80 and trigger risk 8',
      pattern: {
        source: ['aws.macie'],
        'detail-type': ['Macie Alert'],
        detail: { 'risk-score': [80], trigger: { risk: [8] } },
      },
      event: ec2Event({
        source: 'aws.macie',
        'detail-type': 'Macie Alert',
        detail: {
          'notification-type': 'ALERT_CREATED',
          'risk-score': 80,
          trigger: { 'alert-type': 'basic', risk: 8 },
        },
      }),
      matches: true,
    },
    {
      behaviour: 'does not match the Macie alert when the nested trigger risk differs',
      pattern: { detail: { 'risk-score': [80], trigger: { risk: [8] } } },
      event: withDetail({ 'risk-score': 80, trigger: { risk: 7 } }),
      matches: false,
    },
    {
      behaviour: 'matches a number by value (300 matches 3.0e2)',
      pattern: { detail: { 'x-limit': [300] } },
      event: JSON.parse('{"detail":{"x-limit":3.0e2}}'),
      matches: true,
    },
    {
      behaviour: 'does not match a number against the same digits in a string',
      pattern: { detail: { 'x-limit': [300] } },
      event: withDetail({ 'x-limit': '300' }),
      matches: false,
    },
    {
      behaviour: 'does not match a string against the same digits as a number',
      pattern: { detail: { 'x-limit': ['300'] } },
      event: withDetail({ 'x-limit': 300 }),
      matches: false,
    },
    {
      behaviour: 'matches a boolean only against the same boolean',
      pattern: { detail: { enabled: [true] } },
      event: withDetail({ enabled: 'true' }),
      matches: false,
    },
    {
      behaviour: 'matches numbers beyond ±5.0e9 by equality (an account number)',
      pattern: { detail: { account: [123456789012] } },
      event: withDetail({ account: 123456789012 }),
      matches: true,
    },
  ]);
});

// "Matching null values and empty strings in Amazon EventBridge event patterns"
describe('event patterns: null values and empty strings', () => {
  const autoScalingDetail = { eventVersion: '', responseElements: null };
  runCases([
    {
      behaviour: 'matches an empty string with [""]',
      pattern: { detail: { eventVersion: [''] } },
      event: withDetail(autoScalingDetail),
      matches: true,
    },
    {
      behaviour: 'matches null with [null]',
      pattern: { detail: { responseElements: [null] } },
      event: withDetail(autoScalingDetail),
      matches: true,
    },
    {
      behaviour: 'does not match null with [""]',
      pattern: { detail: { responseElements: [''] } },
      event: withDetail(autoScalingDetail),
      matches: false,
    },
    {
      behaviour: 'does not match an empty string with [null]',
      pattern: { detail: { eventVersion: [null] } },
      event: withDetail(autoScalingDetail),
      matches: false,
    },
    {
      behaviour: 'does not match a missing field with [null]',
      pattern: { detail: { missing: [null] } },
      event: withDetail(autoScalingDetail),
      matches: false,
    },
  ]);
});

// "Arrays in Amazon EventBridge event patterns", and the Event Ruler README ("JSON Array Matching")
describe('event patterns: arrays', () => {
  const resourcesPattern: EventPattern = {
    resources: [
      'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
    ],
  };
  const employees = {
    employees: [
      { firstName: 'John', lastName: 'Doe' },
      { firstName: 'Anna', lastName: 'Smith' },
      { firstName: 'Peter', lastName: 'Jones' },
    ],
  };
  runCases([
    {
      behaviour: 'matches when the pattern list and the event array intersect',
      pattern: resourcesPattern,
      event: ec2Event({
        resources: [
          'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
          'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        ],
      }),
      matches: true,
    },
    {
      behaviour: 'does not match when the pattern list and the event array are disjoint',
      pattern: resourcesPattern,
      event: ec2Event({ resources: ['arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f'] }),
      matches: false,
    },
    {
      behaviour: 'does not match an empty event array',
      pattern: resourcesPattern,
      event: ec2Event({ resources: [] }),
      matches: false,
    },
    {
      behaviour: 'matches a field inside objects of an array as if the array were not there',
      pattern: { employees: { firstName: ['Anna'] } },
      event: employees,
      matches: true,
    },
    {
      behaviour: 'matches two fields met by the same element of an array',
      pattern: { employees: { firstName: ['Anna'], lastName: ['Smith'] } },
      event: employees,
      matches: true,
    },
    {
      behaviour: 'does not combine fields from different elements of the same array',
      pattern: { employees: { firstName: ['Anna'], lastName: ['Jones'] } },
      event: employees,
      matches: false,
    },
    {
      behaviour: 'matches through arrays nested in arrays',
      pattern: { employees: { firstName: ['Peter'] } },
      event: {
        employees: [
          [
            { firstName: 'John', lastName: 'Doe' },
            { firstName: 'Anna', lastName: 'Smith' },
          ],
          [{ firstName: 'Peter', lastName: 'Jones' }],
        ],
      },
      matches: true,
    },
    {
      behaviour: 'matches an array of numbers by value',
      pattern: { detail: { codes: [2.0] } },
      event: withDetail({ codes: [1, 2, 3] }),
      matches: true,
    },
  ]);
});

// "Comparison operators for use in event patterns in Amazon EventBridge": prefix and suffix
describe('event patterns: prefix and suffix matching', () => {
  runCases([
    {
      behaviour: 'matches a time that begins with the prefix 2017-10-02',
      pattern: { time: [{ prefix: '2017-10-02' }] },
      event: ec2Event({ time: '2017-10-02T18:43:48Z' }),
      matches: true,
    },
    {
      behaviour: 'does not match a time on another day with the prefix 2017-10-02',
      pattern: { time: [{ prefix: '2017-10-02' }] },
      event: ec2Event({ time: '2017-10-03T18:43:48Z' }),
      matches: false,
    },
    {
      behaviour: 'matches a region in the US with the prefix us-',
      pattern: { region: [{ prefix: 'us-' }] },
      event: ec2Event({ region: 'us-east-1' }),
      matches: true,
    },
    {
      behaviour: 'does not match a value that holds the prefix mid-string (us-east-1 inside an ARN)',
      pattern: { resources: [{ prefix: 'us-east-1' }] },
      event: ec2Event({ resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-1234567890abcdef0'] }),
      matches: false,
    },
    {
      behaviour: 'applies prefix matching to strings only',
      pattern: { detail: { code: [{ prefix: '12' }] } },
      event: withDetail({ code: 123 }),
      matches: false,
    },
    {
      behaviour: 'matches a prefix regardless of case with equals-ignore-case (EventB matches eventbridge)',
      pattern: { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
      event: withDetail({ service: 'eventbridge' }),
      matches: true,
    },
    {
      behaviour: 'matches an upper-case value with a case-insensitive prefix',
      pattern: { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
      event: withDetail({ service: 'EVENTBRIDGE' }),
      matches: true,
    },
    {
      behaviour: 'does not match another service with a case-insensitive prefix',
      pattern: { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
      event: withDetail({ service: 'Lambda' }),
      matches: false,
    },
    {
      behaviour: 'matches a FileName ending with .png',
      pattern: { FileName: [{ suffix: '.png' }] },
      event: { FileName: 'cover.png' },
      matches: true,
    },
    {
      behaviour: 'does not match .PNG with a case-sensitive suffix',
      pattern: { FileName: [{ suffix: '.png' }] },
      event: { FileName: 'cover.PNG' },
      matches: false,
    },
    {
      behaviour: 'does not match a FileName that holds the suffix mid-string (cover.png.zip)',
      pattern: { FileName: [{ suffix: '.png' }] },
      event: { FileName: 'cover.png.zip' },
      matches: false,
    },
    {
      behaviour: 'matches .PNG with a case-insensitive suffix',
      pattern: { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
      event: withDetail({ FileName: 'cover.PNG' }),
      matches: true,
    },
    {
      behaviour: 'matches a service ending with tbridge in any case',
      pattern: { service: [{ suffix: { 'equals-ignore-case': 'tbridge' } }] },
      event: { service: 'EVENTBRIDGE' },
      matches: true,
    },
  ]);
});

// "Comparison operators for use in event patterns in Amazon EventBridge": anything-but
describe('event patterns: anything-but matching', () => {
  runCases([
    {
      behaviour: 'matches a state other than initializing',
      pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } },
      event: withDetail({ state: 'running' }),
      matches: true,
    },
    {
      behaviour: 'does not match the state initializing',
      pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } },
      event: withDetail({ state: 'initializing' }),
      matches: false,
    },
    {
      behaviour: 'does not match a missing field with anything-but',
      pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } },
      event: withDetail({}),
      matches: false,
    },
    {
      behaviour: 'matches an x-limit other than 123',
      pattern: { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
      event: withDetail({ 'x-limit': 456 }),
      matches: true,
    },
    {
      behaviour: 'does not match an x-limit of 123.0 with anything-but 123',
      pattern: { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
      event: JSON.parse('{"detail":{"x-limit":123.0}}'),
      matches: false,
    },
    {
      behaviour: 'matches a state outside the list stopped, overloaded',
      pattern: { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
      event: withDetail({ state: 'running' }),
      matches: true,
    },
    {
      behaviour: 'does not match a state in the list stopped, overloaded',
      pattern: { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
      event: withDetail({ state: 'overloaded' }),
      matches: false,
    },
    {
      behaviour: 'matches an x-limit outside the list 100, 200, 300',
      pattern: { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
      event: rulerEvent(),
      matches: true,
    },
    {
      behaviour: 'does not match an x-limit in the list 100, 200, 300',
      pattern: { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
      event: withDetail({ 'x-limit': 200 }),
      matches: false,
    },
    {
      behaviour: 'matches a state that does not begin with init',
      pattern: { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
      event: withDetail({ state: 'running' }),
      matches: true,
    },
    {
      behaviour: 'does not match a state that begins with init',
      pattern: { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
      event: withDetail({ state: 'initializing' }),
      matches: false,
    },
    {
      behaviour: 'matches a region outside the US with anything-but prefix us-',
      pattern: { Region: [{ 'anything-but': { prefix: 'us-' } }] },
      event: { Region: 'ap-northeast-1' },
      matches: true,
    },
    {
      behaviour: 'matches a FileName that does not end with .png',
      pattern: { FileName: [{ 'anything-but': { suffix: '.png' } }] },
      event: { FileName: 'notes.txt' },
      matches: true,
    },
    {
      behaviour: 'does not match a FileName that ends with .png',
      pattern: { FileName: [{ 'anything-but': { suffix: '.png' } }] },
      event: { FileName: 'cover.png' },
      matches: false,
    },
    {
      behaviour: 'does not match INITIALIZING with anything-but equals-ignore-case initializing',
      pattern: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] },
      event: { state: 'INITIALIZING' },
      matches: false,
    },
    {
      behaviour: 'matches running with anything-but equals-ignore-case initializing',
      pattern: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] },
      event: { state: 'running' },
      matches: true,
    },
    {
      behaviour: 'does not match STOPPED with anything-but equals-ignore-case Stopped, OverLoaded',
      pattern: {
        detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OverLoaded'] } }] },
      },
      event: withDetail({ state: 'STOPPED' }),
      matches: false,
    },
    {
      behaviour: 'does not match a file path that includes /lib/ with anything-but wildcard */lib/*',
      pattern: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] },
      event: { FilePath: '/usr/lib/libssl.so' },
      matches: false,
    },
    {
      behaviour: 'matches a file path without /lib/ with anything-but wildcard */lib/*',
      pattern: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] },
      event: { FilePath: '/usr/bin/ssh' },
      matches: true,
    },
    {
      behaviour: 'does not match a path in either directory of an anything-but wildcard list',
      pattern: { FilePath: [{ 'anything-but': { wildcard: ['*/lib/*', '*/bin/*'] } }] },
      event: { FilePath: '/usr/bin/ssh' },
      matches: false,
    },
    {
      behaviour: 'matches an event array with any element outside the anything-but list',
      pattern: { detail: { state: [{ 'anything-but': 'stopped' }] } },
      event: withDetail({ state: ['stopped', 'running'] }),
      matches: true,
    },
    {
      behaviour: 'does not match an event array whose every element is excluded',
      pattern: { detail: { state: [{ 'anything-but': 'stopped' }] } },
      event: withDetail({ state: ['stopped', 'stopped'] }),
      matches: false,
    },
    {
      behaviour: 'matches a number with a string anything-but (a value of another type is never excluded)',
      pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } },
      event: withDetail({ state: 5 }),
      matches: true,
    },
    {
      behaviour: 'matches a numeric string with a numeric anything-but',
      pattern: { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
      event: withDetail({ 'x-limit': '123' }),
      matches: true,
    },
    {
      behaviour: 'matches Weather other than Raining (the operator table’s Not)',
      pattern: { Weather: [{ 'anything-but': ['Raining'] }] },
      event: { Weather: 'Sunny' },
      matches: true,
    },
  ]);
});

// "Comparison operators for use in event patterns in Amazon EventBridge": numeric
describe('event patterns: numeric matching', () => {
  const numericPattern: EventPattern = {
    detail: {
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ numeric: ['=', 3.018e2] }],
    },
  };
  runCases([
    {
      behaviour: 'matches when every numeric condition holds (c-count 5, d-count 3, x-limit 301.8)',
      pattern: numericPattern,
      event: rulerEvent(),
      matches: true,
    },
    {
      behaviour: 'does not match a c-count of 0 with > 0',
      pattern: numericPattern,
      event: rulerEvent({ 'c-count': 0 }),
      matches: false,
    },
    {
      behaviour: 'does not match a c-count of 6 with <= 5',
      pattern: numericPattern,
      event: rulerEvent({ 'c-count': 6 }),
      matches: false,
    },
    {
      behaviour: 'does not match a d-count of 10 with < 10',
      pattern: numericPattern,
      event: rulerEvent({ 'd-count': 10 }),
      matches: false,
    },
    {
      behaviour: 'does not match a numeric string with a numeric condition',
      pattern: { detail: { 'c-count': [{ numeric: ['>', 0] }] } },
      event: withDetail({ 'c-count': '5' }),
      matches: false,
    },
    {
      behaviour: 'matches a Price of 20 with > 10, <= 20',
      pattern: { Price: [{ numeric: ['>', 10, '<=', 20] }] },
      event: { Price: 20 },
      matches: true,
    },
    {
      behaviour: 'does not match a Price of 10 with > 10, <= 20',
      pattern: { Price: [{ numeric: ['>', 10, '<=', 20] }] },
      event: { Price: 10 },
      matches: false,
    },
    {
      behaviour: 'matches a Price of 10 with >= 10, < 20',
      pattern: { Price: [{ numeric: ['>=', 10, '<', 20] }] },
      event: { Price: 10 },
      matches: true,
    },
    {
      behaviour: 'matches a Price of 100 with = 100 written as 1.0e2',
      pattern: { Price: [{ numeric: ['=', 100] }] },
      event: JSON.parse('{"Price":1.0e2}'),
      matches: true,
    },
    {
      behaviour: 'matches negative numbers with < 0',
      pattern: { detail: { balance: [{ numeric: ['<', 0] }] } },
      event: withDetail({ balance: -0.5 }),
      matches: true,
    },
    {
      behaviour: 'compares to six digits right of the decimal point',
      pattern: { detail: { ratio: [{ numeric: ['=', 0.1234561] }] } },
      event: withDetail({ ratio: 0.1234569 }),
      matches: true,
    },
    {
      behaviour: 'does not match a number beyond 5.0e9 with a numeric condition',
      pattern: { detail: { size: [{ numeric: ['>', 0] }] } },
      event: withDetail({ size: 6e9 }),
      matches: false,
    },
  ]);
});

// "Comparison operators for use in event patterns in Amazon EventBridge": IP address matching
describe('event patterns: IP address matching', () => {
  runCases([
    {
      behaviour: 'matches 10.0.0.255 with cidr 10.0.0.0/24',
      pattern: { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
      event: withDetail({ sourceIPAddress: '10.0.0.255' }),
      matches: true,
    },
    {
      behaviour: 'does not match 10.0.1.0 with cidr 10.0.0.0/24',
      pattern: { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
      event: withDetail({ sourceIPAddress: '10.0.1.0' }),
      matches: false,
    },
    {
      behaviour: 'matches the README source-ip 10.0.0.33 with cidr 10.0.0.0/8',
      pattern: { detail: { 'source-ip': [{ cidr: '10.0.0.0/8' }] } },
      event: rulerEvent(),
      matches: true,
    },
    {
      behaviour: 'matches an IPv6 address inside an IPv6 range',
      pattern: { detail: { sourceIPAddress: [{ cidr: '2001:db8::/32' }] } },
      event: withDetail({ sourceIPAddress: '2001:DB8:1::1' }),
      matches: true,
    },
    {
      behaviour: 'does not match an IPv6 address outside an IPv6 range',
      pattern: { detail: { sourceIPAddress: [{ cidr: '2001:db8::/32' }] } },
      event: withDetail({ sourceIPAddress: '2001:db9::1' }),
      matches: false,
    },
    {
      behaviour: 'does not match an IPv6 address with an IPv4 range',
      pattern: { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/8' }] } },
      event: withDetail({ sourceIPAddress: '::1' }),
      matches: false,
    },
    {
      behaviour: 'does not match text that is not an address with cidr',
      pattern: { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/8' }] } },
      event: withDetail({ sourceIPAddress: 'ec2.amazonaws.com' }),
      matches: false,
    },
    {
      behaviour: 'matches an IP address value however the event writes it',
      pattern: { detail: { sourceIPAddress: ['2001:db8::1'] } },
      event: withDetail({ sourceIPAddress: '2001:0DB8:0:0:0:0:0:1' }),
      matches: true,
    },
  ]);
});

// "Comparison operators for use in event patterns in Amazon EventBridge": exists
describe('event patterns: exists matching', () => {
  const absent: EventPattern = { detail: { 'c-count': [{ exists: false }] } };
  const present: EventPattern = { detail: { 'c-count': [{ exists: true }] } };
  runCases([
    {
      behaviour: 'matches an event without detail.c-count with exists false',
      pattern: absent,
      event: withDetail({ state: ['initializing', 'running'] }),
      matches: true,
    },
    {
      behaviour: 'matches a c-count holding an object with exists false (not a leaf)',
      pattern: absent,
      event: withDetail({ state: ['initializing', 'running'], 'c-count': { c1: 100 } }),
      matches: true,
    },
    {
      behaviour: 'does not match a c-count holding a number with exists false',
      pattern: absent,
      event: rulerEvent(),
      matches: false,
    },
    {
      behaviour: 'matches a c-count holding a number with exists true',
      pattern: present,
      event: rulerEvent(),
      matches: true,
    },
    {
      behaviour: 'does not match a missing c-count with exists true',
      pattern: present,
      event: withDetail({}),
      matches: false,
    },
    {
      behaviour: 'matches a null c-count with exists true (null is a value)',
      pattern: present,
      event: withDetail({ 'c-count': null }),
      matches: true,
    },
    {
      behaviour: 'does not match a null c-count with exists false',
      pattern: absent,
      event: withDetail({ 'c-count': null }),
      matches: false,
    },
    {
      behaviour: 'does not match an empty array with exists true (no leaf)',
      pattern: present,
      event: withDetail({ 'c-count': [] }),
      matches: false,
    },
    {
      behaviour: 'does not match exists false when any element of an array holds the field',
      pattern: { detail: { items: { id: [{ exists: false }] } } },
      event: withDetail({ items: [{ id: 1 }, { name: 'no id' }] }),
      matches: false,
    },
    {
      behaviour: 'matches a ProductName that exists',
      pattern: { ProductName: [{ exists: true }] },
      event: { ProductName: 'ワンピース 107' },
      matches: true,
    },
    {
      behaviour: 'matches absence or a listed value when both are allowed',
      pattern: { detail: { tier: [{ exists: false }, 'gold'] } },
      event: withDetail({}),
      matches: true,
    },
  ]);
});

// "Comparison operators for use in event patterns in Amazon EventBridge": equals-ignore-case,
// empty, equals
describe('event patterns: equals, empty and equals-ignore-case', () => {
  runCases([
    {
      behaviour: 'matches Alice with equals-ignore-case alice',
      pattern: { Name: [{ 'equals-ignore-case': 'alice' }] },
      event: { Name: 'Alice' },
      matches: true,
    },
    {
      behaviour: 'does not match Alicia with equals-ignore-case alice',
      pattern: { Name: [{ 'equals-ignore-case': 'alice' }] },
      event: { Name: 'Alicia' },
      matches: false,
    },
    {
      behaviour: 'matches full-width Latin letters ignoring case',
      pattern: { Name: [{ 'equals-ignore-case': 'ａｌｉｃｅ' }] },
      event: { Name: 'ＡＬＩＣＥ' },
      matches: true,
    },
    {
      behaviour: 'matches an empty LastName with [""]',
      pattern: { LastName: [''] },
      event: { LastName: '' },
      matches: true,
    },
    {
      behaviour: 'matches Name Alice exactly',
      pattern: { Name: ['Alice'] },
      event: { Name: 'Alice' },
      matches: true,
    },
    {
      behaviour: 'matches Japanese text exactly',
      pattern: { detail: { genre: ['少年漫画'] } },
      event: withDetail({ genre: '少年漫画' }),
      matches: true,
    },
    {
      behaviour: 'matches PaymentType Credit or Debit (the operator table’s Or)',
      pattern: { PaymentType: ['Credit', 'Debit'] },
      event: { PaymentType: 'Debit' },
      matches: true,
    },
  ]);
});

// "Comparison operators for use in event patterns in Amazon EventBridge": wildcard
describe('event patterns: wildcard matching', () => {
  runCases([
    {
      behaviour: 'matches a .png file in dir with wildcard dir/*.png',
      pattern: { FileName: [{ wildcard: 'dir/*.png' }] },
      event: { FileName: 'dir/cover.png' },
      matches: true,
    },
    {
      behaviour: 'lets a wildcard span slashes',
      pattern: { FileName: [{ wildcard: 'dir/*.png' }] },
      event: { FileName: 'dir/2026/cover.png' },
      matches: true,
    },
    {
      behaviour: 'does not match a .png file in another directory with wildcard dir/*.png',
      pattern: { FileName: [{ wildcard: 'dir/*.png' }] },
      event: { FileName: 'other/cover.png' },
      matches: false,
    },
    {
      behaviour: 'matches an event bus ARN in any account with a wildcard ARN',
      pattern: { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] },
      event: { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/mangaassist' },
      matches: true,
    },
    {
      behaviour: 'matches a value containing Title with wildcard *Title*',
      pattern: { detail: { name: [{ wildcard: '*Title*' }] } },
      event: withDetail({ name: 'NewTitleUpload' }),
      matches: true,
    },
    {
      behaviour: 'lets a wildcard match no characters',
      pattern: { detail: { name: [{ wildcard: '*Title*' }] } },
      event: withDetail({ name: 'Title' }),
      matches: true,
    },
    {
      behaviour: 'matches a literal asterisk escaped with a backslash',
      pattern: { detail: { name: [{ wildcard: 'a\\*b' }] } },
      event: withDetail({ name: 'a*b' }),
      matches: true,
    },
    {
      behaviour: 'does not treat an escaped asterisk as a wildcard',
      pattern: { detail: { name: [{ wildcard: 'a\\*b' }] } },
      event: withDetail({ name: 'axb' }),
      matches: false,
    },
    {
      behaviour: 'applies wildcard matching to strings only',
      pattern: { detail: { code: [{ wildcard: '*' }] } },
      event: withDetail({ code: 7 }),
      matches: false,
    },
  ]);
});

// "Comparison operators for use in event patterns in Amazon EventBridge": $or, and the Event
// Ruler README ("The $or Primitive")
describe('event patterns: $or matching', () => {
  const metricOrNamespace: EventPattern = {
    source: ['aws.cloudwatch'],
    $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
  };
  const nested: EventPattern = {
    source: ['aws.cloudwatch'],
    $or: [
      { metricName: ['CPUUtilization', 'ReadLatency'] },
      {
        metricType: ['MetricType'],
        namespace: ['AWS/EC2', 'AWS/ES'],
        $or: [{ metricId: [1234] }, { spaceId: [1000] }],
      },
      { scope: ['Service'] },
    ],
  };
  runCases([
    {
      behaviour: 'matches source and the second alternative of $or',
      pattern: metricOrNamespace,
      event: { source: 'aws.cloudwatch', namespace: 'AWS/EC2' },
      matches: true,
    },
    {
      behaviour: 'does not match when no alternative of $or holds',
      pattern: metricOrNamespace,
      event: { source: 'aws.cloudwatch', namespace: 'AWS/Lambda', metricName: 'Errors' },
      matches: false,
    },
    {
      behaviour: 'does not match an alternative of $or when a field outside it fails',
      pattern: metricOrNamespace,
      event: { source: 'aws.ec2', metricName: 'CPUUtilization' },
      matches: false,
    },
    {
      behaviour: 'matches Location New York or Day Monday on the day alone',
      pattern: { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] },
      event: { Location: 'Tokyo', Day: 'Monday' },
      matches: true,
    },
    {
      behaviour: 'matches $or inside detail on one numeric alternative',
      pattern: {
        detail: {
          $or: [
            { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
            { 'd-count': [{ numeric: ['<', 10] }] },
            { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
          ],
        },
      },
      event: withDetail({ 'c-count': 50, 'd-count': 50, 'x-limit': 301.8 }),
      matches: true,
    },
    {
      behaviour: 'matches a nested $or through its inner alternative',
      pattern: nested,
      event: { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/ES', spaceId: 1000 },
      matches: true,
    },
    {
      behaviour: 'does not match a nested $or when its inner alternatives both fail',
      pattern: nested,
      event: { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/ES', spaceId: 1 },
      matches: false,
    },
    {
      behaviour: 'matches parallel $or at two levels when each holds',
      pattern: {
        $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }],
        detail: {
          $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }],
        },
      },
      event: { namespace: 'AWS/EC2', detail: { 'detail-type': 'CloudWatch Alarm State Change' } },
      matches: true,
    },
  ]);
});

// "Content filtering in Amazon EventBridge event patterns": complex example
describe('event patterns: combined operators', () => {
  const complex: EventPattern = {
    time: [{ prefix: '2017-10-02' }],
    detail: {
      state: [{ 'anything-but': 'initializing' }],
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ 'anything-but': [100, 200, 300] }],
      'source-ip': [{ cidr: '10.0.0.0/8' }],
    },
  };
  runCases([
    {
      behaviour: 'matches the complex example when every operator holds',
      pattern: complex,
      event: rulerEvent(),
      matches: true,
    },
    {
      behaviour: 'does not match the complex example on another day',
      pattern: complex,
      event: { ...rulerEvent(), time: '2017-10-03T16:24:49Z' },
      matches: false,
    },
    {
      behaviour: 'does not match the complex example while initializing',
      pattern: complex,
      event: rulerEvent({ state: 'initializing' }),
      matches: false,
    },
  ]);
});

describe('compileEventPattern', () => {
  it('compiles a pattern once and matches many events with it', () => {
    const matches = compileEventPattern(ec2Termination);
    expect([ec2Event(), withDetail({ state: 'running' })].map(matches)).toEqual([true, false]);
  });

  it('never throws for events that are not objects', () => {
    const matches = compileEventPattern({ detail: { state: [{ exists: false }] } });
    expect([null, 'text', 7, [1, 2]].map(matches)).toEqual([true, true, true, true]);
  });

  it('treats a dotted key like the nested keys it spells, as Event Ruler does', () => {
    const matches = compileEventPattern({ detail: { state: { status: ['running'] } } });
    expect(matches({ detail: { 'state.status': 'running' } })).toBe(true);
  });
});

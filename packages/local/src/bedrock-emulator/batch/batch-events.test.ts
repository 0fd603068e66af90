import { describe, expect, it } from 'vitest';
import { eventCreationTime, modelArnOf } from './batch-events.js';

describe('eventCreationTime', () => {
  it('writes the time as Bedrock’s event does, in UTC with a 12-hour clock', () => {
    expect(eventCreationTime(new Date('2024-08-28T22:47:53Z'))).toBe('Aug 28, 2024, 10:47:53 PM');
    expect(eventCreationTime(new Date('2025-01-05T00:04:09Z'))).toBe('Jan 5, 2025, 12:04:09 AM');
    expect(eventCreationTime(new Date('2025-12-31T12:00:00Z'))).toBe('Dec 31, 2025, 12:00:00 PM');
  });
});

describe('modelArnOf', () => {
  it('names a foundation model, an inference profile, or keeps an ARN', () => {
    expect(modelArnOf('anthropic.claude-haiku-4-5-20251001-v1:0', 'us-east-1', '123456789012')).toBe(
      'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0',
    );
    expect(modelArnOf('jp.anthropic.claude-haiku-4-5-20251001-v1:0', 'ap-northeast-1', '123456789012')).toBe(
      'arn:aws:bedrock:ap-northeast-1:123456789012:inference-profile/jp.anthropic.claude-haiku-4-5-20251001-v1:0',
    );
    expect(modelArnOf('arn:aws:bedrock:us-east-1::foundation-model/x.y', 'eu-west-1', '1')).toBe(
      'arn:aws:bedrock:us-east-1::foundation-model/x.y',
    );
  });
});

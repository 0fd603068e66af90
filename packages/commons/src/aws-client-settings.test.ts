import { describe, expect, it } from 'vitest';
import { awsClientOptions } from './aws-client-settings.js';

describe('awsClientOptions', () => {
  it('passes only what is set, so the SDK chains apply to the rest', () => {
    expect(awsClientOptions(undefined)).toEqual({});
    expect(awsClientOptions(undefined, { region: 'us-east-1' })).toEqual({ region: 'us-east-1' });
  });

  it('gives a local endpoint its region and static credentials', () => {
    const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    expect(awsClientOptions('http://127.0.0.1:8000', { region: 'ap-northeast-1', credentials })).toEqual({
      endpoint: 'http://127.0.0.1:8000',
      region: 'ap-northeast-1',
      credentials,
    });
  });
});

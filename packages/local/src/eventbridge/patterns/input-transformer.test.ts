import { eventRules } from '@mangaassist/contracts';
import { describe, expect, it } from 'vitest';
import {
  applyInputTransformer,
  type InputTransformer,
  type InputTransformerContext,
  InvalidInputTransformerError,
  validateInputTransformer,
} from './input-transformer.js';

/** The EC2 event of "Amazon EventBridge input transformation". */
function ec2Event(detail: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '0',
    id: '7bf73129-1428-4cd3-a780-95db273d1602',
    'detail-type': 'EC2 Instance State-change Notification',
    source: 'aws.ec2',
    account: '123456789012',
    time: '2015-11-11T21:29:54Z',
    region: 'us-east-1',
    resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
    detail: { 'instance-id': 'i-0123456789', state: 'RUNNING', ...detail },
  };
}

/** A MangaAssist catalog update, as the catalog webhook puts it on the bus. */
function catalogUpdate(detail: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '0',
    id: 'b1c2d3e4-0000-4000-8000-000000000001',
    'detail-type': 'CatalogUpdate.ProductChanged',
    source: 'mangaassist.catalog',
    account: '123456789012',
    time: '2026-01-31T09:00:00Z',
    region: 'ap-northeast-1',
    resources: [],
    detail: { product_id: 'P-000107', title: 'ワンピース 第107巻', processing_stage: 'raw', ...detail },
  };
}

function context(overrides: Partial<InputTransformerContext> = {}): InputTransformerContext {
  return {
    ruleName: 'example',
    ruleArn: 'arn:aws:events:us-east-2:123456789012:rule/example',
    ingestionTime: new Date('2026-01-31T09:00:01.250Z'),
    ...overrides,
  };
}

/** The guide's variables over the EC2 event. */
function ec2Transformer(inputTemplate: string): InputTransformer {
  return {
    inputPathsMap: { timestamp: '$.time', instance: '$.detail.instance-id', state: '$.detail.state' },
    inputTemplate,
  };
}

function transform(transformer: InputTransformer, event: unknown = ec2Event()): string {
  return applyInputTransformer(transformer, event, context());
}

// "Amazon EventBridge input transformation": input transform examples
describe('applyInputTransformer: the guide’s examples', () => {
  it('fills a simple string template', () => {
    expect(transform(ec2Transformer('"instance <instance> is in <state>"'))).toBe(
      '"instance i-0123456789 is in RUNNING"',
    );
  });

  it('keeps escaped quotes around a variable in a string template', () => {
    expect(transform(ec2Transformer('"instance \\"<instance>\\" is in <state>"'))).toBe(
      '"instance \\"i-0123456789\\" is in RUNNING"',
    );
  });

  it('inserts variables outside quotes as JSON strings and minifies the JSON', () => {
    expect(transform(ec2Transformer('{\n  "instance" : <instance>,\n  "state": <state>\n}'))).toBe(
      '{"instance":"i-0123456789","state":"RUNNING"}',
    );
  });

  it('mixes variables as JSON values and inside strings', () => {
    const template =
      '{\n "instance" : <instance>,\n "state": "<state>",\n "instanceStatus": "instance \\"<instance>\\" is in <state>"\n}';
    expect(JSON.parse(transform(ec2Transformer(template)))).toEqual({
      instance: 'i-0123456789',
      state: 'RUNNING',
      instanceStatus: 'instance "i-0123456789" is in RUNNING',
    });
  });

  it('mixes variables with static JSON', () => {
    const template =
      '{\n  "instance" : <instance>,\n  "state": [ 9, <state>, true ],\n  "Transformed" : "Yes"\n}';
    expect(transform(ec2Transformer(template))).toBe(
      '{"instance":"i-0123456789","state":[9,"RUNNING",true],"Transformed":"Yes"}',
    );
  });

  it('fills the reserved variables in JSON, the event without its detail as aws.events.event', () => {
    const template =
      '{"instance": <instance>, "state": <state>, "ruleArn": <aws.events.rule-arn>, ' +
      '"ruleName": <aws.events.rule-name>, "originalEvent": <aws.events.event>}';
    const { detail: _detail, ...withoutDetail } = ec2Event();
    expect(JSON.parse(transform(ec2Transformer(template)))).toEqual({
      instance: 'i-0123456789',
      state: 'RUNNING',
      ruleArn: 'arn:aws:events:us-east-2:123456789012:rule/example',
      ruleName: 'example',
      originalEvent: withoutDetail,
    });
  });

  it('fills a reserved variable in a string', () => {
    expect(transform(ec2Transformer('"<aws.events.rule-name> triggered"'))).toBe('"example triggered"');
  });

  it('gives the whole event as aws.events.event.json', () => {
    expect(JSON.parse(transform(ec2Transformer('{"event": <aws.events.event.json>}')))).toEqual({
      event: ec2Event(),
    });
  });

  it('writes the ingestion time as ISO 8601 to the second', () => {
    expect(transform(ec2Transformer('{"received": <aws.events.event.ingestion-time>}'))).toBe(
      '{"received":"2026-01-31T09:00:01Z"}',
    );
  });

  it('removes the quotes of an object referenced inside a string', () => {
    const transformer = { inputPathsMap: { detail: '$.detail' }, inputTemplate: '"Detail is <detail>"' };
    expect(transform(transformer)).toBe('"Detail is {instance-id:i-0123456789,state:RUNNING}"');
  });

  it('inserts an object referenced as a JSON value as the object', () => {
    const transformer = { inputPathsMap: { detail: '$.detail' }, inputTemplate: '{"detail": <detail>}' };
    expect(JSON.parse(transform(transformer))).toEqual({ detail: ec2Event().detail });
  });
});

// The `InputTransformer` API reference's examples
describe('applyInputTransformer: text templates', () => {
  const paths = { instance: '$.detail.instance-id', status: '$.detail.state' };

  it('fills a template that is plain text', () => {
    expect(transform({ inputPathsMap: paths, inputTemplate: '<instance> is in state <status>' })).toBe(
      'i-0123456789 is in state RUNNING',
    );
  });

  it('keeps quotes written around a variable in plain text', () => {
    expect(transform({ inputPathsMap: paths, inputTemplate: '<instance> is in state "<status>"' })).toBe(
      'i-0123456789 is in state "RUNNING"',
    );
  });

  it('fills JSON with variables in quotes and out', () => {
    const inputTemplate = '{"myInstance": <instance>,"myStatus": "<instance> is in state \\"<status>\\""}';
    expect(transform({ inputPathsMap: paths, inputTemplate })).toBe(
      '{"myInstance":"i-0123456789","myStatus":"i-0123456789 is in state \\"RUNNING\\""}',
    );
  });
});

describe('applyInputTransformer: values and paths', () => {
  it('reads array elements by index and every element by wildcard', () => {
    const transformer = {
      inputPathsMap: { first: '$.resources[0]', ids: '$.detail.items[*].id', whole: '$' },
      inputTemplate: '{"first": <first>, "ids": <ids>, "source": "<first>"}',
    };
    const event = ec2Event({ items: [{ id: 'a' }, { id: 'b' }, { other: 1 }] });
    expect(JSON.parse(transform(transformer, event))).toEqual({
      first: 'arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111',
      ids: ['a', 'b'],
      source: 'arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111',
    });
  });

  it('writes numbers, booleans and null as JSON values and as text', () => {
    const transformer = {
      inputPathsMap: { count: '$.detail.count', flag: '$.detail.flag', none: '$.detail.none' },
      inputTemplate: '{"count": <count>, "flag": <flag>, "none": <none>, "text": "<count> <flag> <none>"}',
    };
    const event = ec2Event({ count: 2.5, flag: false, none: null });
    expect(transform(transformer, event)).toBe(
      '{"count":2.5,"flag":false,"none":null,"text":"2.5 false null"}',
    );
  });

  it('leaves a variable whose path leads nowhere out of text, and null as a JSON value', () => {
    const transformer = {
      inputPathsMap: { missing: '$.detail.missing' },
      inputTemplate: '{"value": <missing>, "text": "[<missing>]"}',
    };
    expect(transform(transformer)).toBe('{"value":null,"text":"[]"}');
  });

  it('keeps blanks inside strings when it minifies', () => {
    const transformer = { inputPathsMap: {}, inputTemplate: '{ "text" : "two  spaces\\tand a tab" }' };
    expect(transform(transformer)).toBe('{"text":"two  spaces\\tand a tab"}');
  });
});

// The seed's catalog transformer, and the form the MangaAssist bus uses (contracts)
describe('applyInputTransformer: the catalog regeneration input', () => {
  const seedTransformer: InputTransformer = {
    inputPathsMap: { product_id: '$.detail.product_id', title: '$.detail.title' },
    inputTemplate: '{"action": "regenerate", "product_id": "<product_id>", "title": "<title>"}',
  };
  const quotedTitle = 'ワンピース 第107巻 "特装版" \\ 限定';

  it('gives the seed’s quoted template a Japanese title unchanged', () => {
    expect(JSON.parse(transform(seedTransformer, catalogUpdate()))).toEqual({
      action: 'regenerate',
      product_id: 'P-000107',
      title: 'ワンピース 第107巻',
    });
  });

  it('breaks the seed’s quoted template on a title with quotes, as EventBridge does not escape', () => {
    const output = transform(seedTransformer, catalogUpdate({ title: quotedTitle }));
    expect(output).toBe(
      '{"action": "regenerate", "product_id": "P-000107", "title": "ワンピース 第107巻 "特装版" \\ 限定"}',
    );
    expect(() => JSON.parse(output)).toThrow(SyntaxError);
  });

  it('keeps a title with quotes, backslashes and Japanese intact with unquoted placeholders', () => {
    const transformer: InputTransformer = {
      inputPathsMap: { product_id: '$.detail.product_id', title: '$.detail.title' },
      inputTemplate: '{"action": "regenerate", "product_id": <product_id>, "title": <title>}',
    };
    expect(JSON.parse(transform(transformer, catalogUpdate({ title: quotedTitle })))).toEqual({
      action: 'regenerate',
      product_id: 'P-000107',
      title: quotedTitle,
    });
  });

  it('gives the embedding regeneration target of the bus exactly {action, product_id, title}', () => {
    const target = eventRules
      .flatMap((rule) => rule.targets)
      .find((candidate) => candidate.handler === 'embedding-regeneration');
    const transformer = target?.inputTransformer;
    expect(transformer).toBeDefined();
    if (transformer === undefined) return;
    const output = applyInputTransformer(transformer, catalogUpdate({ title: quotedTitle }), context());
    expect(JSON.parse(output)).toEqual({ action: 'regenerate', product_id: 'P-000107', title: quotedTitle });
  });
});

describe('validateInputTransformer', () => {
  const paths = { instance: '$.detail.instance-id' };

  it('accepts every input transformer of the MangaAssist bus defined in contracts', () => {
    const transformers = eventRules.flatMap((rule) =>
      rule.targets.flatMap((target) => target.inputTransformer ?? []),
    );
    expect(transformers.length).toBeGreaterThan(0);
    for (const transformer of transformers)
      expect(validateInputTransformer(transformer)).toMatchObject({ ok: true });
  });

  it('accepts a template with only reserved variables and no paths', () => {
    const transformer = { inputTemplate: '{"rule": <aws.events.rule-name>}' };
    expect(validateInputTransformer(transformer)).toEqual({ ok: true, transformer });
  });

  const refusals: readonly { behaviour: string; transformer: unknown; message: string }[] = [
    {
      behaviour: 'refuses a transformer that is not an object',
      transformer: 'x',
      message: 'InputTransformer must be an object',
    },
    {
      behaviour: 'refuses a transformer without a template',
      transformer: { inputPathsMap: paths },
      message: 'InputTemplate is required and must be a string',
    },
    {
      behaviour: 'refuses an empty template',
      transformer: { inputTemplate: '' },
      message: 'InputTemplate must be 1 to 8192 characters long',
    },
    {
      behaviour: 'refuses a template longer than 8192 characters',
      transformer: { inputTemplate: `"${'x'.repeat(8191)}"` },
      message: 'InputTemplate must be 1 to 8192 characters long',
    },
    {
      behaviour: 'refuses more than 100 variables',
      transformer: {
        inputPathsMap: Object.fromEntries(Array.from({ length: 101 }, (_, index) => [`v${index}`, '$.id'])),
        inputTemplate: '"x"',
      },
      message: 'InputPathsMap may define at most 100 variables',
    },
    {
      behaviour: 'refuses a variable named like a reserved one',
      transformer: { inputPathsMap: { 'aws.events.rule-name': '$.id' }, inputTemplate: '"x"' },
      message: 'InputPathsMap key may not start with "aws.": aws.events.rule-name',
    },
    {
      behaviour: 'refuses a path in bracket notation',
      transformer: { inputPathsMap: { title: "$.detail['title']" }, inputTemplate: '{"t": <title>}' },
      message: `InputPathsMap value for title is invalid: Unsupported JSON path syntax at "['title']" in $.detail['title']`,
    },
    {
      behaviour: 'refuses a path that does not start with $',
      transformer: { inputPathsMap: { title: 'detail.title' }, inputTemplate: '{"t": <title>}' },
      message: 'InputPathsMap value for title is invalid: JSON path must start with $: detail.title',
    },
    {
      behaviour: 'refuses a placeholder no variable defines',
      transformer: { inputPathsMap: paths, inputTemplate: '{"i": <instance>, "s": <state>}' },
      message: 'InputTemplate contains invalid placeholder state',
    },
    {
      behaviour: 'refuses a placeholder used as an object key',
      transformer: { inputPathsMap: paths, inputTemplate: '{<instance>: 1}' },
      message: 'InputTemplate uses placeholder instance as an object key, which is not allowed',
    },
    {
      behaviour: 'refuses a placeholder inside a quoted object key',
      transformer: { inputPathsMap: paths, inputTemplate: '{"id-<instance>" : 1}' },
      message: 'InputTemplate uses placeholder instance as an object key, which is not allowed',
    },
    {
      behaviour: 'refuses aws.events.event inside a string',
      transformer: { inputTemplate: '{"event": "<aws.events.event>"}' },
      message: 'InputTemplate may use aws.events.event only as the value of a JSON field',
    },
    {
      behaviour: 'refuses a JSON template that is not valid JSON',
      transformer: { inputPathsMap: paths, inputTemplate: '{"i": <instance>,}' },
      message: 'InputTemplate is not valid JSON',
    },
  ];

  it.each(refusals)('$behaviour', ({ transformer, message }) => {
    expect(validateInputTransformer(transformer)).toEqual({ ok: false, message });
  });

  it('makes applyInputTransformer throw InvalidInputTransformerError for a transformer PutTargets refuses', () => {
    const transformer = { inputPathsMap: paths, inputTemplate: '{"s": <state>}' };
    expect(() => transform(transformer)).toThrow(InvalidInputTransformerError);
  });
});

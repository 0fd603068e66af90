import { describe, expect, it } from 'vitest';
import { defaultModelCatalog } from '../catalog/model-catalog.js';
import type { ChatMessage } from '../runtime/model-runtime.js';
import { estimateTokens } from '../text/estimate-tokens.js';
import type { ExperimentConfig } from './experiments.js';
import {
  ModelRouter,
  type ModelRouterOptions,
  type RouteRequest,
  RoutingConfigError,
  UnknownModelError,
} from './model-router.js';

const { fast, balanced, quality } = defaultModelCatalog.aliases;

const makeRouter = (options: Partial<ModelRouterOptions> = {}) =>
  new ModelRouter({ catalog: defaultModelCatalog, estimateTokens, ...options });

const user = (content: string): ChatMessage => ({ role: 'user', content });
const assistant = (content: string): ChatMessage => ({ role: 'assistant', content });

const request = (overrides: Partial<RouteRequest> = {}): RouteRequest => ({
  model: 'auto',
  messages: [user('ワンピースの最新刊はいつ発売ですか？')],
  ...overrides,
});

const splitExperiment = (overrides: Partial<ExperimentConfig> = {}): ExperimentConfig => ({
  name: 'sonnet-20',
  appliesTo: 'auto',
  variants: [
    { model: 'balanced', weight: 20 },
    { model: 'fast', weight: 80 },
  ],
  ...overrides,
});

const sessionIds = (count: number) => Array.from({ length: count }, (_, index) => `session-${index}`);

describe('ModelRouter explicit requests', () => {
  it('answers a catalog key with that model and reason explicit', () => {
    expect(makeRouter().route(request({ model: 'claude-3-sonnet' }))).toEqual({
      model: 'claude-3-sonnet',
      requested: 'claude-3-sonnet',
      reason: 'explicit',
    });
  });

  it('resolves an alias through the catalog and names the alias in the reason', () => {
    expect(makeRouter().route(request({ model: 'quality' }))).toEqual({
      model: quality,
      requested: 'quality',
      reason: 'alias:quality',
    });
  });

  it('rejects an unknown name with UnknownModelError listing the names a request may use', () => {
    const router = makeRouter();
    expect(() => router.route(request({ model: 'gpt-4' }))).toThrow(UnknownModelError);
    try {
      router.route(request({ model: 'gpt-4' }));
    } catch (error) {
      expect(error).toMatchObject({ requested: 'gpt-4' });
      expect((error as UnknownModelError).known).toEqual(
        expect.arrayContaining(['auto', 'fast', 'claude-3-haiku']),
      );
    }
  });
});

describe('ModelRouter auto', () => {
  it('sends a short question without analysis words to the fast model', () => {
    expect(makeRouter().route(request())).toEqual({ model: fast, requested: 'auto', reason: 'auto:simple' });
  });

  it('sends an English analysis request to the balanced model, naming the keyword', () => {
    const decision = makeRouter().route(request({ messages: [user('Can you compare Naruto and Bleach?')] }));
    expect(decision).toEqual({ model: balanced, requested: 'auto', reason: 'auto:complex(keyword=compare)' });
  });

  it('matches analysis keywords case-insensitively and across line breaks', () => {
    const decision = makeRouter().route(
      request({ messages: [user('Please EXPLAIN\nwhy the anime was cancelled')] }),
    );
    expect(decision.reason).toBe('auto:complex(keyword=explain why)');
  });

  it('sends a Japanese analysis request to the balanced model', () => {
    const decision = makeRouter().route(
      request({ messages: [user('この作品の売れ行きを分析してください')] }),
    );
    expect(decision).toMatchObject({ model: balanced, reason: 'auto:complex(keyword=分析)' });
  });

  it('matches a keyword typed in full-width letters', () => {
    const decision = makeRouter().route(request({ messages: [user('ＡＮＡＬＹＺＥ　ｔｈｅ　ｐｌｏｔ')] }));
    expect(decision.reason).toBe('auto:complex(keyword=analyze)');
  });

  it('matches a keyword typed in half-width katakana', () => {
    const decision = makeRouter().route(request({ messages: [user('この巻のﾚﾋﾞｭｰを書いて')] }));
    expect(decision.reason).toBe('auto:complex(keyword=レビュー)');
  });

  it('answers the everyday "what do you recommend" question with the fast model', () => {
    const decision = makeRouter().route(request({ messages: [user('おすすめの漫画は？')] }));
    expect(decision.reason).toBe('auto:simple');
  });

  it('sends a long Japanese prompt without spaces to the balanced model by its token estimate', () => {
    const paragraph = 'ワンピースの最新刊の発売日と特典の内容、限定版の価格と在庫を知りたいです。'.repeat(12);
    expect(paragraph.split(' ')).toHaveLength(1); // the seed's word count would call this one word
    const decision = makeRouter().route(request({ messages: [user(paragraph)] }));
    expect(decision.model).toBe(balanced);
    expect(decision.reason).toBe(`auto:long(tokens=${estimateTokens(paragraph)})`);
  });

  it('sends an English prompt of more than 200 words to the balanced model', () => {
    const words = Array.from({ length: 210 }, () => 'volume').join(' ');
    expect(makeRouter().route(request({ messages: [user(words)] })).reason).toMatch(
      /^auto:long\(tokens=\d+\)$/,
    );
  });

  it('judges only the last user message, not earlier turns or the system prompt', () => {
    const decision = makeRouter().route(
      request({
        system: '在庫データを分析して答えるアシスタントです。',
        messages: [user('二巻と三巻を比較して'), assistant('二巻は…'), user('ありがとう、在庫はある？')],
      }),
    );
    expect(decision.reason).toBe('auto:simple');
  });

  it('also judges the system prompt when includeSystem is set', () => {
    const decision = makeRouter({ complexity: { includeSystem: true } }).route(
      request({ system: '在庫データを分析して答えるアシスタントです。' }),
    );
    expect(decision.reason).toBe('auto:complex(keyword=分析)');
  });

  it('uses the configured threshold, keywords and target models', () => {
    const router = makeRouter({
      estimateTokens: (text) => text.length,
      complexity: {
        longPromptTokens: 10,
        keywords: ['考察'],
        simpleModel: 'claude-3-haiku',
        complexModel: 'quality',
      },
    });
    expect(router.route(request({ messages: [user('短い質問')] }))).toMatchObject({
      model: 'claude-3-haiku',
    });
    expect(router.route(request({ messages: [user('考察')] }))).toMatchObject({ model: quality });
    expect(router.route(request({ messages: [user('あいうえおかきくけこさ')] }))).toEqual({
      model: quality,
      requested: 'auto',
      reason: 'auto:long(tokens=11)',
    });
    expect(router.route(request({ messages: [user('分析')] })).reason).toBe('auto:simple');
  });

  it('treats a conversation without a user message as simple', () => {
    expect(makeRouter().route(request({ messages: [] })).reason).toBe('auto:simple');
  });
});

describe('ModelRouter A/B experiments', () => {
  it('routes a request for the experiment name to a variant, naming experiment and variant', () => {
    const router = makeRouter({ experiments: [splitExperiment()] });
    const decision = router.route(request({ sessionId: 'session-1' }));
    expect(decision.requested).toBe('auto');
    expect([
      { model: balanced, reason: 'ab:sonnet-20:balanced' },
      { model: fast, reason: 'ab:sonnet-20:fast' },
    ]).toContainEqual({ model: decision.model, reason: decision.reason });
  });

  it('gives the same session the same variant on every call', () => {
    const router = makeRouter({
      experiments: [
        splitExperiment({
          variants: [
            { model: 'balanced', weight: 50 },
            { model: 'fast', weight: 50 },
          ],
        }),
      ],
    });
    for (const sessionId of sessionIds(20)) {
      const first = router.route(request({ sessionId }));
      for (let call = 0; call < 50; call++) expect(router.route(request({ sessionId }))).toEqual(first);
    }
  });

  it('gives the same session the same variant in another router instance (another Lambda)', () => {
    const experiments = [splitExperiment()];
    const decisions = (router: ModelRouter) =>
      sessionIds(200).map((sessionId) => router.route(request({ sessionId })).model);
    expect(decisions(makeRouter({ experiments }))).toEqual(decisions(makeRouter({ experiments })));
  });

  it('spreads 10 000 sessions over the variants within 2 points of the weights', () => {
    const router = makeRouter({ experiments: [splitExperiment()] });
    const counts = new Map<string, number>();
    for (const sessionId of sessionIds(10_000)) {
      const { model } = router.route(request({ sessionId }));
      counts.set(model, (counts.get(model) ?? 0) + 1);
    }
    expect(Math.abs((counts.get(balanced) ?? 0) / 10_000 - 0.2)).toBeLessThan(0.02);
    expect(Math.abs((counts.get(fast) ?? 0) / 10_000 - 0.8)).toBeLessThan(0.02);
  });

  it('draws the variant from the injected random source when there is no session id', () => {
    const draws = [0.1, 0.5, 0.19, 0.2];
    const router = makeRouter({ experiments: [splitExperiment()], random: () => draws.shift() ?? 0 });
    const reasons = [0, 1, 2, 3].map(() => router.route(request()).reason);
    expect(reasons).toEqual([
      'ab:sonnet-20:balanced',
      'ab:sonnet-20:fast',
      'ab:sonnet-20:balanced',
      'ab:sonnet-20:fast',
    ]);
  });

  it('takes over an alias only for requests naming that alias', () => {
    const router = makeRouter({
      experiments: [
        splitExperiment({
          name: 'opus-canary',
          appliesTo: 'balanced',
          variants: [{ model: 'quality', weight: 1 }],
        }),
      ],
    });
    expect(router.route(request({ model: 'balanced' }))).toEqual({
      model: quality,
      requested: 'balanced',
      reason: 'ab:opus-canary:quality',
    });
    expect(router.route(request({ model: 'claude-sonnet-4-5' })).reason).toBe('explicit');
    expect(router.route(request({ model: 'auto' })).reason).toBe('auto:simple');
  });
});

describe('ModelRouter configuration', () => {
  const configError = (options: Partial<ModelRouterOptions>) => {
    try {
      makeRouter(options);
    } catch (error) {
      expect(error).toBeInstanceOf(RoutingConfigError);
      return (error as Error).message;
    }
    throw new Error('expected a RoutingConfigError');
  };

  it('rejects a variant weight that is not positive', () => {
    const message = configError({
      experiments: [
        splitExperiment({
          variants: [
            { model: 'fast', weight: 0 },
            { model: 'balanced', weight: 1 },
          ],
        }),
      ],
    });
    expect(message).toContain('experiments[0].variants[0].weight');
  });

  it('rejects a variant naming a model the catalog does not have', () => {
    const message = configError({
      experiments: [splitExperiment({ variants: [{ model: 'gpt-4', weight: 1 }] })],
    });
    expect(message).toContain('"gpt-4" is not a catalog key or alias');
  });

  it('rejects two variants resolving to the same model', () => {
    const message = configError({
      experiments: [
        splitExperiment({
          variants: [
            { model: 'fast', weight: 1 },
            { model: fast, weight: 1 },
          ],
        }),
      ],
    });
    expect(message).toContain(`names the same model (${fast})`);
  });

  it('rejects two experiments for the same requested name', () => {
    const message = configError({ experiments: [splitExperiment(), splitExperiment({ name: 'other' })] });
    expect(message).toContain('another experiment already applies to "auto"');
  });

  it('rejects an experiment for a name no request may use', () => {
    expect(configError({ experiments: [splitExperiment({ appliesTo: 'turbo' })] })).toContain('"turbo"');
  });

  it('rejects an experiment without variants', () => {
    expect(configError({ experiments: [splitExperiment({ variants: [] })] })).toContain(
      'experiments[0].variants',
    );
  });

  it('rejects complexity targets the catalog does not know and a non-positive threshold', () => {
    const message = configError({ complexity: { complexModel: 'opus-9', longPromptTokens: 0 } });
    expect(message).toContain('"opus-9" is not a catalog key or alias');
    expect(message).toContain('complexity.longPromptTokens');
  });
});

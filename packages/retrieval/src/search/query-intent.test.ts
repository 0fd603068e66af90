import { describe, expect, it } from 'vitest';
import { queryIntent } from './query-intent.js';

describe('queryIntent', () => {
  it.each([
    ['ワンピース 100巻', 100],
    ['呪術廻戦の第３巻はありますか', 3],
    ['鬼滅の刃 三巻', 3],
    ['進撃の巨人 第十二巻', 12],
    ['キングダム二十巻', 20],
    ['ハイキュー 45 かん', 45],
    ['One Piece vol. 12', 12],
    ['Naruto volume 7 price', 7],
    ['Bleach Vol.3', 3],
    ['Berserk #5', 5],
    ['ワンピース 第百巻', 100],
    ['ワンピース 百十巻', 110],
  ])('reads the volume of “%s”', (question, volume) => {
    expect(queryIntent(question).volume).toBe(volume);
  });

  it.each([
    ['ワンピースの最新刊はいくら？'],
    ['呪術廻戦の新刊'],
    ['latest volume of Frieren'],
    ['What is the newest Spy x Family?'],
    ['進撃の巨人 最終巻'],
    ['the last volume of Death Note'],
  ])('reads “%s” as asking for the newest', (question) => {
    expect(queryIntent(question)).toEqual({ latest: true });
  });

  it('reads neither from a plain title or a number that is not a volume', () => {
    expect(queryIntent('葬送のフリーレン')).toEqual({ latest: false });
    expect(queryIntent('20世紀少年')).toEqual({ latest: false });
    expect(queryIntent('Kaiju No. 8')).toEqual({ latest: false });
    expect(queryIntent('volume 0')).toEqual({ latest: false });
    expect(queryIntent('鬼滅の刃 全23巻セット')).toEqual({ latest: false });
    expect(queryIntent('鬼滅の刃 全二十三巻')).toEqual({ latest: false });
    expect(queryIntent('the #1 bestseller')).toEqual({ latest: false });
  });
});

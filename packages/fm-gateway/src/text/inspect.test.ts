import { describe, expect, it } from 'vitest';
import { inspectText } from './inspect.js';

describe('inspectText', () => {
  it('reports nothing for an ordinary Japanese question', () => {
    expect(inspectText('ワンピースの最新刊はいつ発売ですか？')).toEqual([]);
  });

  it('reports script tags and javascript: URLs', () => {
    expect(inspectText('<SCRIPT>alert(1)</script>')).toEqual(['html_script']);
    expect(inspectText('javascript:void(0) のブックマークレット')).toEqual(['html_script']);
  });

  it('reports template syntax in a question about Vue', () => {
    expect(inspectText('Vue の {{ title }} が表示されません')).toEqual(['template_syntax']);
  });

  it('reports Python execution calls', () => {
    expect(inspectText('subprocess.run と os.system の違い')).toEqual(['code_execution']);
  });

  it('reports CJK next to Cyrillic, as in a kaomoji', () => {
    expect(inspectText('新刊まだかな (´Д｀)')).toEqual(['mixed_cjk_cyrillic']);
  });

  it('reports several signals in a fixed order', () => {
    expect(inspectText('{{x}} <script> Д 漫画')).toEqual([
      'html_script',
      'template_syntax',
      'mixed_cjk_cyrillic',
    ]);
  });
});

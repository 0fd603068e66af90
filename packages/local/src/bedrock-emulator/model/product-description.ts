// The catalog consumer's description prompt (seed 000 §5.3): "Title: …" lines about one item,
// then "provide N search tags … on a new line starting with 'Tags: '".

const tagsRequest = /provide (\d+) search tags[^\n]*starting with ['"]?Tags:/iu;
const itemField = /^(Title|Author|Genre|Volume):[ \t]*(.*)$/gimu;

/** Placeholders the prompt writes for a field the item lacks; they describe nothing. */
const missing = new Set(['unknown', 'n/a', 'no synopsis available']);

/** Tags to fill up with when the item's own fields give too few. */
const fillerTags = ['manga', 'comics', 'japanese manga', 'new release', 'bestseller', 'local emulator'];

const maxRequestedTags = 50;

/** True when the prompt asks for a product description with a `Tags:` line. */
export function asksForProductDescription(prompt: string): boolean {
  return tagsRequest.test(prompt);
}

/**
 * Two sentences about the item from its `Title`, `Author`, `Genre` and `Volume` lines, saying
 * they come from the local emulator, then `Tags: ` with as many distinct tags as the prompt asks
 * for (genre, author, title, then generic manga tags and numbered ones if still short).
 */
export function describeProduct(prompt: string): string {
  const fields = new Map<string, string>();
  for (const [, name = '', value = ''] of prompt.matchAll(itemField)) {
    const text = value.trim();
    if (text !== '' && !missing.has(text.toLowerCase())) fields.set(name.toLowerCase(), text);
  }
  const title = fields.get('title') ?? 'This volume';
  const author = fields.get('author');
  const genre = fields.get('genre');
  const volume = fields.get('volume');
  const description =
    `${title}${author === undefined ? '' : ` by ${author}`} is a ${genre ?? 'manga'} story` +
    `${volume === undefined ? '' : ` (volume ${volume})`} for every fan of the series. ` +
    'This description was written by the local Bedrock emulator, not a real model.';

  const wanted = Math.min(Number(tagsRequest.exec(prompt)?.[1] ?? 5), maxRequestedTags);
  const tags: string[] = [];
  const seen = new Set<string>();
  const add = (tag: string | undefined) => {
    const cleaned = tag?.replace(/[,、，]/gu, ' ').trim();
    if (cleaned === undefined || cleaned === '' || seen.has(cleaned.toLowerCase())) return;
    seen.add(cleaned.toLowerCase());
    tags.push(cleaned);
  };
  for (const tag of [genre, author, fields.get('title'), ...fillerTags]) add(tag);
  for (let extra = 1; tags.length < wanted; extra++) add(`tag ${extra}`);
  return `${description}\nTags: ${tags.slice(0, wanted).join(', ')}`;
}

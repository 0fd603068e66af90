import * as z from 'zod/mini';

/**
 * Body of `POST /_local/bedrock/scripts`: prompts containing `match` (case-sensitive, anywhere
 * in the system text or any turn) are answered with exactly `text`. `times` uses, then the
 * script expires; without `times` it never does.
 */
export const scriptSpecSchema = z.strictObject({
  match: z.string().check(z.minLength(1)),
  text: z.string(),
  times: z.optional(z.int().check(z.positive())),
});

export type ScriptSpec = z.input<typeof scriptSpecSchema>;

/** A script as `list()` shows it: `remaining` uses, absent when unlimited. */
export interface ActiveScript extends ScriptSpec {
  readonly remaining?: number;
}

interface ScriptState {
  readonly spec: z.output<typeof scriptSpecSchema>;
  remaining: number | undefined;
}

/** The active scripts; the oldest matching one answers. */
export class ScriptBook {
  private scripts: ScriptState[] = [];

  /** @throws $ZodError when the spec is invalid. */
  add(spec: ScriptSpec): void {
    const parsed = scriptSpecSchema.parse(spec);
    this.scripts.push({ spec: parsed, remaining: parsed.times });
  }

  clear(): void {
    this.scripts = [];
  }

  list(): ActiveScript[] {
    return this.scripts.map(({ spec, remaining }) =>
      remaining === undefined ? { ...spec } : { ...spec, remaining },
    );
  }

  /** The scripted text for a prompt, using up one of the script's `times`. */
  take(promptText: string): string | undefined {
    const script = this.scripts.find((candidate) => promptText.includes(candidate.spec.match));
    if (script === undefined) return undefined;
    if (script.remaining !== undefined) {
      script.remaining -= 1;
      if (script.remaining <= 0) this.scripts = this.scripts.filter((candidate) => candidate !== script);
    }
    return script.spec.text;
  }
}

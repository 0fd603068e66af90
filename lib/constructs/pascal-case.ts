/**
 * A kebab-, dot- or `@`-separated name as a construct id: `inference-completed-fan-out` ->
 * `InferenceCompletedFanOut`, `mangaassist.ai@InferenceCompleted` -> `MangaassistAiInferenceCompleted`.
 */
export function pascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

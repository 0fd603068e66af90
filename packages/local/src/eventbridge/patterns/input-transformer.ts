/**
 * EventBridge input transformers: what a target receives instead of the whole event, built from
 * an `InputPathsMap` (variables read from the event by JSON path) and an `InputTemplate` with
 * `<variable>` placeholders. Rules, from "Amazon EventBridge input transformation" and the
 * `InputTransformer` API reference:
 * - in a JSON template, a placeholder outside quotes becomes the value as JSON (a string quoted
 *   and escaped, an object as an object);
 * - a placeholder inside quotes, or anywhere in a text template, becomes the value as text, NOT
 *   escaped ("EventBridge doesn't escape values extracted by Input Path"): a string as-is, so a
 *   quote in it breaks the JSON; an object or array as JSON with every quote removed;
 * - a path that leads nowhere creates no variable, which "won't appear in the output": nothing
 *   in text, `null` as a JSON value (the guide does not say; `null` keeps the JSON valid);
 * - reserved variables: `aws.events.rule-name`, `aws.events.rule-arn`,
 *   `aws.events.event.ingestion-time`, and, only as JSON values, `aws.events.event` (the event
 *   without `detail`) and `aws.events.event.json` (the whole event);
 * - JSON that comes out valid is delivered minified.
 */
import { type InputPathStep, InputPathSyntaxError, parseInputPath, readInputPath } from './input-path.js';
import { minifyJson, type ScannedTemplate, scanTemplate } from './input-template.js';

/** A target's input transformer, as `PutTargets` takes it. */
export interface InputTransformer {
  /** Variable name -> JSON path into the event. At most 100. @default no variables */
  readonly inputPathsMap?: Readonly<Record<string, string>>;
  /** The target input with `<variable>` placeholders; 1 to 8192 characters. */
  readonly inputTemplate: string;
}

/** What EventBridge knows about the delivery, for the reserved variables. */
export interface InputTransformerContext {
  readonly ruleName: string;
  readonly ruleArn: string;
  /** When EventBridge received the event; a `Date` is written as ISO 8601 to the second. */
  readonly ingestionTime: Date | string;
}

/** The outcome of `validateInputTransformer`. */
export type InputTransformerValidation =
  | { readonly ok: true; readonly transformer: InputTransformer }
  | { readonly ok: false; readonly message: string };

/** An input transformer `PutTargets` would refuse (a `ValidationException`). */
export class InvalidInputTransformerError extends Error {
  override readonly name = 'InvalidInputTransformerError';
  /** The AWS error code the EventBridge API answers with. */
  readonly code = 'ValidationException';
}

/** Variables EventBridge defines; an `InputPathsMap` may not define them. */
export const reservedInputVariables = [
  'aws.events.rule-arn',
  'aws.events.rule-name',
  'aws.events.event',
  'aws.events.event.ingestion-time',
  'aws.events.event.json',
] as const;

const jsonOnlyVariables = new Set<string>(['aws.events.event', 'aws.events.event.json']);
const maxVariables = 100;
const maxKeyLength = 256;
const maxPathLength = 256;
const maxTemplateLength = 8192;

interface CompiledTransformer {
  readonly template: ScannedTemplate;
  readonly paths: ReadonlyMap<string, readonly InputPathStep[]>;
}

const compiledTransformers = new WeakMap<InputTransformer, CompiledTransformer>();

/**
 * Checks an input transformer as `PutTargets` would: the template's size, at most 100 variables
 * with supported JSON paths and names that do not start with `aws.`, every placeholder defined
 * or reserved, no placeholder as an object key, `aws.events.event[.json]` only as JSON values,
 * and a JSON template that is valid JSON. Never throws.
 */
export function validateInputTransformer(transformer: unknown): InputTransformerValidation {
  try {
    const valid = requireTransformer(transformer);
    compileTransformer(valid);
    return { ok: true, transformer: valid };
  } catch (error) {
    if (error instanceof InvalidInputTransformerError) return { ok: false, message: error.message };
    throw error;
  }
}

/**
 * The input the target receives for `event`, as EventBridge would deliver it: JSON text for a
 * JSON template (minified when valid; when a value inserted inside quotes broke it, the broken
 * text, which a Lambda target would refuse), the filled-in text for a text template. Throws
 * `InvalidInputTransformerError` for a transformer `PutTargets` would refuse; never for any
 * event.
 *
 * @example
 * applyInputTransformer(
 *   { inputPathsMap: { title: '$.detail.title' }, inputTemplate: '{"title":<title>}' },
 *   event,
 *   { ruleName: 'catalog-updates', ruleArn, ingestionTime: new Date() },
 * ) // '{"title":"ワンピース 第107巻 \\"特装版\\""}'
 */
export function applyInputTransformer(
  transformer: InputTransformer,
  event: unknown,
  context: InputTransformerContext,
): string {
  let compiled = compiledTransformers.get(transformer);
  if (compiled === undefined) {
    compiled = compileTransformer(transformer);
    compiledTransformers.set(transformer, compiled);
  }
  const values = new Map<string, unknown>();
  for (const [name, steps] of compiled.paths) {
    const result = readInputPath(event, steps);
    if (result.found) values.set(name, result.value);
  }
  for (const [name, value] of Object.entries(reservedValues(event, context))) values.set(name, value);

  const output = compiled.template.parts
    .map((part) => {
      if (part.kind === 'text') return part.text;
      const value = values.get(part.name);
      if (part.context === 'json-value') return value === undefined ? 'null' : JSON.stringify(value);
      return asText(value);
    })
    .join('');
  if (!compiled.template.isJson) return output;
  return isValidJson(output) ? minifyJson(output) : output;
}

function reservedValues(event: unknown, context: InputTransformerContext): Record<string, unknown> {
  const withoutDetail =
    typeof event === 'object' && event !== null && !Array.isArray(event)
      ? Object.fromEntries(Object.entries(event).filter(([key]) => key !== 'detail'))
      : event;
  return {
    'aws.events.rule-name': context.ruleName,
    'aws.events.rule-arn': context.ruleArn,
    'aws.events.event.ingestion-time':
      typeof context.ingestionTime === 'string'
        ? context.ingestionTime
        : context.ingestionTime.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'aws.events.event': withoutDetail,
    'aws.events.event.json': event,
  };
}

/** A value as text inside a string: not escaped; objects and arrays lose their quotes. */
function asText(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value).replaceAll('"', '');
  return String(value);
}

function requireTransformer(value: unknown): InputTransformer {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    invalid('InputTransformer must be an object');
  const inputTemplate: unknown = Reflect.get(value, 'inputTemplate');
  const inputPathsMap: unknown = Reflect.get(value, 'inputPathsMap');
  if (typeof inputTemplate !== 'string') return invalid('InputTemplate is required and must be a string');
  if (inputPathsMap === undefined) return { inputTemplate };
  if (typeof inputPathsMap !== 'object' || inputPathsMap === null || Array.isArray(inputPathsMap)) {
    return invalid('InputPathsMap must be an object of variable names to JSON paths');
  }
  const paths: Record<string, string> = {};
  for (const [name, path] of Object.entries(inputPathsMap)) {
    if (typeof path !== 'string') return invalid(`InputPathsMap value for ${name} must be a string`);
    paths[name] = path;
  }
  return { inputPathsMap: paths, inputTemplate };
}

function compileTransformer(transformer: InputTransformer): CompiledTransformer {
  const { inputTemplate } = transformer;
  const entries = Object.entries(transformer.inputPathsMap ?? {});
  if (inputTemplate.length < 1 || inputTemplate.length > maxTemplateLength) {
    invalid(`InputTemplate must be 1 to ${maxTemplateLength} characters long`);
  }
  if (entries.length > maxVariables) invalid(`InputPathsMap may define at most ${maxVariables} variables`);
  const paths = new Map<string, readonly InputPathStep[]>();
  for (const [name, path] of entries) {
    if (name === '' || name.length > maxKeyLength)
      invalid(`InputPathsMap key must be 1 to ${maxKeyLength} characters: ${name}`);
    if (/\s|[<>]/.test(name)) invalid(`InputPathsMap key may not contain blanks, < or >: ${name}`);
    if (name.toLowerCase().startsWith('aws.'))
      invalid(`InputPathsMap key may not start with "aws.": ${name}`);
    if (path.length > maxPathLength)
      invalid(`InputPathsMap value for ${name} is longer than ${maxPathLength} characters`);
    try {
      paths.set(name, parseInputPath(path));
    } catch (error) {
      if (error instanceof InputPathSyntaxError)
        invalid(`InputPathsMap value for ${name} is invalid: ${error.message}`);
      throw error;
    }
  }
  const template = scanTemplate(inputTemplate);
  const reserved = new Set<string>(reservedInputVariables);
  for (const part of template.parts) {
    if (part.kind !== 'placeholder') continue;
    if (!paths.has(part.name) && !reserved.has(part.name)) {
      invalid(`InputTemplate contains invalid placeholder ${part.name}`);
    }
    if (part.isObjectKey)
      invalid(`InputTemplate uses placeholder ${part.name} as an object key, which is not allowed`);
    if (jsonOnlyVariables.has(part.name) && part.context !== 'json-value') {
      invalid(`InputTemplate may use ${part.name} only as the value of a JSON field`);
    }
  }
  if (template.isJson) {
    const skeleton = template.parts
      .map((part) => (part.kind === 'text' ? part.text : part.context === 'json-value' ? 'null' : ''))
      .join('');
    if (!isValidJson(skeleton)) invalid('InputTemplate is not valid JSON');
  }
  return { template, paths };
}

function isValidJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function invalid(message: string): never {
  throw new InvalidInputTransformerError(message);
}

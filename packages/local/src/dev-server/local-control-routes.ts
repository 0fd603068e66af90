import type { LocalTokenIssuer } from '@mangaassist/auth/local';
import { tableName, tableSpecs } from '@mangaassist/contracts';
import { toIssues } from '@mangaassist/http';
import { readRequestBody } from '@mangaassist/http/node';
import * as z from 'zod/mini';
import { faultSpecSchema, scriptSpecSchema } from '../bedrock-emulator/index.js';
import { putEventsFaultSpecSchema } from '../eventbridge/index.js';
import { localDocumentsBucket } from '../s3/bucket-object-store.js';
import {
  ExecutionAlreadyExistsError,
  InvalidExecutionInputError,
  InvalidNameError,
  type LocalStateMachines,
  StateMachineDoesNotExistError,
} from '../stepfunctions/local-state-machines.js';
import type { DevDoors } from './dev-doors.js';
import type { RequestContext, Route } from './lambda-routes.js';
import type { LocalAws } from './local-aws.js';
import { localCredentials, localStage } from './local-aws.js';
import { sendError, sendJson } from './local-http.js';

type Routes = Record<string, Partial<Record<string, Route>>>;

/**
 * `POST /_local/tokens`: an end user token for a dev tenant, an hour by default; a negative
 * lifetime makes an already expired one, to try the 401.
 */
const tokenRequestSchema = z.strictObject({
  tenant: z.string().check(z.minLength(1)),
  subject: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  expires_in_seconds: z.optional(z.int().check(z.gte(-86_400), z.lte(86_400))),
});

/**
 * The `/_local` inspection and control endpoints of `pnpm dev` (DESIGN.md): the dev keys and
 * secrets, the local endpoints, Bedrock faults, scripts and stats, the bus's events, faults, dead
 * letters and schedules, the outbox, and the gateway's health. JSON in and out.
 */
export function localControlRoutes(
  aws: LocalAws,
  doors: DevDoors,
  tokens: LocalTokenIssuer,
  websocketUrl: () => string,
): Routes {
  const { emulator, dynamoDb, eventBridge } = aws;
  return {
    '/_local/api-keys': { GET: async ({ response }) => sendJson(response, 200, { keys: doors.keys.list() }) },
    '/_local/tokens': {
      POST: async (context) => {
        const control = await controlBody(context, tokenRequestSchema);
        if (control === undefined) return;
        const { tenant, subject, expires_in_seconds } = control.data;
        if (doors.keys.directory.get(tenant) === undefined) {
          const known = doors.keys.directory.list().map(({ id }) => id);
          sendError(
            context.response,
            400,
            context.requestId,
            'unknown_tenant',
            `No dev tenant ${tenant}: one of ${known.join(', ')}.`,
          );
          return;
        }
        const issued = await tokens.issue({
          tenantId: tenant,
          ...(subject === undefined ? {} : { subject }),
          ...(expires_in_seconds === undefined ? {} : { expiresInSeconds: expires_in_seconds }),
        });
        sendJson(context.response, 201, {
          token: issued.token,
          token_type: 'Bearer',
          expires_at: issued.expiresAt,
          issuer: tokens.issuer,
          audience: tokens.audience[0],
        });
      },
    },
    '/_local/.well-known/jwks.json': { GET: async ({ response }) => sendJson(response, 200, tokens.jwks) },
    '/_local/endpoints': {
      GET: async ({ response }) =>
        sendJson(response, 200, {
          bedrock: {
            url: emulator.url,
            regions: 'any: the region is read from the request signature',
            credentials: { ...localCredentials },
            // Batch inference (BedrockClient on the same URL) reads and writes this bucket.
            batch_bucket: localDocumentsBucket,
          },
          dynamodb: {
            url: dynamoDb.endpoint,
            tables: tableSpecs.map((spec) => tableName(localStage, spec)),
            credentials: { ...localCredentials },
          },
          eventbridge: {
            url: eventBridge.endpoint,
            bus: doors.config.eventBusName,
            credentials: { ...localCredentials },
          },
          websocket: { url: websocketUrl() },
        }),
    },
    '/_local/bedrock/faults': controls(emulator.faults, faultSpecSchema),
    '/_local/bedrock/scripts': controls(emulator.scripts, scriptSpecSchema),
    '/_local/bedrock/stats': {
      GET: async ({ response }) => sendJson(response, 200, emulator.stats()),
      DELETE: async ({ response }) => {
        emulator.resetStats();
        sendJson(response, 200, { cleared: true });
      },
    },
    '/_local/callback-secrets': {
      GET: async ({ response }) => sendJson(response, 200, doors.callbackSecrets),
    },
    '/_local/executions': {
      GET: async ({ response }) => sendJson(response, 200, doors.stateMachines.listing()),
      POST: startExecution(doors.stateMachines),
    },
    '/_local/queues': {
      GET: async ({ response }) =>
        sendJson(response, 200, { queues: doors.queues.map((queue) => queue.listing()) }),
    },
    '/_local/events': {
      GET: async ({ response }) => sendJson(response, 200, eventBridge.bus.list()),
      DELETE: async ({ response }) => {
        eventBridge.bus.clear();
        sendJson(response, 200, { events: [] });
      },
    },
    '/_local/eventbridge/faults': controls(eventBridge.faults, putEventsFaultSpecSchema),
    '/_local/dlq': {
      GET: async ({ response }) => sendJson(response, 200, eventBridge.bus.deadLetters()),
      DELETE: async ({ response }) => {
        eventBridge.bus.clearDeadLetters();
        sendJson(response, 200, { messages: [] });
      },
    },
    '/_local/outbox': {
      GET: async ({ response }) => sendJson(response, 200, doors.outbox.list()),
      DELETE: async ({ response }) => {
        doors.outbox.clear();
        sendJson(response, 200, { emails: [], notifications: [] });
      },
    },
    ...Object.fromEntries(
      doors.scheduledRules.map((name) => [
        `/_local/schedules/${name}`,
        {
          POST: async ({ response }: RequestContext) =>
            sendJson(response, 202, eventBridge.bus.runSchedule(name)),
        },
      ]),
    ),
    '/_local/webhook-secrets': {
      GET: async ({ response }) => sendJson(response, 200, doors.webhookSecrets.list()),
    },
    '/_local/gateway/health': {
      GET: async ({ response }) => sendJson(response, 200, doors.gateway.health()),
    },
  };
}

/** GET lists, POST adds one (validated by `schema`: 400 JSON with the issues), DELETE clears. */
function controls<S extends z.ZodMiniType>(
  registry: { add(spec: z.output<S>): void; clear(): void; list(): unknown[] },
  schema: S,
): Partial<Record<string, Route>> {
  return {
    GET: async ({ response }) => sendJson(response, 200, { items: registry.list() }),
    POST: async (context) => {
      const control = await controlBody(context, schema);
      if (control === undefined) return;
      registry.add(control.data);
      sendJson(context.response, 201, { items: registry.list() });
    },
    DELETE: async ({ response }) => {
      registry.clear();
      sendJson(response, 200, { items: [] });
    },
  };
}

/**
 * The request's JSON body checked against `schema`; `undefined` once the refusal is sent (413
 * over 64 KiB, 400 `malformed_json`, 400 `validation_failed` with an issue per field).
 */
async function controlBody<S extends z.ZodMiniType>(
  { request, response, requestId }: RequestContext,
  schema: S,
): Promise<{ data: z.output<S> } | undefined> {
  const body = await readRequestBody(request, 64 * 1024);
  if (!body) {
    sendError(response, 413, requestId, 'payload_too_large', 'A control body is at most 64 KiB.');
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    sendError(response, 400, requestId, 'malformed_json', 'The body is not valid JSON.');
    return undefined;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    sendError(
      response,
      400,
      requestId,
      'validation_failed',
      'Invalid control.',
      toIssues(parsed.error.issues),
    );
    return undefined;
  }
  return { data: parsed.data };
}

/** `POST /_local/executions`: StartExecution of a local state machine. */
const startExecutionSchema = z.strictObject({
  state_machine: z.string().check(z.minLength(1)),
  input: z.optional(z.unknown()),
  name: z.optional(z.string()),
});

/**
 * Starts an execution (`{ "state_machine", "input"?, "name"? }`) → 202 `{ execution_arn }`, as
 * StartExecution: 404 `state_machine_not_found`, 409 `execution_already_exists`, 400 for an
 * invalid name or input.
 */
function startExecution(machines: LocalStateMachines): Route {
  return async (context) => {
    const control = await controlBody(context, startExecutionSchema);
    if (control === undefined) return;
    const { state_machine: machine, input, name } = control.data;
    const { response, requestId } = context;
    try {
      const executionArn = machines.start(machine, input, name === undefined ? {} : { name });
      sendJson(response, 202, { execution_arn: executionArn });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof StateMachineDoesNotExistError) {
        sendError(response, 404, requestId, 'state_machine_not_found', message);
      } else if (error instanceof ExecutionAlreadyExistsError) {
        sendError(response, 409, requestId, 'execution_already_exists', message);
      } else if (error instanceof InvalidNameError || error instanceof InvalidExecutionInputError) {
        sendError(response, 400, requestId, 'invalid_execution', message);
      } else {
        throw error;
      }
    }
  };
}

import { guardrailMessages } from '@mangaassist/contracts';
import { inspectText, type TextSignal } from '@mangaassist/fm-gateway';

/** A guardrail a Converse request asked for, and the texts it evaluates. */
export interface GuardrailRequest {
  /** The guardrail's id or ARN, as sent. */
  readonly identifier: string;
  readonly version: string;
  /** Whether the response carries the guardrail trace (`trace` other than `disabled`). */
  readonly trace: boolean;
  /** The `guardContent` texts, or every message's text when the request marks none. */
  readonly guarded: readonly string[];
}

/** Converse's `trace.guardrail`, as far as the emulated prompt-attack filter fills it. */
export interface GuardrailTrace {
  readonly inputAssessment: Record<
    string,
    {
      readonly contentPolicy: {
        readonly filters: readonly {
          readonly type: 'PROMPT_ATTACK';
          readonly confidence: 'NONE' | 'HIGH';
          readonly filterStrength: 'HIGH';
          readonly action: 'NONE' | 'BLOCKED';
          readonly detected: boolean;
        }[];
      };
    }
  >;
  readonly actionReason?: string;
}

export interface GuardrailAssessment {
  readonly intervened: boolean;
  /** What a blocked request is answered with. */
  readonly blockedMessage: string;
  readonly trace: GuardrailTrace;
}

/** The text signals the emulated prompt-attack filter reads as a jailbreak or an injection. */
const promptAttackSignals: ReadonlySet<TextSignal> = new Set([
  'instruction_override',
  'system_prompt_probe',
  'role_override',
  'prompt_delimiter',
]);

/**
 * The emulated guardrail: a prompt-attack filter at strength HIGH, as the stack configures the
 * real one. It blocks input in which the gateway's own injection signals (`inspectText`, on the
 * NFKC shadow, so full-width and spaced-out tricks count) find an instruction override, a
 * system-prompt probe, a role override or a prompt delimiter; anything else passes. Any
 * well-formed guardrail id is taken to name it (there is no registry to look one up in).
 */
export function assessGuardrail(guardrail: GuardrailRequest): GuardrailAssessment {
  const attack = guardrail.guarded.some((text) =>
    inspectText(text).some((signal) => promptAttackSignals.has(signal)),
  );
  // Bedrock keys the assessment by the guardrail's id, also when it was named by ARN.
  const id = guardrail.identifier.split('/').at(-1) ?? guardrail.identifier;
  return {
    intervened: attack,
    blockedMessage: guardrailMessages.blockedInput,
    trace: {
      inputAssessment: {
        [id]: {
          contentPolicy: {
            filters: [
              {
                type: 'PROMPT_ATTACK',
                confidence: attack ? 'HIGH' : 'NONE',
                filterStrength: 'HIGH',
                action: attack ? 'BLOCKED' : 'NONE',
                detected: attack,
              },
            ],
          },
        },
      },
      ...(attack ? { actionReason: 'Guardrail blocked.' } : {}),
    },
  };
}

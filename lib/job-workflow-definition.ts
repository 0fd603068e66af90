/**
 * The document job's state machine definition (ASL), as `@mangaassist/jobs` defines it for both
 * the deployed state machine and `pnpm dev`, and what the CDK app derives from it.
 */
import {
  type JobWorkflowDefinition,
  jobStepsFunctionArnSubstitution,
  jobWorkflowDefinition,
} from '@mangaassist/jobs';

export { type JobWorkflowDefinition, jobStepsFunctionArnSubstitution, jobWorkflowDefinition };

interface AslState {
  readonly Type?: string;
  readonly TimeoutSeconds?: number;
  readonly ItemProcessor?: { readonly States?: Readonly<Record<string, AslState>> };
}

/**
 * The shortest `TimeoutSeconds` of the definition's Task states, nested Map processors included:
 * one function runs every Task, so it must end before the shortest of them gives up on it.
 */
export function shortestTaskTimeoutSeconds(
  definition: JobWorkflowDefinition = jobWorkflowDefinition(),
): number {
  const timeouts = (states: Readonly<Record<string, AslState>>): number[] =>
    Object.values(states).flatMap((state) => [
      ...(state.Type === 'Task' && state.TimeoutSeconds !== undefined ? [state.TimeoutSeconds] : []),
      ...(state.ItemProcessor?.States ? timeouts(state.ItemProcessor.States) : []),
    ]);
  return Math.min(...timeouts(definition.States));
}

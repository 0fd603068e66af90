import type { InputTransformer } from '@mangaassist/contracts';
import { type IRuleRef, RuleTargetInput, type RuleTargetInputProperties } from 'aws-cdk-lib/aws-events';

/**
 * A target's input exactly as the contract's `InputTransformer` writes it: its paths map and its
 * template, unchanged. `RuleTargetInput.fromObject` with `EventField`s would derive variable names
 * from the paths and re-serialise the template; the local bus applies the contract's own text, so
 * the deployed rule must carry that same text (placeholders outside quotes, where EventBridge
 * inserts each value as JSON).
 */
export class ContractTargetInput extends RuleTargetInput {
  constructor(private readonly transformer: InputTransformer) {
    super();
  }

  bind(_rule: IRuleRef): RuleTargetInputProperties {
    return {
      inputPathsMap: { ...this.transformer.inputPathsMap },
      inputTemplate: this.transformer.inputTemplate,
    };
  }
}

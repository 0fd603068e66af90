import { createHash } from 'node:crypto';
import { guardrailMessages } from '@mangaassist/contracts';
import { ArnFormat, Stack } from 'aws-cdk-lib';
import { CfnGuardrail, CfnGuardrailVersion } from 'aws-cdk-lib/aws-bedrock';
import { Construct } from 'constructs';

/** How hard the prompt-attack filter looks: higher blocks more attacks and more false positives. */
export type PromptAttackStrength = 'LOW' | 'MEDIUM' | 'HIGH';

export interface ModelGuardrailProps {
  /** Deployment stage, for the guardrail's name. */
  readonly stage: string;
  /** @default 'HIGH' */
  readonly promptAttackStrength?: PromptAttackStrength;
  /**
   * The system-defined guardrail profile that spreads the guardrail's own inference over a
   * geography's regions; the Standard tier (which reads Japanese) requires one.
   * @default 'apac.guardrail.v1:0'
   */
  readonly guardrailProfile?: string;
}

/**
 * A Bedrock guardrail that filters prompt attacks (jailbreaks, prompt injection) in users' new
 * messages, on the Standard tier (which reads Japanese) through a guardrail profile, and a
 * published version of it. It lives in the stack's region: the gateway sends the calls it
 * guards from there only (the functions name it by ARN). The gateway applies it to each call's new user
 * message as Converse `guardContent` (`BEDROCK_GUARDRAIL_ID` / `_VERSION`), so the system prompt
 * and the history are not evaluated — and charged — again. A blocked message is answered with
 * `guardrailMessages.blockedInput`, in Japanese and English.
 *
 * The functions use the version, never `DRAFT`: editing the guardrail changes nothing until a
 * new version is deployed. It is encrypted with a key AWS owns (a customer managed key would
 * need every calling role in its policy, for no data it keeps: guardrails store no prompts).
 */
export class ModelGuardrail extends Construct {
  readonly guardrail: CfnGuardrail;
  readonly version: CfnGuardrailVersion;
  /** The guardrail's id (`BEDROCK_GUARDRAIL_ID`). */
  readonly guardrailId: string;
  /** The published version the functions use (`BEDROCK_GUARDRAIL_VERSION`). */
  readonly guardrailVersion: string;
  /** The guardrail's ARN: what `bedrock:ApplyGuardrail` is granted on, and what the functions name. */
  readonly guardrailArn: string;
  /** The guardrail profile's id (`apac.guardrail.v1:0`). */
  readonly guardrailProfile: string;

  constructor(scope: Construct, id: string, props: ModelGuardrailProps) {
    super(scope, id);
    this.guardrailProfile = props.guardrailProfile ?? 'apac.guardrail.v1:0';
    const policy = {
      blockedInputMessaging: guardrailMessages.blockedInput,
      blockedOutputsMessaging: guardrailMessages.blockedOutput,
      contentPolicyConfig: {
        filtersConfig: [
          // Prompt attacks are judged on the input only: the output strength must be NONE.
          {
            type: 'PROMPT_ATTACK',
            inputStrength: props.promptAttackStrength ?? 'HIGH',
            outputStrength: 'NONE',
          },
        ],
        // The Classic tier reads English, French and Spanish only; Standard reads Japanese.
        contentFiltersTierConfig: { tierName: 'STANDARD' },
      },
    };
    this.guardrail = new CfnGuardrail(this, 'Guardrail', {
      name: `mangaassist-${props.stage}-prompt-attack`,
      description: `MangaAssist ${props.stage}: blocks prompt attacks in customers' chat messages`,
      ...policy,
      crossRegionConfig: { guardrailProfileArn: this.profileArn(Stack.of(this).region) },
    });
    // A version is a snapshot taken when the resource is created: naming the policy's hash in its
    // description replaces it, publishing a new version, whenever the policy changes.
    const policyHash = createHash('sha256')
      .update(JSON.stringify({ ...policy, profile: this.guardrailProfile }))
      .digest('hex')
      .slice(0, 12);
    this.version = new CfnGuardrailVersion(this, 'Version', {
      guardrailIdentifier: this.guardrail.attrGuardrailId,
      description: `The version the functions apply (policy ${policyHash})`,
    });
    this.guardrailId = this.guardrail.attrGuardrailId;
    this.guardrailVersion = this.version.attrVersion;
    this.guardrailArn = this.guardrail.attrGuardrailArn;
  }

  /**
   * The guardrail profile's ARN in a region (`*`: every destination region of the profile, which
   * `bedrock:ApplyGuardrail` must also allow).
   */
  profileArn(region: string): string {
    return Stack.of(this).formatArn({
      service: 'bedrock',
      region,
      resource: 'guardrail-profile',
      resourceName: this.guardrailProfile,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }
}

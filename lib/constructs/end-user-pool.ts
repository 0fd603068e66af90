import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  ClientAttributes,
  FeaturePlan,
  Mfa,
  StringAttribute,
  UserPool,
  type UserPoolClient,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';

export interface EndUserPoolProps {
  /** Part of the pool's name (`mangaassist-<stage>-end-users`). */
  readonly stage: string;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** The custom attribute naming a user's tenant; its claim is `custom:tenant`. */
export const tenantAttribute = 'tenant';

/**
 * The stage's own issuer of end users' tokens: a Cognito user pool whose users each belong to a
 * tenant (`custom:tenant`, set when the user is created and never changed: immutable, and not
 * writable by the app client, so a user cannot move to another tenant), and one public app client
 * (no secret, SRP sign-in, no hosted-UI OAuth flows) for the tenants' apps.
 *
 * Users do not sign themselves up: the platform's operators (or an admin tool of theirs, acting
 * for a tenant) create them with `AdminCreateUser` and `custom:tenant`. Tenants are not given
 * that permission: IAM cannot hold it to their own tenant's value.
 * The REST API's authorizer takes the pool's ID tokens (`aud` = the client) by `issuer`.
 */
export class EndUserPool extends Construct {
  readonly userPool: UserPool;
  readonly client: UserPoolClient;
  /** The `iss` of the pool's tokens: `https://cognito-idp.<region>.amazonaws.com/<pool id>`. */
  readonly issuer: string;

  constructor(scope: Construct, id: string, props: EndUserPoolProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.userPool = new UserPool(this, 'UserPool', {
      userPoolName: `mangaassist-${props.stage}-end-users`,
      featurePlan: FeaturePlan.ESSENTIALS,
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      customAttributes: {
        [tenantAttribute]: new StringAttribute({ minLen: 2, maxLen: 63, mutable: false }),
      },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
    this.client = this.userPool.addClient('AppClient', {
      userPoolClientName: `mangaassist-${props.stage}-app`,
      generateSecret: false,
      authFlows: { userSrp: true },
      disableOAuth: true,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
      // Everything but the tenant: only the tenant's back end sets it, once.
      writeAttributes: new ClientAttributes().withStandardAttributes({ email: true, fullname: true }),
    });
    this.issuer = `https://cognito-idp.${Stack.of(this).region}.${Stack.of(this).urlSuffix}/${this.userPool.userPoolId}`;
    new CfnOutput(this, 'UserPoolId', {
      value: this.userPool.userPoolId,
      description:
        "End users' pool (aws cognito-idp admin-create-user --user-pool-id <id> … Name=custom:tenant,Value=<tenant>)",
    });
    new CfnOutput(this, 'AppClientId', {
      value: this.client.userPoolClientId,
      description: "The app client end users sign in with (SRP); the authorizer's audience",
    });
    Validations.of(this.userPool).acknowledge(
      {
        id: 'AwsSolutions-COG2',
        reason:
          "MFA is optional (TOTP) rather than required: the users are a store's readers asking about manga on a phone, and the tokens admit chat within their tenant's budget, not account or payment changes.",
      },
      ...['AwsSolutions-COG3', 'AwsSolutions-COG8'].map((rule) => ({
        id: rule,
        reason:
          "Cognito threat protection (advanced security) needs the Plus feature plan, priced per monthly active user; the API's own limits (usage plans, WAF, daily budgets) bound what a stolen token can spend. Turn it on per stage when the app's users warrant it.",
      })),
    );
  }
}

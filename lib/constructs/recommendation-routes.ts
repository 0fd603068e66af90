import { gatewayEnvironment, recommendationRoutes } from '@mangaassist/contracts';
import { CfnOutput, Duration } from 'aws-cdk-lib';
import type { IRequestValidator, RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { addApiKeyMethod } from './api-key-method.js';
import { PlatformFunction, type SharedFunctionProps } from './platform-function.js';

export interface RecommendationRoutesProps {
  /** Deployment stage, for descriptions and `MANGA_ENV`. */
  readonly stage: string;
  /** The API the route is added to, at the contracts' `recommendationRoutes.recommendations`. */
  readonly restApi: RestApi;
  /** Checks the declared query string parameters. */
  readonly requestValidator: IRequestValidator;
  /** Each segment's latest list (`RECOMMENDATIONS_TABLE`), read only. */
  readonly recommendationsTable: ITable;
  /**
   * Logging and tracing. The function runs outside any VPC (it reaches only DynamoDB), so the
   * network and environment of these defaults are not used.
   * @default - PlatformFunction's defaults
   */
  readonly functionDefaults?: Pick<SharedFunctionProps, 'logRetention' | 'logRemovalPolicy' | 'tracing'>;
  /**
   * @default 256
   */
  readonly memorySize?: number;
}

/**
 * `GET /v1/recommendations[?segment=<name>]` (seed 000 §3.2): the lists the recommendation
 * workflow stored, one segment's or all of them, behind a tenant API key. One small function
 * (`functions/recommendations/src/api-handler.ts`) that may only `GetItem` and `Scan` the
 * recommendations table: no model, no cache, no bus. The query is checked by the function (an
 * unknown or repeated parameter is a 400 with a JSON reason); API Gateway only declares
 * `segment`, optional.
 */
export class RecommendationRoutes extends Construct {
  readonly function: PlatformFunction;

  constructor(scope: Construct, id: string, props: RecommendationRoutesProps) {
    super(scope, id);
    const { logRetention, logRemovalPolicy, tracing } = props.functionDefaults ?? {};
    this.function = new PlatformFunction(this, 'Function', {
      ...(logRetention !== undefined ? { logRetention } : {}),
      ...(logRemovalPolicy !== undefined ? { logRemovalPolicy } : {}),
      ...(tracing !== undefined ? { tracing } : {}),
      entry: 'functions/recommendations/src/api-handler.ts',
      description: `MangaAssist ${props.stage}: GET ${recommendationRoutes.recommendations}`,
      memorySize: props.memorySize ?? 256,
      timeout: Duration.seconds(10),
      environment: {
        [gatewayEnvironment.stage]: props.stage,
        [gatewayEnvironment.recommendationsTable]: props.recommendationsTable.tableName,
      },
    });
    props.recommendationsTable.grant(this.function, 'dynamodb:GetItem', 'dynamodb:Scan');

    addApiKeyMethod(
      props.restApi.root.resourceForPath(recommendationRoutes.recommendations),
      'GET',
      this.function.invocationTarget,
      {
        operationName: 'GetRecommendations',
        requestValidator: props.requestValidator,
        requestParameters: { 'method.request.querystring.segment': false },
      },
    );
    new CfnOutput(this, 'RecommendationsUrl', {
      value: props.restApi.urlForPath(recommendationRoutes.recommendations),
      description: `GET ${recommendationRoutes.recommendations}`,
    });
  }
}

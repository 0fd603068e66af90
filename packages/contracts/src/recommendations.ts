import * as z from 'zod/mini';

/**
 * Recommendations (seed 000 §3.2): every 6 hours a state machine asks the fast model, one segment
 * at a time (a Map over the segments), which products to recommend to that segment's readers,
 * stores each segment's list and announces it (`Recommendation.Generated`).
 * `GET /v1/recommendations?segment=<segment>` serves the stored lists.
 */

export const recommendationRoutes = {
  recommendations: '/v1/recommendations',
} as const;

/** A segment's name: lower-case letters, digits and dashes, as the catalog configures them. */
export const recommendationSegmentSchema = z
  .string()
  .check(z.regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'a segment is 1 to 40 lower-case letters, digits or dashes'));

/** The query of `GET /v1/recommendations`: one segment, or every segment when absent. */
export const recommendationsQuerySchema = z.strictObject({
  segment: z.optional(recommendationSegmentSchema),
});

/** One segment's stored list, best first. */
export const segmentRecommendationsSchema = z.object({
  segment: recommendationSegmentSchema,
  product_ids: z.array(z.string().check(z.minLength(1), z.maxLength(128))).check(z.maxLength(100)),
  model_id: z.string().check(z.minLength(1)),
  /** ISO 8601 in UTC: when the run that produced the list started. */
  generated_at: z.iso.datetime(),
});
export type SegmentRecommendations = z.infer<typeof segmentRecommendationsSchema>;

/** `GET /v1/recommendations` without a segment: every segment that has a list, by name. */
export const recommendationsListSchema = z.object({
  recommendations: z.array(segmentRecommendationsSchema),
});
export type RecommendationsList = z.infer<typeof recommendationsListSchema>;

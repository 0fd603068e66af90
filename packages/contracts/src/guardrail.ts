/**
 * What the deployment's Bedrock guardrail answers instead of the model when it blocks a message,
 * in Japanese and English (the store's customers write both). The stack configures the guardrail
 * with it; the local Bedrock emulator answers with it, so both read the same.
 */
export const guardrailMessages = {
  blockedInput:
    '申し訳ありませんが、このご依頼にはお応えできません。マンガの作品・ご注文・おすすめについてお気軽にお尋ねください。 / Sorry, I can’t help with that request. Ask me about manga titles, orders or recommendations.',
  blockedOutput:
    '申し訳ありませんが、この回答はお届けできません。別の聞き方でお試しください。 / Sorry, I can’t give that answer. Please try asking another way.',
} as const;

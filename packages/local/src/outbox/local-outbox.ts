import { randomUUID } from 'node:crypto';

/** An email as `GET /_local/outbox` lists it. */
export interface OutboxEmail {
  /** The message id `send` answered. */
  readonly id: string;
  /** When it was "sent", ISO 8601. */
  readonly time: string;
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly idempotencyKey: string;
}

/** An outbound notification (an EventBridge API destination's request) as the outbox lists it. */
export interface OutboxNotification {
  readonly id: string;
  readonly time: string;
  /** The rule target it stands for (`moderation-alert-webhook`). */
  readonly target: string;
  /** Where it would have been posted, when configured. */
  readonly url?: string;
  /** The body it would have carried (the target's transformed input). */
  readonly payload: unknown;
}

/** The body of `GET /_local/outbox`: newest first. */
export interface OutboxListing {
  readonly emails: readonly OutboxEmail[];
  readonly notifications: readonly OutboxNotification[];
}

export interface LocalOutboxOptions {
  /** Emails, and notifications, kept each; the oldest are forgotten first. @default 500 */
  readonly capacity?: number;
  /** The sender address emails are listed with. @default 'noreply@mangaassist.example.com' */
  readonly fromAddress?: string;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** @default crypto.randomUUID */
  readonly newId?: () => string;
}

/**
 * What `pnpm dev` would have sent: the local stand-in for SES (it satisfies core's `EmailSender`
 * port) and for the bus's outbound notifications (the API destination of critical moderation
 * flags). Nothing leaves the machine; everything is kept in memory, bounded, and listed newest
 * first at `GET /_local/outbox` as `{ "emails": [...], "notifications": [...] }`.
 *
 * It sends whatever it is given, duplicates included: exactly-once is the consumers' job, and the
 * outbox is where a test sees whether they kept it.
 *
 * @example
 * const outbox = new LocalOutbox();
 * const fmTrigger = makeFmTriggerConsumer({ ...dependencies, emails: outbox });
 * // GET /_local/outbox -> outbox.list()
 */
export class LocalOutbox {
  readonly #capacity: number;
  readonly #fromAddress: string;
  readonly #now: () => Date;
  readonly #newId: () => string;
  /** Oldest first; `list` reverses. */
  readonly #emails: OutboxEmail[] = [];
  readonly #notifications: OutboxNotification[] = [];

  /** Throws `RangeError` when `capacity` is not a positive integer. */
  constructor(options: LocalOutboxOptions = {}) {
    const capacity = options.capacity ?? 500;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    }
    this.#capacity = capacity;
    this.#fromAddress = options.fromAddress ?? 'noreply@mangaassist.example.com';
    this.#now = options.now ?? (() => new Date());
    this.#newId = options.newId ?? randomUUID;
  }

  /** Keeps the email as sent; resolves with its message id (the `EmailSender` port). */
  async send(email: {
    readonly to: string;
    readonly subject: string;
    readonly text: string;
    readonly idempotencyKey: string;
  }): Promise<{ readonly messageId: string }> {
    const kept: OutboxEmail = {
      id: this.#newId(),
      time: this.#now().toISOString(),
      from: this.#fromAddress,
      to: email.to,
      subject: email.subject,
      text: email.text,
      idempotencyKey: email.idempotencyKey,
    };
    this.#keep(this.#emails, kept);
    return { messageId: kept.id };
  }

  /** Keeps an outbound notification as posted (for the local bus's API-destination targets). */
  notify(notification: {
    readonly target: string;
    readonly url?: string;
    readonly payload: unknown;
  }): OutboxNotification {
    const kept: OutboxNotification = {
      id: this.#newId(),
      time: this.#now().toISOString(),
      target: notification.target,
      ...(notification.url === undefined ? {} : { url: notification.url }),
      payload: structuredClone(notification.payload),
    };
    this.#keep(this.#notifications, kept);
    return kept;
  }

  /** Everything kept, newest first (copies: the caller may change them freely). */
  list(): OutboxListing {
    return structuredClone({
      emails: [...this.#emails].reverse(),
      notifications: [...this.#notifications].reverse(),
    });
  }

  /** Forgets every email and notification. */
  clear(): void {
    this.#emails.length = 0;
    this.#notifications.length = 0;
  }

  #keep<T>(list: T[], item: T): void {
    list.push(item);
    if (list.length > this.#capacity) list.splice(0, list.length - this.#capacity);
  }
}

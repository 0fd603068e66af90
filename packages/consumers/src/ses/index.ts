// The public surface of @mangaassist/consumers/ses.

export {
  classifySendEmailFailure,
  createSesClient,
  idempotencyKeyHeader,
  type SendEmailFailure,
  type SesClientOptions,
  SesEmailSender,
  type SesEmailSenderOptions,
} from './ses-email-sender.js';

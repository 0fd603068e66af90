/** Error codes of frames the WebSocket chat produces itself (the rest come from `describeFailure`). */
export const webSocketErrorCodes = {
  /** The message is not JSON or not a client frame of the contract. */
  invalidFrame: 'invalid_frame',
  /** The `sendMessage` text failed the Japanese-aware checks. */
  contentRejected: 'content_rejected',
  /** `resume` names a stream that is unknown, expired, another tenant's, or incompletely logged. */
  resumeUnavailable: 'resume_unavailable',
  /**
   * `resume` came after the stream's last frame (`lastSeq` at or past its `complete` or `error`):
   * the client has the whole stream; nothing is sent again. Carries `stream_id`, no `seq`.
   */
  streamEnded: 'stream_ended',
  /** `resume` followed a running stream for its whole lifetime bound and the stream did not end. */
  resumeTimeout: 'resume_timeout',
  /** Logged (not sent) when a stream stops because its client went away; `resume` replays it. */
  streamAborted: 'stream_aborted',
  /** The model stream failed after its first token; the partial answer was not stored. */
  streamInterrupted: 'stream_interrupted',
  /** A frame could not be pushed (throttled, refused): the stream stopped, or the rest is left to `resume`. */
  pushFailed: 'push_failed',
  /** The connection store could not be read. */
  connectionUnavailable: 'connection_unavailable',
  /** The message route could not queue the message for the stream worker: send it again. */
  messageNotQueued: 'message_not_queued',
  /** A message came from a connection without a record (expired or never stored): reconnect. */
  unknownConnection: 'unknown_connection',
} as const;

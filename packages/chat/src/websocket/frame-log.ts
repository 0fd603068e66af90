/**
 * The frame-log port: the recent frames of each stream, kept for a short window so that a
 * client that reconnects can resume after the last sequence number it saw.
 */
export interface FrameLog {
  /** Records a frame (its JSON) at its sequence number. Never throws: a lost frame only limits resume. */
  append(streamId: string, seq: number, frame: string): Promise<void>;
  /** Frames after `afterSeq`, in order; undefined when the stream is unknown or has expired. */
  since(streamId: string, afterSeq: number): Promise<string[] | undefined>;
}

package dev.streamchat.stream.journal;

/**
 * The journal could not write a record (most often: the disk is full). Nothing of the record is
 * kept; the journal still ends at its last whole record and takes later writes once space frees.
 */
public final class JournalWriteException extends RuntimeException {
  public JournalWriteException(String message, Throwable cause) {
    super(message, cause);
  }
}

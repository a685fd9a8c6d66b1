package dev.streamchat.chat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Free space in the data dir, against the least it must keep ({@code STREAMCHAT_MIN_FREE_MB}).
 * Below it no new answer starts (a full disk would cut it mid-way) and the service reads as not
 * ready; both recover by themselves once space is freed. Read at most once per
 * {@value #CACHE_MS} ms (a {@code statfs}, cheap enough for an event loop).
 */
public final class DiskSpace {

  static final long CACHE_MS = 500;
  public static final String FULL = "The server could not store the answer (disk full); try again later.";
  private static final int RETRY_AFTER_SECONDS = 30;

  private final Path dir;
  private final long minFreeBytes;
  private volatile long freeBytes = Long.MAX_VALUE;
  private volatile long readAt;

  public DiskSpace(Path dir, long minFreeBytes) {
    this.dir = dir;
    this.minFreeBytes = minFreeBytes;
  }

  /** Nothing is checked: for stores in tests that have no data dir of their own. */
  public static DiskSpace unchecked() {
    return new DiskSpace(null, 0);
  }

  public long minFreeBytes() {
    return minFreeBytes;
  }

  /** Bytes usable in the data dir now (Long.MAX_VALUE when unchecked, 0 when unreadable). */
  public long freeBytes() {
    if (dir == null) return Long.MAX_VALUE;
    long now = System.currentTimeMillis();
    if (now - readAt >= CACHE_MS) {
      try {
        freeBytes = Files.getFileStore(dir).getUsableSpace();
      } catch (IOException e) {
        freeBytes = 0;
      }
      readAt = now;
    }
    return freeBytes;
  }

  public boolean isLow() {
    return freeBytes() < minFreeBytes;
  }

  /** Refuses a new answer with a 503 while the disk is below its bound. */
  public void requireSpace() {
    if (isLow()) throw Problem.unavailable(FULL, RETRY_AFTER_SECONDS);
  }
}

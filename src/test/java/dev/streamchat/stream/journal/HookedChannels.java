package dev.streamchat.stream.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Segment files through which a test steers the journal's I/O: holds a write or a force at a gate,
 * fails writes like a full disk (after writing part of them), fails a truncate, and remembers how
 * much of each file the last {@code force} made durable.
 */
final class HookedChannels implements JournalOptions.Channels {
  /** When set, the next positional write waits here (after {@link #atWriteGate} counts down). */
  volatile CountDownLatch writeGate;
  volatile CountDownLatch atWriteGate = new CountDownLatch(1);
  /** When set, every force waits here. */
  volatile CountDownLatch forceGate;
  final AtomicInteger failWrites = new AtomicInteger();
  /** How many bytes a failing write still puts in the file before it fails. */
  volatile int partialBytes;
  final AtomicInteger failTruncates = new AtomicInteger();
  final Map<Path, Long> forced = new ConcurrentHashMap<>();

  @Override
  public FileChannel open(Path path) throws IOException {
    return new Hooked(path, FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE));
  }

  /** Makes the next write wait until {@link #openWriteGate} (and lets the test know it waits). */
  void closeWriteGate() {
    atWriteGate = new CountDownLatch(1);
    writeGate = new CountDownLatch(1);
  }

  void awaitWriterAtGate() throws InterruptedException {
    if (!atWriteGate.await(10, TimeUnit.SECONDS)) throw new AssertionError("the writer never reached the gate");
  }

  void openWriteGate() {
    CountDownLatch g = writeGate;
    writeGate = null;
    g.countDown();
  }

  private final class Hooked extends FileChannel {
    private final Path path;
    private final FileChannel d;

    Hooked(Path path, FileChannel d) {
      this.path = path;
      this.d = d;
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
      CountDownLatch gate = writeGate;
      if (gate != null) {
        atWriteGate.countDown();
        try {
          gate.await();
        } catch (InterruptedException e) {
          throw new IOException(e);
        }
      }
      if (failWrites.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        int n = Math.min(partialBytes, src.remaining());
        if (n > 0) {
          ByteBuffer part = src.duplicate();
          part.limit(part.position() + n);
          d.write(part, position);
        }
        throw new IOException("No space left on device");
      }
      return d.write(src, position);
    }

    @Override
    public void force(boolean metaData) throws IOException {
      CountDownLatch gate = forceGate;
      if (gate != null) {
        try {
          gate.await();
        } catch (InterruptedException e) {
          throw new IOException(e);
        }
      }
      d.force(metaData);
      forced.put(path, d.size());
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
      if (failTruncates.getAndUpdate(n -> Math.max(0, n - 1)) > 0) throw new IOException("Input/output error");
      d.truncate(size);
      return this;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      return d.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
      return d.read(dsts, offset, length);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      return d.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
      return d.write(srcs, offset, length);
    }

    @Override
    public long position() throws IOException {
      return d.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
      d.position(newPosition);
      return this;
    }

    @Override
    public long size() throws IOException {
      return d.size();
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
      return d.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
      return d.transferFrom(src, position, count);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      return d.read(dst, position);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
      return d.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
      return d.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
      return d.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
      d.close();
    }
  }
}

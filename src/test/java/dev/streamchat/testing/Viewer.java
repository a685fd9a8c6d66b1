package dev.streamchat.testing;

import io.vertx.core.json.JsonObject;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Someone following one answer's event stream on a thread of its own, as a browser does: when the
 * connection is cut it connects again (to whichever instance the address leads to) after the last
 * chunk it got. It keeps every chunk event as it came, to check afterwards that nothing is missing
 * or twice.
 */
public final class Viewer implements AutoCloseable {

  /** One chunk event: its id (the last chunk's number), its text, when it came. */
  public record Seen(long id, String text, long at) {
  }

  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final Thread thread;
  private volatile JsonObject end;
  private volatile int connections;
  private volatile int lastStatus;
  private volatile boolean closed;

  /** Starts following {@code gid} through {@code client}. */
  public Viewer(ApiClient client, String gid) {
    thread = new Thread(() -> follow(client, gid), "viewer-" + gid);
    thread.setDaemon(true);
    thread.start();
  }

  private void follow(ApiClient client, String gid) {
    while (end == null && !closed) {
      long after = seen.isEmpty() ? 0 : seen.get(seen.size() - 1).id();
      try (SseConnection c = client.eventsOnNewConnection(gid, after)) {
        connections++;
        lastStatus = c.status();
        if (c.status() != 200) {
          Thread.sleep(200);
          continue;
        }
        for (SseEvent e; (e = c.next()) != null; ) {
          if (e.event().equals("end")) {
            end = new JsonObject(e.data());
            return;
          }
          if (e.event().equals("chunk")) seen.add(new Seen(e.id(), e.json().getString("text", ""), e.receivedAtMillis()));
        }
      } catch (UncheckedIOException | IllegalStateException cut) {
        // the instance went away: connect again
      } catch (InterruptedException stop) {
        return;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException stop) {
        return;
      }
    }
  }

  public List<Seen> seen() {
    return List.copyOf(seen);
  }

  /** The text of every chunk seen, in order. */
  public String text() {
    StringBuilder b = new StringBuilder();
    for (Seen s : seen) b.append(s.text());
    return b.toString();
  }

  /** The end event's data, or null before it. */
  public JsonObject end() {
    return end;
  }

  public int connections() {
    return connections;
  }

  /** Waits for the end event; fails after {@code ms}. */
  public JsonObject awaitEnd(long ms) throws InterruptedException {
    thread.join(ms);
    if (end == null) throw new AssertionError("no end within " + ms + " ms; seen " + seen.size() + " chunk events");
    return end;
  }

  /** Waits until {@code n} chunk events have come. */
  public void awaitChunks(int n, long ms) throws InterruptedException {
    long deadline = System.currentTimeMillis() + ms;
    while (seen.size() < n) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError(thread.getName() + ": fewer than " + n + " chunk events within " + ms + " ms (" + seen.size() + " on "
            + connections + " connection(s), last status " + lastStatus + ", end " + end + ")");
      }
      Thread.sleep(10);
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
  }
}

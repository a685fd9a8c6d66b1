package dev.streamchat.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** An open event stream, read one event at a time; closing it drops the connection. */
public final class SseConnection implements AutoCloseable {

  private final int status;
  private final InputStream body;
  private final BufferedReader reader;

  SseConnection(int status, InputStream body) {
    this.status = status;
    this.body = body;
    this.reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
  }

  public int status() {
    return status;
  }

  /** The next event (comments and retry lines skipped), or null when the server closed the stream. */
  public SseEvent next() {
    try {
      Long id = null;
      String event = "message";
      StringBuilder data = null;
      String line;
      while ((line = reader.readLine()) != null) {
        if (line.isEmpty()) {
          if (data != null) return new SseEvent(id, event, data.toString(), System.currentTimeMillis());
          continue;
        }
        if (line.startsWith(":")) continue;
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) value = value.substring(1);
        switch (field) {
          case "id" -> id = Long.parseLong(value);
          case "event" -> event = value;
          case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
          default -> { }
        }
      }
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    try {
      body.close();
    } catch (IOException ignored) {
      // the connection is being dropped on purpose
    }
  }
}

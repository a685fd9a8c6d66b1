package dev.streamchat.model.legacy;

/**
 * The event-stream format (text/event-stream) read line by line: {@code data} fields of one event
 * are joined with newlines, comments are skipped, a blank line ends the event.
 */
public final class LegacySseDecoder {

  /** Receives each complete event. */
  @FunctionalInterface
  public interface EventHandler {
    void event(String type, String data);
  }

  private final EventHandler handler;
  private String type = "";
  private final StringBuilder data = new StringBuilder();
  private boolean hasData;

  public LegacySseDecoder(EventHandler handler) {
    this.handler = handler;
  }

  public void line(String line) {
    if (line.isEmpty()) {
      dispatch();
      return;
    }
    if (line.charAt(0) == ':') return;
    int colon = line.indexOf(':');
    String field = colon < 0 ? line : line.substring(0, colon);
    int start = colon < 0 ? line.length() : colon + 1;
    if (start < line.length() && line.charAt(start) == ' ') start++;
    String value = line.substring(start);
    switch (field) {
      case "data" -> {
        if (hasData) data.append('\n');
        data.append(value);
        hasData = true;
      }
      case "event" -> type = value;
      default -> { } // id, retry and unknown fields carry nothing a model answer needs
    }
  }

  /** The stream ended: an event not yet closed by a blank line is still delivered. */
  public void finish() {
    dispatch();
  }

  private void dispatch() {
    if (hasData) handler.event(type, data.toString());
    type = "";
    data.setLength(0);
    hasData = false;
  }
}

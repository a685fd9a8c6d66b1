package dev.streamchat.model.http;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The event-stream format (text/event-stream) read line by line, as bytes: {@code data} fields of
 * one event are joined with newlines, comments are skipped, a blank line ends the event. The data
 * stays bytes, for the JSON parser to read where it lies.
 */
public final class SseDecoder implements LineSplitter.LineHandler {

  /** Receives each complete event: its type ("" when it named none) and {@code length} bytes of data, valid only during the call. */
  @FunctionalInterface
  public interface EventHandler {
    void event(String type, byte[] data, int length);
  }

  private static final byte[] DATA = "data".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EVENT = "event".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NEWLINE = {'\n'};

  private final EventHandler handler;
  private String type = "";
  private byte[] data = new byte[256];
  private int dataLength;
  private boolean hasData;

  public SseDecoder(EventHandler handler) {
    this.handler = handler;
  }

  @Override
  public void line(byte[] line, int offset, int length) {
    if (length == 0) {
      dispatch();
      return;
    }
    if (line[offset] == ':') return;
    int end = offset + length;
    int colon = offset;
    while (colon < end && line[colon] != ':') colon++;
    int start = colon < end ? colon + 1 : end;
    if (start < end && line[start] == ' ') start++;
    if (Arrays.equals(line, offset, colon, DATA, 0, DATA.length)) {
      if (hasData) append(NEWLINE, 0, 1);
      append(line, start, end - start);
      hasData = true;
    } else if (Arrays.equals(line, offset, colon, EVENT, 0, EVENT.length)) {
      type = new String(line, start, end - start, StandardCharsets.UTF_8);
    }
    // id, retry and unknown fields carry nothing a model answer needs
  }

  /** The stream ended: an event not yet closed by a blank line is still delivered. */
  public void finish() {
    dispatch();
  }

  private void append(byte[] bytes, int from, int length) {
    if (dataLength + length > data.length) data = Arrays.copyOf(data, Math.max(dataLength + length, data.length * 2));
    System.arraycopy(bytes, from, data, dataLength, length);
    dataLength += length;
  }

  private void dispatch() {
    if (hasData) handler.event(type, data, dataLength);
    type = "";
    dataLength = 0;
    hasData = false;
  }
}

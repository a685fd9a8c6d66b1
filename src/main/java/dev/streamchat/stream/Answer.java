package dev.streamchat.stream;

/** A generation's whole text as its log holds it, with its status at the time it was read. */
public record Answer(GenerationStatus status, String text, String reasoning) {

  public String id() {
    return status.id();
  }
}

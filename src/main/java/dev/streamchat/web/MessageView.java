package dev.streamchat.web;

import dev.streamchat.chat.Message;
import dev.streamchat.stream.GenerationLog;
import dev.streamchat.stream.GenerationState;

/**
 * A message as the chat page shows it. A running answer carries the text so far and the cursor
 * its stream resumes after; a finished one carries its Markdown rendered to safe HTML.
 */
public record MessageView(
    String role,
    String text,
    String html,
    String reasoning,
    String generationId,
    String state,
    String error,
    long cursor,
    String conversationId,
    boolean historyTrimmed,
    boolean latest) {

  public boolean isUser() {
    return role.equals("user");
  }

  public boolean isStreaming() {
    return "running".equals(state);
  }

  public boolean isStopped() {
    return "stopped".equals(state);
  }

  public boolean isFailed() {
    return "failed".equals(state) || "interrupted".equals(state);
  }

  public String domId() {
    return "msg-" + generationId;
  }

  public String streamUrl() {
    return "/g/" + generationId + "/stream";
  }

  /** A failed last answer can be tried again (the conversation's last message is sent anew). */
  public boolean isRetryable() {
    return latest && isFailed();
  }

  public String retryUrl() {
    return "/c/" + conversationId + "/retry";
  }

  /** The same message, noting whether older turns were left out of what the model was sent. */
  MessageView withContext(boolean trimmed, boolean last) {
    return new MessageView(role, text, html, reasoning, generationId, state, error, cursor, conversationId, trimmed, last);
  }

  public String stateLabel() {
    return switch (state == null ? "" : state) {
      case "stopped" -> "Stopped";
      case "failed" -> "Failed";
      case "interrupted" -> "Interrupted";
      default -> "";
    };
  }

  static MessageView user(String text) {
    return new MessageView("user", text, null, "", null, null, null, 0, null, false, false);
  }

  /** An answer from its live log (running, or ended but not yet saved with the message). */
  static MessageView answer(GenerationLog log) {
    GenerationState s = log.state();
    String text = log.text();
    return new MessageView("assistant", text, s.isFinal() ? Markdown.toHtml(text) : null,
        log.reasoning(), log.id(), s.wire(), log.error(), log.lastSeq(), log.info().conversationId(), false, true);
  }

  /** An answer from the database, final. */
  static MessageView saved(Message m) {
    return new MessageView("assistant", m.content(), Markdown.toHtml(m.content()),
        m.reasoning() == null ? "" : m.reasoning(), m.generationId(), m.state(), m.error(), 0, m.conversationId(),
        false, false);
  }
}

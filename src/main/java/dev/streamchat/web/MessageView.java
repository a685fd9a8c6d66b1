package dev.streamchat.web;

import dev.streamchat.chat.Message;
import dev.streamchat.markdown.IncrementalMarkdown;
import dev.streamchat.markdown.MarkdownRenderer;
import dev.streamchat.markdown.Tail;
import dev.streamchat.stream.Answer;
import dev.streamchat.stream.GenerationStatus;
import dev.streamchat.stream.GenerationState;

/**
 * A message as the chat page shows it. A running answer carries the text so far, the HTML of its
 * finished blocks and the cursor its stream resumes after; a finished one carries its Markdown
 * rendered to safe HTML. A person's
 * message carries what editing it needs ({@code editUrl}); the conversation's last answer, once
 * ended, offers Retry (when it failed), Regenerate (otherwise) and Continue (when it was cut short).
 * An answer says which model wrote it; one that was regenerated is version {@code version} of
 * {@code versions} (both 0 when it has a single version, or when it is not known which). An answer
 * asked for as JSON says so ({@code json}: the page shows it as a tree), from its stream log
 * while it runs and from the database once saved. A running answer also carries its growing part
 * as the page first shows it ({@code streamTail}; {@code html} holds its finished blocks).
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
    String editUrl,
    boolean historyTrimmed,
    boolean last,
    String model,
    String messageId,
    int version,
    int versions,
    boolean json,
    Tail streamTail) {

  public boolean isUser() {
    return role.equals("user");
  }

  public boolean isStreaming() {
    return "running".equals(state);
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

  public String stateLabel() {
    return switch (state == null ? "" : state) {
      case "stopped" -> "Stopped";
      case "failed" -> "Failed";
      case "interrupted" -> "Interrupted";
      default -> "";
    };
  }

  private boolean lastEnded() {
    return last && !isUser() && state != null && !isStreaming();
  }

  /** A failed last answer can be tried again (the conversation's last message is sent anew). */
  public boolean isRetryable() {
    return lastEnded() && "failed".equals(state);
  }

  public String retryUrl() {
    return "/c/" + conversationId + "/retry";
  }

  /** Regenerate replaces the last answer once it has ended (a failed one offers Retry instead). */
  public boolean isRegenerable() {
    return lastEnded() && !"failed".equals(state);
  }

  /** Continue is offered on a last answer that was cut short and has text to go on from. */
  public boolean isContinuable() {
    return lastEnded() && !"done".equals(state) && !text.isEmpty();
  }

  /** The same message, noting whether older turns were left out of what the model was sent. */
  MessageView withContext(boolean trimmed, boolean isLast) {
    return new MessageView(role, text, html, reasoning, generationId, state, error, cursor, conversationId,
        editUrl, trimmed, isLast, model, messageId, version, versions, json, streamTail);
  }

  /** The same answer, as version {@code number} of {@code count} of the message {@code id}. */
  MessageView withVersion(String id, int number, int count) {
    return new MessageView(role, text, html, reasoning, generationId, state, error, cursor, conversationId,
        editUrl, historyTrimmed, last, model, id, number, count, json, streamTail);
  }

  /** Whether the answer has earlier versions to switch between (‹ 1/3 ›). */
  public boolean hasVersions() {
    return messageId != null && versions > 1;
  }

  /** Where version {@code n} of this answer is shown from, or null when there is no such version. */
  public String versionUrl(int n) {
    return n < 1 || n > versions ? null : "/c/" + conversationId + "/m/" + messageId + "/versions/" + n;
  }

  /** The generation whose JSON the page shows as a tree (webroot/json-view.js), or null for text. */
  public String jsonGeneration() {
    return json ? generationId : null;
  }

  /** The summary of the reasoning part: live while the model thinks, the page's JS times it. */
  public String reasoningLabel() {
    return isStreaming() && text.isEmpty() ? "Thinking…" : "Thought process";
  }

  static MessageView user(Message m) {
    return new MessageView("user", m.content(), null, "", null, null, null, 0, m.conversationId(),
        "/c/" + m.conversationId() + "/m/" + m.id() + "/edit", false, false, null, m.id(), 0, 0, false, null);
  }

  /** An answer from its log (running, or ended but not yet saved): always the newest message. */
  static MessageView answer(Answer a) {
    GenerationStatus st = a.status();
    GenerationState s = st.state();
    // A running answer is parsed once: its finished blocks and its growing tail come from one pass
    // (a long answer's reload spent as long again parsing it a second time for the tail).
    IncrementalMarkdown running = s.isFinal() ? null : IncrementalMarkdown.of(a.text());
    String html = running == null ? MarkdownRenderer.get().toHtml(a.text()) : String.join("", running.finishedBlocks());
    return new MessageView("assistant", a.text(), html,
        a.reasoning(), st.id(), s.wire(), st.error(), st.lastSeq(), st.info().conversationId(), null,
        false, true, st.info().model(), null, 0, 0, st.info().responseFormat() != null,
        running == null ? null : running.tail());
  }

  /** An answer from the database, final. */
  static MessageView saved(Message m) {
    return new MessageView("assistant", m.content(), MarkdownRenderer.get().toHtml(m.content()),
        m.reasoning() == null ? "" : m.reasoning(), m.generationId(), m.state(), m.error(), 0, m.conversationId(),
        null, false, false, m.model(), m.id(), 0, 0, m.responseFormat() != null, null);
  }
}

package dev.streamchat.web;

import dev.streamchat.markdown.IncrementalMarkdown;
import dev.streamchat.markdown.Tail;
import dev.streamchat.stream.Answer;
import dev.streamchat.stream.Delta;
import dev.streamchat.stream.FeedView;
import dev.streamchat.stream.GenerationStatus;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The chat page's events: an answer as Markdown rendered block by block (see
 * {@link IncrementalMarkdown}). Each {@code md} event (its id the last chunk it carries) holds
 * what the chunks add, as JSON that webroot/render.js applies:
 * <ul>
 *   <li>{@code b}: the HTML of the blocks they finished, appended once and never touched again;</li>
 *   <li>{@code t}: {@code [keep, add]}, the tail's new HTML as the first {@code keep} characters of
 *       the HTML it had, then {@code add};</li>
 *   <li>{@code c}: {@code [keep, add]}, the same for the code of a code block being written (text);</li>
 *   <li>{@code r}: the reasoning text they add.</li>
 * </ul>
 * The tail a rendering starts from is the tail of the text before its first chunk, which is what
 * the page shows there (the page renders it, and every stream leaves it so), so a resume after chunk
 * N sends exactly the blocks finished after N and the change of the tail. The {@code end} event
 * carries the answer's state and buttons, and of the text only what the end changes: the blocks the
 * tail becomes, or nothing when the tail already shows them. A {@code held} event (no id) swaps in
 * the "checking…" note while filters hold text back, and takes it out when they release it.
 */
final class PageEvents implements FeedView {

  private final Views views;

  /** The two held events: they depend on nothing else, so each is rendered once (on first use). */
  private volatile Buffer checking;
  private volatile Buffer checked;

  PageEvents(Views views) {
    this.views = views;
  }

  @Override
  public boolean needsPrefix() {
    return true;
  }

  @Override
  public Rendering open(Prefix prefix) {
    return new Rendering() {
      private final IncrementalMarkdown markdown = IncrementalMarkdown.of(prefix.text());
      private final StringBuilder text = new StringBuilder(prefix.text());
      private final StringBuilder reasoning = new StringBuilder(prefix.reasoning());
      private Tail shown = markdown.tail();

      @Override
      public Buffer next(Delta d) {
        text.append(d.text());
        reasoning.append(d.reasoning());
        JsonObject data = new JsonObject();
        if (!d.text().isEmpty()) {
          IncrementalMarkdown.Step step = markdown.append(d.text());
          if (!step.finished().isEmpty()) data.put("b", String.join("", step.finished()));
          Tail.Change change = step.tail().since(shown);
          shown = step.tail();
          if (change.html() != null) data.put("t", edit(change.html()));
          if (change.code() != null) data.put("c", edit(change.code()));
        }
        if (!d.reasoning().isEmpty()) data.put("r", d.reasoning());
        return Buffer.buffer(Sse.event("md", d.lastSeq(), data.encode()));
      }

      @Override
      public Buffer end(GenerationStatus status) {
        List<String> last = markdown.end().finished();
        String blocks = String.join("", last);
        Map<String, Object> vars = new HashMap<>();
        vars.put("m", MessageView.answer(new Answer(status, text.toString(), reasoning.toString())));
        vars.put("keepTail", blocks.equals(shown.withCode()));
        vars.put("blocks", blocks);
        return Buffer.buffer(Sse.event("end", 0, views.fragment(Views.CHAT, "ended", vars)));
      }
    };
  }

  @Override
  public Buffer held(String generationId, boolean holding) {
    Buffer event = holding ? checking : checked;
    if (event == null) {
      event = Buffer.buffer(Sse.event("held", 0, views.fragment(Views.CHAT, "held", Map.of("holding", holding))));
      if (holding) checking = event;
      else checked = event;
    }
    return event;
  }

  private static JsonArray edit(Tail.Edit edit) {
    return new JsonArray().add(edit.keep()).add(edit.add());
  }
}
